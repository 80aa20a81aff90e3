// SPDX-License-Identifier: Apache-2.0
// What every module reads the same way in a URI: its scheme, and the path of a file URI. Used by
// artifacts (artifact destinations) and serving/repository (model URIs). Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mlhub {

// The scheme of "<scheme>:/...", lower-cased; "" for anything else (a plain path). The scheme is
// RFC 3986's (a letter, then letters, digits, '+', '-' or '.') and two characters at least, so
// that a Windows drive letter ("C:/models") is never a scheme.
std::string UriScheme(std::string_view uri);

// "file:///x", "file://localhost/x" and "file:/x" → "/x", with %XX escapes decoded once.
// InvalidArgument for another host, a relative path, a query or fragment, a malformed escape or
// an escaped NUL. `uri` is one whose UriScheme is "file".
StatusOr<std::string> LocalPathFromFileUri(std::string_view uri);

}  // namespace mlhub
