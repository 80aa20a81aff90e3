// SPDX-License-Identifier: Apache-2.0
#include "tracking/api/trace_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "rest/json_route.h"

namespace mlhub::tracking::api {
namespace {

// `count` digits at s[at...] as a number, or -1.
int Digits(std::string_view s, size_t at, size_t count) {
  if (at + count > s.size()) return -1;
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

constexpr std::string_view kSourceTypes[] = {"SOURCE_TYPE_UNSPECIFIED", "HUMAN", "LLM_JUDGE",
                                             "CODE"};

// A source type by name or number.
StatusOr<std::string> ReadSourceType(json::Element value) {
  int64_t number = -1;
  std::string_view name;
  if (value.get(number) == simdjson::SUCCESS) {
    if (number >= 0 && number < 4) return std::string(kSourceTypes[number]);
  } else if (value.get(name) == simdjson::SUCCESS) {
    for (std::string_view type : kSourceTypes) {
      if (name == type) return std::string(type);
    }
  }
  return InvalidArgumentError("Invalid assessment source type " + simdjson::to_string(value) + ".");
}

// Every member of `object` is one of `known`, and those in `strings` hold strings.
Status CheckMembers(json::Object object, std::string_view where,
                    std::initializer_list<std::string_view> known,
                    std::initializer_list<std::string_view> strings) {
  for (auto field : object) {
    if (std::find(known.begin(), known.end(), field.key) == known.end()) {
      return InvalidArgumentError(fmt::format("Unknown field {}.{}.", where, field.key));
    }
    if (std::find(strings.begin(), strings.end(), field.key) != strings.end() &&
        !field.value.is_string()) {
      return InvalidArgumentError(fmt::format("{}.{} must be a string.", where, field.key));
    }
  }
  return OkStatus();
}

// Feedback: {value: any JSON} or {error: {error_code, error_message, stack_trace}} (or both).
Status CheckFeedback(json::Object feedback) {
  RETURN_IF_ERROR(CheckMembers(feedback, "feedback", {"value", "error"}, {}));
  auto value = json::Find(feedback, "value");
  auto error = json::Find(feedback, "error");
  if (error && !error->is_null()) {
    ASSIGN_OR_RETURN(json::Object object, json::AsObject(*error, "feedback.error"));
    RETURN_IF_ERROR(CheckMembers(object, "feedback.error",
                                 {"error_code", "error_message", "stack_trace"},
                                 {"error_code", "error_message", "stack_trace"}));
  } else if (!value) {
    return InvalidArgumentError("Feedback needs a value or an error.");
  }
  return OkStatus();
}

// Expectation: {value: any JSON} or {serialized_value: {serialization_format, value}}.
Status CheckExpectation(json::Object expectation) {
  RETURN_IF_ERROR(CheckMembers(expectation, "expectation", {"value", "serialized_value"}, {}));
  auto value = json::Find(expectation, "value");
  auto serialized = json::Find(expectation, "serialized_value");
  if (value.has_value() == serialized.has_value()) {
    return InvalidArgumentError("An expectation has a value or a serialized_value (one).");
  }
  if (serialized) {
    ASSIGN_OR_RETURN(json::Object object,
                     json::AsObject(*serialized, "expectation.serialized_value"));
    RETURN_IF_ERROR(CheckMembers(object, "expectation.serialized_value",
                                 {"serialization_format", "value"},
                                 {"serialization_format", "value"}));
  }
  return OkStatus();
}

// The fields of an Assessment object a client sends; `present` names those it has (proto field
// names), for an update's mask.
struct ReadAssessmentResult {
  store::TraceAssessment assessment;
  std::vector<std::string> present;
};

StatusOr<ReadAssessmentResult> ReadAssessment(const rest::RequestFields& f) {
  if (!f.json()) return rest::MissingField("assessment");
  auto value = json::Find(*f.json(), "assessment");
  if (!value) return rest::MissingField("assessment");
  ASSIGN_OR_RETURN(json::Object object, json::AsObject(*value, "assessment"));
  ReadAssessmentResult out;
  store::TraceAssessment& a = out.assessment;
  for (auto field : object) out.present.emplace_back(field.key);
  ASSIGN_OR_RETURN(a.name, json::OptionalString(object, "assessment_name"));
  ASSIGN_OR_RETURN(a.trace_id, json::OptionalString(object, "trace_id"));
  ASSIGN_OR_RETURN(a.span_id, json::OptionalString(object, "span_id"));
  ASSIGN_OR_RETURN(a.rationale, json::OptionalString(object, "rationale"));
  ASSIGN_OR_RETURN(a.overrides, json::OptionalString(object, "overrides"));
  ASSIGN_OR_RETURN(a.metadata, ReadStringMap(object, "metadata"));
  if (auto source = json::Find(object, "source"); source && !source->is_null()) {
    ASSIGN_OR_RETURN(json::Object source_object, json::AsObject(*source, "source"));
    if (auto type = json::Find(source_object, "source_type")) {
      ASSIGN_OR_RETURN(a.source_type, ReadSourceType(*type));
    }
    ASSIGN_OR_RETURN(a.source_id, json::OptionalString(source_object, "source_id"));
  }
  for (std::string_view time : {"create_time", "last_update_time"}) {
    ASSIGN_OR_RETURN(std::string text, json::OptionalString(object, time));
    if (text.empty()) continue;
    ASSIGN_OR_RETURN(int64_t ms, ParseTimestamp(text));
    (time == "create_time" ? a.create_time_ms : a.last_update_time_ms) = ms;
  }
  for (std::string_view kind : {"feedback", "expectation"}) {
    auto member = json::Find(object, kind);
    if (!member || member->is_null()) continue;
    if (!a.kind.empty()) {
      return InvalidArgumentError("An assessment is feedback or an expectation, not both.");
    }
    ASSIGN_OR_RETURN(json::Object body, json::AsObject(*member, kind));
    RETURN_IF_ERROR(kind == "feedback" ? CheckFeedback(body) : CheckExpectation(body));
    a.kind = std::string(kind);
    a.value = simdjson::to_string(*member);
  }
  return out;
}

// An update mask's paths: proto JSON writes a FieldMask as one string, "assessmentName,feedback"
// (lowerCamelCase); {"paths": [...]} is accepted too. nullopt when the request has none.
StatusOr<std::optional<std::vector<std::string>>> ReadUpdateMask(const rest::RequestFields& f) {
  std::vector<std::string> paths;
  auto mask = f.json() ? json::Find(*f.json(), "update_mask") : std::nullopt;
  if (!mask || mask->is_null()) return std::optional<std::vector<std::string>>();
  std::string_view text;
  if (mask->get(text) == simdjson::SUCCESS) {
    while (!text.empty()) {
      const size_t comma = text.find(',');
      if (comma != 0) paths.emplace_back(text.substr(0, comma));
      text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
  } else {
    json::Element list;
    ASSIGN_OR_RETURN(json::Object object, json::AsObject(*mask, "update_mask"));
    if (object.at_pointer("/paths").get(list) == simdjson::SUCCESS) {
      ASSIGN_OR_RETURN(json::Array items, json::AsArray(list, "update_mask.paths"));
      for (json::Element item : items) {
        ASSIGN_OR_RETURN(std::string_view path, json::AsString(item, "update_mask.paths"));
        paths.emplace_back(path);
      }
    }
  }
  for (std::string& path : paths) {  // lowerCamelCase to the proto's snake_case
    std::string snake;
    for (char c : path) {
      if (c >= 'A' && c <= 'Z') {
        if (!snake.empty()) snake += '_';
        snake += static_cast<char>(c - 'A' + 'a');
      } else if (c != ' ') {
        snake += c;
      }
    }
    path = std::move(snake);
  }
  return std::optional<std::vector<std::string>>(std::move(paths));
}

std::string AssessmentResponse(const store::TraceAssessment& a) {
  std::string body;
  JsonWriter w(&body);
  w.StartObject().Key("assessment");
  WriteAssessment(w, a);
  w.EndObject();
  return body;
}

}  // namespace

// Proto JSON's Timestamp: RFC 3339 in UTC, "2025-06-04T00:17:06.901Z".
std::string FormatTimestamp(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     ms - static_cast<int64_t>(seconds) * 1000);
}

// RFC 3339, "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", to milliseconds since the epoch
// (digits past milliseconds dropped).
StatusOr<int64_t> ParseTimestamp(std::string_view s) {
  auto invalid = [&] {
    return InvalidArgumentError("Invalid timestamp '" + std::string(s) +
                                "': expected RFC 3339, e.g. 2025-06-04T00:17:06.901Z.");
  };
  const int year = Digits(s, 0, 4), month = Digits(s, 5, 2), day = Digits(s, 8, 2);
  const int hour = Digits(s, 11, 2), minute = Digits(s, 14, 2), second = Digits(s, 17, 2);
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':' || year < 0 || month < 1 || month > 12 || day < 1 || day > 31 ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return invalid();
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return invalid();
  size_t i = 19;
  int64_t fraction_ms = 0;
  if (s[i] == '.') {
    int digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 3) fraction_ms = fraction_ms * 10 + (s[i] - '0');
    }
    if (digits == 0) return invalid();
    for (; digits < 3; ++digits) fraction_ms *= 10;
  }
  int64_t offset_s = 0;
  if (i + 1 == s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    // UTC
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int offset_hours = Digits(s, i + 1, 2), offset_minutes = Digits(s, i + 4, 2);
    if (offset_hours < 0 || offset_hours > 23 || offset_minutes < 0 || offset_minutes > 59) {
      return invalid();
    }
    offset_s = (s[i] == '+' ? 1 : -1) * (offset_hours * 3600 + offset_minutes * 60);
  } else {
    return invalid();
  }
  std::tm t{};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  const std::time_t seconds = timegm(&t);
  return (static_cast<int64_t>(seconds) - offset_s) * 1000 + fraction_ms;
}

