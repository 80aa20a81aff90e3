// SPDX-License-Identifier: Apache-2.0
// Percent-encoding (RFC 3986 %XX escapes), shared by query strings and artifact paths. Pure
// functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mlhub {

// The value of a hex digit, or -1.
int HexDigitValue(char c);

// True when `s[i]` starts a well-formed escape ('%' and two hex digits).
bool IsPercentEscapeAt(std::string_view s, size_t i);

// Escapes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~, and '/' when
// `keep_slash`) as %XX, uppercase hex: a query value or a path, byte by byte.
std::string PercentEncode(std::string_view in, bool keep_slash);

// Decodes %XX escapes once (and '+' as a space when `plus_is_space`, as in query strings).
// A malformed escape is InvalidArgument naming its offset.
StatusOr<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace mlhub
