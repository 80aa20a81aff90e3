// SPDX-License-Identifier: Apache-2.0
// Validation of client-supplied artifact paths, and mapping of a run's artifact URI to a store
// path. Every path that reaches an ArtifactStore must come through one of these functions: they
// turn untrusted input into a clean relative path ("a/b/c.txt", "" for the root) or
// InvalidArgument. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mlhub::artifacts {

// Validates `raw`, a path exactly as it appeared in the request URL (still percent-encoded; e.g.
// the part after `/api/2.0/mlflow-artifacts/artifacts/`). Decodes %XX escapes once ('+' stays '+'),
// a malformed escape is InvalidArgument, then validates as NormalizeDecodedArtifactPath does.
StatusOr<std::string> NormalizeArtifactPath(std::string_view raw);

// Validates `decoded`, a path that was already percent-decoded once (e.g. a `path=` query value).
// Returns the path with '.' segments and a trailing '/' removed; "" (or "." or "./") is the root.
// InvalidArgument for anything that could leave the root or that is ambiguous:
//   - a ".." segment; an absolute path ("/x"); a drive letter ("C:", "c:x");
//   - a backslash, NUL or any other control character (0x00-0x1f, 0x7f), '#';
//   - an empty segment ("a//b", "//x");
//   - a '%' followed by two hex digits: the input would change if decoded again, so it is a double
//     encoding ("%252e%252e" arrives here as "%2e%2e"). A '%' that forms no escape ("95%.png") is
//     accepted: such a path decodes to itself, so no later decoding layer can turn it into a trick;
//   - bytes that are not valid UTF-8 (names must survive the JSON of a listing).
StatusOr<std::string> NormalizeDecodedArtifactPath(std::string_view decoded);

// Maps a run's (or model version's) artifact URI served by this server's artifact proxy to the
// store path: "mlflow-artifacts:/0/abc/artifacts" and
// "mlflow-artifacts://host:5000/0/abc/artifacts" (also "mlflow-artifacts:///...") give
// "0/abc/artifacts". The URI's path is percent-encoded text, so it is decoded once and validated as
// NormalizeArtifactPath does. Unimplemented for any other scheme or a plain path (s3://, file://,
// /x: not proxied); InvalidArgument for a malformed mlflow-artifacts URI (query, fragment, bad
// path).
StatusOr<std::string> RunArtifactPathFromUri(std::string_view artifact_uri);

}  // namespace mlhub::artifacts
