// SPDX-License-Identifier: Apache-2.0
#include "registry/api/model_json.h"

#include <string>

#include "rest/key_values.h"

namespace mlhub::registry::api {

void WriteModelVersion(JsonWriter& w, const store::ModelVersion& v) {
  w.StartObject();
  w.Field("name", v.name);
  w.Field("version", std::to_string(v.version));
  w.Field("creation_timestamp", v.creation_timestamp);
  w.Field("last_updated_timestamp", v.last_updated_timestamp);
  if (!v.user_id.empty()) w.Field("user_id", v.user_id);
  w.Field("current_stage", v.current_stage);
  w.Field("description", v.description);
  w.Field("source", v.source);
  w.Field("run_id", v.run_id);
  w.Field("status", v.status);
  if (!v.status_message.empty()) w.Field("status_message", v.status_message);
  rest::WriteKeyValues(w, "tags", v.tags);
  w.Field("run_link", v.run_link);
  if (!v.model_id.empty()) w.Field("model_id", v.model_id);
  if (!v.aliases.empty()) {
    w.Key("aliases").StartArray();
    for (const std::string& alias : v.aliases) w.String(alias);
    w.EndArray();
  }
  w.EndObject();
}

void WriteRegisteredModel(JsonWriter& w, const store::RegisteredModel& m) {
  w.StartObject();
  w.Field("name", m.name);
  w.Field("creation_timestamp", m.creation_timestamp);
  w.Field("last_updated_timestamp", m.last_updated_timestamp);
  if (!m.user_id.empty()) w.Field("user_id", m.user_id);
  w.Field("description", m.description);
  if (!m.latest_versions.empty()) {
    w.Key("latest_versions").StartArray();
    for (const store::ModelVersion& v : m.latest_versions) WriteModelVersion(w, v);
    w.EndArray();
  }
  rest::WriteKeyValues(w, "tags", m.tags);
  if (!m.aliases.empty()) {
    w.Key("aliases").StartArray();
    for (const store::ModelAlias& a : m.aliases) {
      w.StartObject()
          .Field("alias", a.alias)
          .Field("version", std::to_string(a.version))
          .EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace mlhub::registry::api