// Proto JSON's Duration: "1.840s".
std::string FormatDuration(int64_t ms) {
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}{}.{:03}s", ms < 0 ? "-" : "", std::abs(ms) / 1000, std::abs(ms) % 1000);
}

// "<seconds>[.<fraction>]s" (not negative) to milliseconds, digits past milliseconds dropped.
StatusOr<int64_t> ParseDuration(std::string_view s) {
  size_t i = 0;
  int64_t seconds = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 15; ++i) {
    seconds = seconds * 10 + (s[i] - '0');
  }
  int64_t fraction_ms = 0;
  bool ok = i > 0;
  if (ok && i < s.size() && s[i] == '.') {
    int digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 3) fraction_ms = fraction_ms * 10 + (s[i] - '0');
    }
    ok = digits > 0;
    for (; digits < 3; ++digits) fraction_ms *= 10;
  }
  if (!ok || i + 1 != s.size() || s[i] != 's') {
    return InvalidArgumentError("Invalid duration '" + std::string(s) +
                                "': expected seconds, e.g. \"1.5s\".");
  }
  return seconds * 1000 + fraction_ms;
}

// A JSON object of strings (proto maps: trace_metadata, tags) to pairs.
StatusOr<std::vector<store::Tag>> ReadStringMap(json::Object object, std::string_view field) {
  std::vector<store::Tag> out;
  auto value = json::Find(object, field);
  if (!value || value->is_null()) return out;
  ASSIGN_OR_RETURN(json::Object map, json::AsObject(*value, field));
  for (auto entry : map) {
    ASSIGN_OR_RETURN(std::string_view text, json::AsString(entry.value, field));
    out.push_back({std::string(entry.key), std::string(text)});
  }
  return out;
}

