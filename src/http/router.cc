// SPDX-License-Identifier: Apache-2.0
#include "http/router.h"

#include <algorithm>

namespace mlhub::http {
namespace {

// The route for `method` in `routes`; a HEAD request falls back to the GET route.
const Router::Route* PickMethod(const std::vector<Router::Route>& routes, Method method) {
  const Router::Route* get_route = nullptr;
  for (const auto& route : routes) {
    if (route.method == method) return &route;
    if (route.method == Method::kGet) get_route = &route;
  }
  return method == Method::kHead ? get_route : nullptr;
}

}  // namespace

Handler Router::Filtered(Handler handler) const {
  if (!filter_) return handler;
  return [filter = filter_, handler = std::move(handler)](Request& request) {
    if (std::optional<Response> refused = filter->Before(request)) return *std::move(refused);
    Response response = handler(request);
    filter->After(request, response, handler);
    return response;
  };
}

AsyncHandler Router::Filtered(AsyncHandler handler) const {
  if (!filter_) return handler;
  return [filter = filter_, handler = std::move(handler)](Request& request, Responder respond) {
    if (std::optional<Response> refused = filter->Before(request)) {
      return respond(*std::move(refused));
    }
    handler(request, std::move(respond));
  };
}

UploadHandler Router::Filtered(UploadHandler handler) const {
  if (!filter_) return handler;
  return [filter = filter_, handler = std::move(handler)](
             Request& request) -> std::variant<Response, std::unique_ptr<BodySink>> {
    if (std::optional<Response> refused = filter->Before(request)) return *std::move(refused);
    return handler(request);
  };
}

void Router::Add(Method method, std::string path, Handler handler) {
  Route route{method, path, /*is_prefix=*/false, Filtered(std::move(handler)), {}, {}, {}};
  exact_[std::move(path)].push_back(std::move(route));
}

void Router::AddPrefixRoute(Route route) {
  prefixes_.push_back(std::move(route));
  std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const Route& a, const Route& b) {
    return a.pattern.size() > b.pattern.size();
  });
}

void Router::AddPrefix(Method method, std::string prefix, Handler handler) {
  AddPrefixRoute(Route{
      method, std::move(prefix), /*is_prefix=*/true, Filtered(std::move(handler)), {}, {}, {}});
}

void Router::AddAsync(Method method, std::string path, AsyncHandler handler) {
  Route route{method, path, /*is_prefix=*/false, {}, {}, {}, Filtered(std::move(handler))};
  exact_[std::move(path)].push_back(std::move(route));
}

void Router::AddAsyncPrefix(Method method, std::string prefix, AsyncHandler handler) {
  AddPrefixRoute(Route{
      method, std::move(prefix), /*is_prefix=*/true, {}, {}, {}, Filtered(std::move(handler))});
}

void Router::AddUpload(Method method, std::string prefix, UploadHandler handler,
                       ErrorMapper on_error) {
  AddPrefixRoute(Route{method,
                       std::move(prefix),
                       /*is_prefix=*/true,
                       {},
                       Filtered(std::move(handler)),
                       std::move(on_error),
                       {}});
}

void Router::SetTransportErrorResponder(TransportErrorResponder responder) {
  if (responder) transport_error_ = std::move(responder);
}

void Router::SetNotFound(Handler handler) {
  if (handler) not_found_ = std::move(handler);
}

const Router::Route* Router::Match(Method method, std::string_view path,
                                   std::string_view* suffix) const {
  if (auto it = exact_.find(path); it != exact_.end()) {
    if (const Route* route = PickMethod(it->second, method)) {
      if (suffix != nullptr) *suffix = std::string_view();
      return route;
    }
  }
  // Prefixes are sorted longest first; routes with the same prefix are adjacent.
  const Route* get_route = nullptr;
  size_t get_len = 0;
  for (const Route& route : prefixes_) {
    if (get_route != nullptr && route.pattern.size() < get_len) break;
    if (!path.starts_with(route.pattern)) continue;
    if (route.method == method) {
      if (suffix != nullptr) *suffix = path.substr(route.pattern.size());
      return &route;
    }
    if (method == Method::kHead && route.method == Method::kGet && get_route == nullptr) {
      get_route = &route;
      get_len = route.pattern.size();
    }
  }
  if (get_route != nullptr && suffix != nullptr) *suffix = path.substr(get_len);
  return get_route;
}

}  // namespace mlhub::http
