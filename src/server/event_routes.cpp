// /api/v1/events: filtered, paged list; one event; delete; its snapshot JPEG. Snapshot
// files are found through Store::snapshot_path, which accepts plain file names of
// the store only: an event row can never point the server outside the snapshot folder.
#include "api.h"
#include "api_json.h"
#include "http/api_error.h"
#include "tilescope/store/store.h"

namespace tilescope::server {
namespace {

using nlohmann::json;

// JavaScript's largest exact integer: times and ids beyond it cannot come from a browser.
constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;

store::EventRecord find_event(ApiContext& context, std::int64_t id) {
  auto event = context.system.store().event(id);
  if (!event) throw ApiError::not_found("no event with id " + std::to_string(id));
  return *event;
}

Response list(ApiContext& context, RequestContext& request) {
  const QueryParams& q = request.query;
  q.allow_only({"camera", "label", "from", "to", "zone", "open", "limit", "offset"});
  store::EventFilter filter;
  filter.camera_id = q.get_int("camera", 1, kMaxSafeInteger);
  filter.label = q.get("label");
  filter.from_ms = q.get_int("from", 0, kMaxSafeInteger);
  filter.to_ms = q.get_int("to", 0, kMaxSafeInteger);
  filter.zone = q.get("zone");
  filter.open = q.get_bool("open");
  filter.limit = static_cast<int>(q.get_int("limit", 1, 500).value_or(50));
  filter.offset = static_cast<int>(q.get_int("offset", 0, 1'000'000'000).value_or(0));
  if (filter.from_ms && filter.to_ms && *filter.from_ms > *filter.to_ms) {
    throw ApiError::bad_request("from: must not be after to (" + std::to_string(*filter.from_ms) + " > " +
                                    std::to_string(*filter.to_ms) + ")",
                                "from");
  }
  const store::EventPage page = context.system.store().events(filter);
  json events = json::array();
  for (const store::EventRecord& event : page.events)
    events.push_back(event_json(event));
  return Response::json({{"events", std::move(events)},
                         {"total", page.total},
                         {"limit", filter.limit},
                         {"offset", filter.offset}});
}

Response read(ApiContext& context, RequestContext& request) {
  return Response::json(event_json(find_event(context, request.path_id("id"))));
}

Response remove(ApiContext& context, RequestContext& request) {
  const std::int64_t id = request.path_id("id");
  if (!context.system.store().delete_event(id))
    throw ApiError::not_found("no event with id " + std::to_string(id));
  return Response::no_content();
}

Response snapshot(ApiContext& context, RequestContext& request) {
  const store::EventRecord event = find_event(context, request.path_id("id"));
  const auto missing = ApiError::not_found("event " + std::to_string(event.id) + " has no snapshot");
  if (event.snapshot.empty()) throw missing;
  auto path = context.system.store().snapshot_path(event.snapshot);
  if (!path) throw missing;
  Response response = Response::file(*path, "image/jpeg");
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

} // namespace

void add_event_routes(Router& router, ApiContext& context) {
  router.add(http::verb::get, "/api/v1/events", bind_route(context, list));
  router.add(http::verb::get, "/api/v1/events/{id}", bind_route(context, read));
  router.add(http::verb::delete_, "/api/v1/events/{id}", bind_route(context, remove));
  router.add(http::verb::get, "/api/v1/events/{id}/snapshot.jpg", bind_route(context, snapshot));
}

} // namespace tilescope::server