void WriteStringMap(JsonWriter& w, std::string_view field, const std::vector<store::Tag>& pairs) {
  w.Key(field).StartObject();
  for (const store::Tag& pair : pairs) w.Field(pair.key, pair.value);
  w.EndObject();
}

void WriteAssessment(JsonWriter& w, const store::TraceAssessment& a) {
  w.StartObject().Field("assessment_id", a.assessment_id).Field("assessment_name", a.name);
  w.Field("trace_id", a.trace_id);
  if (!a.span_id.empty()) w.Field("span_id", a.span_id);
  w.Key("source").StartObject().Field("source_type", a.source_type);
  if (!a.source_id.empty()) w.Field("source_id", a.source_id);
  w.EndObject();
  w.Field("create_time", FormatTimestamp(a.create_time_ms));
  w.Field("last_update_time", FormatTimestamp(a.last_update_time_ms));
  if (!a.kind.empty()) w.Key(a.kind).Raw(a.value);
  if (!a.rationale.empty()) w.Field("rationale", a.rationale);
  WriteStringMap(w, "metadata", a.metadata);
  if (!a.overrides.empty()) w.Field("overrides", a.overrides);
  w.Field("valid", a.valid);
  w.EndObject();
}

StatusOr<std::string> HandleAssessmentRequest(TrackingService& service, http::Method method,
                                              const rest::RequestFields& f,
                                              std::string_view trace_id, std::string_view rest) {
  using http::Method;
  const std::string_view kPrefix = "assessments";
  std::string_view assessment_id;
  if (rest == kPrefix) {
    if (method != Method::kPost) return NotFoundError("No API endpoint for this path.");
  } else if (rest.starts_with("assessments/") && rest.size() > kPrefix.size() + 1 &&
             rest.find('/', kPrefix.size() + 1) == std::string_view::npos &&
             method != Method::kPost) {
    assessment_id = rest.substr(kPrefix.size() + 1);
  } else {
    return NotFoundError("No API endpoint for this path.");
  }
  switch (method) {
    case Method::kPost: {
      ASSIGN_OR_RETURN(ReadAssessmentResult read, ReadAssessment(f));
      if (!read.assessment.trace_id.empty() && read.assessment.trace_id != trace_id) {
        return InvalidArgumentError("The assessment names another trace than its path.");
      }
      read.assessment.trace_id = std::string(trace_id);
      ASSIGN_OR_RETURN(store::TraceAssessment created,
                       service.CreateAssessment(std::move(read.assessment)));
      return AssessmentResponse(created);
    }
    case Method::kGet: {
      ASSIGN_OR_RETURN(store::TraceAssessment found,
                       service.GetAssessment(trace_id, assessment_id));
      return AssessmentResponse(found);
    }
    case Method::kPatch: {
      ASSIGN_OR_RETURN(ReadAssessmentResult read, ReadAssessment(f));
      ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> mask, ReadUpdateMask(f));
      // Without a mask: those of the fields sent that an update can change.
      std::vector<std::string> fields;
      if (mask) {
        fields = *std::move(mask);
      } else {
        for (const std::string& field : read.present) {
          for (std::string_view updatable :
               {"assessment_name", "feedback", "expectation", "rationale", "metadata"}) {
            if (field == updatable) fields.push_back(field);
          }
        }
      }
      ASSIGN_OR_RETURN(store::TraceAssessment updated,
                       service.UpdateAssessment(trace_id, assessment_id, read.assessment, fields));
      return AssessmentResponse(updated);
    }
    case Method::kDelete:
      return rest::Empty(service.DeleteAssessment(trace_id, assessment_id));
    default:
      return NotFoundError("No API endpoint for this path.");
  }
}

}  // namespace mlhub::tracking::api
