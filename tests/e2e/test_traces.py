# SPDX-License-Identifier: Apache-2.0
"""MLflow's tracing API, as its clients call it (read from mlflow/store/tracking/rest_store.py,
mlflow/tracing/export/mlflow_v3.py and mlflow/tracing/client.py):

- MLflow 3 (v3): once a trace ends, POST /api/3.0/mlflow/traces with the whole TraceInfoV3; the
  answer's tag mlflow.artifactLocation says where the client then PUTs its spans (traces.json,
  through the artifact proxy). get_trace reads the info, then that file; search_traces posts
  /api/3.0/mlflow/traces/search. Tags, deletes and run links use the v2 paths.
- MLflow 2.14-2.21 (v2): POST /api/2.0/mlflow/traces when the root span starts (the server makes
  the id), PATCH /traces/<id> when it ends, GET /traces/<id>/info, GET /traces to search.

A missing trace must be a JSON RESOURCE_DOES_NOT_EXIST: a plain 404 would make a 3.x client fall
back to the v2 endpoints.
"""
import json
import time

import requests

from mlhub_testlib import ARTIFACTS, Client, assert_error, unique

V3 = "/api/3.0/mlflow"


def _v3(server):
    return Client(server.url, V3)


def _trace_info(trace_id, experiment_id, *, request_time="2026-01-02T03:04:05.678Z", duration="1.250s",
                state="OK", name="predict", run_id=None, **extra):
    metadata = {"mlflow.trace_schema.version": "3", "mlflow.traceInputs": '{"x": 1}'}
    if run_id:
        metadata["mlflow.sourceRun"] = run_id
    info = {"trace_id": trace_id, "client_request_id": f"req-{trace_id}",
            "trace_location": {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}},
            "request_preview": '{"x": 1}', "response_preview": '"y"', "request_time": request_time,
            "execution_duration": duration, "state": state, "trace_metadata": metadata,
            "tags": {"mlflow.traceName": name, "team": "red"}}
    info.update(extra)
    return {"trace": {"trace_info": info}}


def _new_id():
    return "tr-" + "".join(f"{b:02x}" for b in __import__("os").urandom(16))


def _ids(page):
    return [t["trace_id"] for t in page.get("traces", [])]


def test_mlflow3_client_logs_reads_and_searches_traces(server, client):
    v3 = _v3(server)
    exp = client.create_experiment(unique("traces"))
    run_id = client.create_run(exp)["info"]["run_id"]

    # the exporter's start_trace: the whole info once the trace has ended
    trace_id = _new_id()
    st, body = v3.post("traces", _trace_info(trace_id, exp, run_id=run_id))
    assert st == 200, body
    info = body["trace"]["trace_info"]
    assert info["trace_id"] == trace_id and info["state"] == "OK"
    assert info["request_time"] == "2026-01-02T03:04:05.678Z" and info["execution_duration"] == "1.250s"
    assert info["trace_location"] == {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}
    assert info["trace_metadata"]["mlflow.sourceRun"] == run_id
    location = info["tags"]["mlflow.artifactLocation"]
    assert location == f"mlflow-artifacts:/{exp}/traces/{trace_id}/artifacts"
    assert info["tags"]["mlflow.traceName"] == "predict"

    # ... then its spans, as a file at that location, through the artifact proxy
    spans = {"spans": [{"trace_id": "AAAA", "span_id": "BBBB", "name": "predict", "attributes": {}}]}
    path = location.removeprefix("mlflow-artifacts:/")
    r = requests.put(f"{server.url}{ARTIFACTS}/{path}/traces.json", data=json.dumps(spans), timeout=30)
    assert r.status_code == 200, r.text

    # get_trace: the info, then the file
    st, got = v3.get(f"traces/{trace_id}")
    assert st == 200 and got["trace"]["trace_info"] == info
    r = requests.get(f"{server.url}{ARTIFACTS}/{path}/traces.json", timeout=30)
    assert r.status_code == 200 and r.json() == spans

    # a trace sent again (the same id) replaces its info and adds its tags
    again = _trace_info(trace_id, exp, state="ERROR", duration="2s", run_id=run_id)
    again["trace"]["trace_info"]["tags"] = {"retry": "1"}
    st, body = v3.post("traces", again)
    assert st == 200, body
    assert body["trace"]["trace_info"]["state"] == "ERROR"
    assert body["trace"]["trace_info"]["execution_duration"] == "2s"
    assert {"retry", "team", "mlflow.traceName", "mlflow.artifactLocation"} <= set(body["trace"]["trace_info"]["tags"])

    # more traces, for search: minutes apart, other names and states
    others = []
    for i, (state, name) in enumerate((("OK", "embed"), ("OK", "predict"), ("IN_PROGRESS", "chat"))):
        other = _new_id()
        st, body = v3.post("traces", _trace_info(other, exp, request_time=f"2026-01-02T04:0{i}:00Z",
                                                 duration=f"0.{i + 1}s", state=state, name=name))
        assert st == 200, body
        others.append(other)

    def search(**body):
        st, page = v3.post("traces/search", {"locations": [
            {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}], **body})
        assert st == 200, page
        return page

    assert _ids(search()) == list(reversed(others)) + [trace_id]  # newest first
    assert _ids(search(order_by=["timestamp_ms ASC"])) == [trace_id] + others
    assert _ids(search(filter="trace.status = 'OK'")) == [others[1], others[0]]
    assert _ids(search(filter="attributes.status IN ('ERROR', 'IN_PROGRESS')")) == [others[2], trace_id]
    assert sorted(_ids(search(filter="name = 'predict'"))) == sorted([others[1], trace_id])
    assert _ids(search(filter="tags.mlflow.traceName = 'embed'")) == [others[0]]
    assert _ids(search(filter=f"metadata.mlflow.sourceRun = '{run_id}'")) == [trace_id]
    assert _ids(search(filter=f"attribute.run_id = '{run_id}'")) == [trace_id]
    assert _ids(search(filter="execution_time_ms > 500")) == [trace_id]
    assert _ids(search(filter="trace.execution_time = 300")) == [others[2]]
    t0 = 1767326400000  # 2026-01-02T04:00:00Z
    assert _ids(search(filter=f"timestamp_ms >= {t0 + 60000}")) == [others[2], others[1]]
    assert _ids(search(filter=f"trace.timestamp_ms = {t0} AND tags.team = 'red'")) == [others[0]]
    assert _ids(search(filter="tags.team != 'red'")) == []
    assert search(filter="metadata.`mlflow.trace_schema.version` = '3'")["traces"][0]["trace_metadata"]

    # pages of 2 cover everything once
    seen, token = [], None
    while True:
        page = search(max_results=2, **({"page_token": token} if token else {}))
        seen += _ids(page)
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == list(reversed(others)) + [trace_id]

    # link_traces_to_run: searchable by run_id too
    assert client.ok_post("traces/link-to-run", {"trace_ids": [others[0]], "run_id": run_id}) == {}
    assert sorted(_ids(search(filter=f"attribute.run_id = '{run_id}'"))) == sorted([trace_id, others[0]])

    # tags (v2 paths, as 3.x clients send them)
    assert client.request("PATCH", f"traces/{trace_id}/tags", {"key": "reviewed", "value": "yes"})[0] == 200
    st, got = v3.get(f"traces/{trace_id}")
    assert got["trace"]["trace_info"]["tags"]["reviewed"] == "yes"
    assert client.request("DELETE", f"traces/{trace_id}/tags", {"key": "reviewed"})[0] == 200
    assert_error(client.request("DELETE", f"traces/{trace_id}/tags", {"key": "reviewed"}), "RESOURCE_DOES_NOT_EXIST")
    st, got = v3.get(f"traces/{trace_id}")
    assert "reviewed" not in got["trace"]["trace_info"]["tags"]

    # delete_traces: by id, then the oldest up to a time
    assert client.ok_post("traces/delete-traces", {"experiment_id": exp, "request_ids": [others[2]]}) == {
        "traces_deleted": 1}
    assert client.ok_post("traces/delete-traces", {"experiment_id": exp, "max_timestamp_millis": t0 + 60000,
                                                   "max_traces": 2}) == {"traces_deleted": 2}
    assert _ids(search()) == [others[1]]
    assert_error(v3.get(f"traces/{trace_id}"), "RESOURCE_DOES_NOT_EXIST")


def test_mlflow2_client_starts_ends_and_searches_traces(server, client):
    exp = client.create_experiment(unique("traces-v2"))
    start = int(time.time() * 1000)
    body = client.ok_post("traces", {"experiment_id": exp, "timestamp_ms": start,
                                     "request_metadata": [{"key": "mlflow.traceInputs", "value": "{}"}],
                                     "tags": [{"key": "mlflow.traceName", "value": "chain"}]})
    info = body["trace_info"]
    request_id = info["request_id"]
    assert len(request_id) == 32 and info["status"] == "IN_PROGRESS" and info["timestamp_ms"] == start
    assert "execution_time_ms" not in info
    tags = {t["key"]: t["value"] for t in info["tags"]}
    assert tags["mlflow.artifactLocation"] == f"mlflow-artifacts:/{exp}/traces/{request_id}/artifacts"

    st, ended = client.request("PATCH", f"traces/{request_id}", {
        "request_id": request_id, "timestamp_ms": start + 42, "status": "OK",
        "request_metadata": [{"key": "mlflow.traceOutputs", "value": "[]"}],
        "tags": [{"key": "k", "value": "v"}]})
    assert st == 200, ended
    ended = ended["trace_info"]
    assert ended["status"] == "OK" and ended["execution_time_ms"] == 42
    assert {m["key"] for m in ended["request_metadata"]} == {"mlflow.traceInputs", "mlflow.traceOutputs"}
    assert client.ok_get(f"traces/{request_id}/info")["trace_info"] == ended

    page = client.ok_get("traces", {"experiment_ids": [exp], "filter": "status = 'OK'", "max_results": 10})
    assert [t["request_id"] for t in page["traces"]] == [request_id]
    assert client.ok_get("traces", {"experiment_ids": [exp], "filter": "status = 'ERROR'"}).get("traces", []) == []
    # a 3.x client reads the same trace through v3
    st, got = _v3(server).get(f"traces/{request_id}")
    assert st == 200 and got["trace"]["trace_info"]["execution_duration"] == "0.042s"

    assert_error(client.request("PATCH", f"traces/{request_id}", {"timestamp_ms": start - 1, "status": "OK"}),
                 "INVALID_PARAMETER_VALUE")  # ends before it starts
    assert_error(client.request("PATCH", f"traces/{request_id}", {"timestamp_ms": start + 1, "status": "DONE"}),
                 "INVALID_PARAMETER_VALUE")


def test_trace_errors(server, client):
    v3 = _v3(server)
    exp = client.create_experiment(unique("traces-err"))
    missing = _new_id()
    # a missing trace is a JSON 404 (never a bare one, which clients read as "no such endpoint")
    assert_error(v3.get(f"traces/{missing}"), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get(f"traces/{missing}/info"), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.request("PATCH", f"traces/{missing}/tags", {"key": "k", "value": "v"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(v3.get("traces/bad%20id"), "RESOURCE_DOES_NOT_EXIST")
    assert_error(v3.get(f"traces/{missing}/other"), "RESOURCE_DOES_NOT_EXIST")

    # malformed infos
    for bad in ({}, {"trace": {}}, {"trace": {"trace_info": {"trace_id": _new_id()}}},
                _trace_info("", exp), _trace_info("has space", exp), _trace_info(_new_id(), exp, request_time="yesterday"),
                _trace_info(_new_id(), exp, request_time="2026-01-02 03:04:05Z"), _trace_info(_new_id(), exp, duration="5"),
                _trace_info(_new_id(), exp, duration="-1s"), _trace_info(_new_id(), exp, state="DONE"),
                _trace_info(_new_id(), exp, trace_metadata={"k": 1}), _trace_info(_new_id(), exp, tags=[1])):
        assert_error(v3.post("traces", bad), "INVALID_PARAMETER_VALUE")
    assert_error(v3.post("traces", _trace_info(_new_id(), "987654321")), "RESOURCE_DOES_NOT_EXIST")
    gone = client.create_experiment(unique("traces-gone"))
    client.ok_post("experiments/delete", {"experiment_id": gone})
    assert_error(v3.post("traces", _trace_info(_new_id(), gone)), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("traces", {"experiment_id": exp}), "INVALID_PARAMETER_VALUE")  # no timestamp_ms

    # timestamps are RFC 3339 with a time zone, durations plain seconds, within proto's range
    for request_time in ("2025-13-45T99:99:99Z", "2025-06-04T00:17:06", "2025-06-04T00:17:06+99:99",
                         "2025-06-04T00:17:06+-1:00", "10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):
        assert_error(v3.post("traces", _trace_info(_new_id(), exp, request_time=request_time)),
                     "INVALID_PARAMETER_VALUE")
    for duration in ("0x10s", " 1s", "+1s", "1e3s", "nans", "1.s", "s", "999999999999999s"):
        assert_error(v3.post("traces", _trace_info(_new_id(), exp, duration=duration)), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("traces", {"experiment_id": exp, "timestamp_ms": 9223372036854775807}),
                 "INVALID_PARAMETER_VALUE")
    # only experiment locations; the id may be a number
    assert_error(v3.post("traces", _trace_info(_new_id(), exp, trace_location={
        "type": "INFERENCE_TABLE", "mlflow_experiment": {"experiment_id": exp}})), "INVALID_PARAMETER_VALUE")
    numeric = _new_id()
    st, body = v3.post("traces", _trace_info(numeric, exp, trace_location={
        "type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": int(exp)}}))
    assert st == 200 and body["trace"]["trace_info"]["trace_location"]["mlflow_experiment"]["experiment_id"] == exp
    # a trace stays in its experiment
    elsewhere = client.create_experiment(unique("traces-elsewhere"))
    assert_error(v3.post("traces", _trace_info(numeric, elsewhere)), "INVALID_PARAMETER_VALUE")
    assert v3.get(f"traces/{numeric}")[1]["trace"]["trace_info"]["trace_location"]["mlflow_experiment"][
        "experiment_id"] == exp
    # where the spans go is the server's to say
    assert_error(client.request("PATCH", f"traces/{numeric}/tags", {"key": "mlflow.artifactLocation",
                                                                    "value": "file:///etc"}), "INVALID_PARAMETER_VALUE")
    assert_error(client.request("DELETE", f"traces/{numeric}/tags", {"key": "mlflow.artifactLocation"}),
                 "INVALID_PARAMETER_VALUE")
    # endpoint names are not trace ids; newer servers' span endpoints are a bare 404 (clients fall back)
    for reserved in ("search", "delete-traces", "link-to-run"):
        assert_error(v3.post("traces", _trace_info(reserved, exp)), "INVALID_PARAMETER_VALUE")
    for path in ("traces/get", "traces/batchGet"):
        r = requests.get(f"{server.url}{V3}/{path}", params={"trace_id": numeric}, timeout=30)
        assert r.status_code == 404 and "error_code" not in r.text
    # lists are bounded (each id is a bound parameter)
    assert_error(client.post("traces/delete-traces", {"experiment_id": exp, "request_ids": [numeric] * 1001}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(v3.post("traces/search", {"locations": [
        {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}] * 1001}), "INVALID_PARAMETER_VALUE")

    # time zones are honoured; digits past milliseconds are dropped
    tid = _new_id()
    st, body = v3.post("traces", _trace_info(tid, exp, request_time="2026-01-02T05:04:05.678912+02:00"))
    assert st == 200 and body["trace"]["trace_info"]["request_time"] == "2026-01-02T03:04:05.678Z"

    # searches
    loc = [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}]
    assert_error(v3.post("traces/search", {}), "INVALID_PARAMETER_VALUE")
    for bad in ({"filter": "nonsense = 1"}, {"filter": "params.x = '1'"}, {"filter": "timestamp_ms = 'x'"},
                {"order_by": ["tags.k ASC"]}, {"max_results": 501}, {"max_results": 0}, {"page_token": "???"}):
        assert_error(v3.post("traces/search", {"locations": loc, **bad}), "INVALID_PARAMETER_VALUE")
    assert_error(v3.post("traces/search", {"locations": [{"type": "INFERENCE_TABLE"}]}), "INVALID_PARAMETER_VALUE")
    assert _ids(v3.post("traces/search", {"locations": [
        {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "424242"}}]})[1]) == []

    # deletes and links
    assert_error(client.post("traces/delete-traces", {"experiment_id": exp}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("traces/delete-traces", {"experiment_id": exp, "max_timestamp_millis": 1,
                                                      "request_ids": [tid]}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("traces/delete-traces", {"experiment_id": exp, "max_timestamp_millis": 1,
                                                      "max_traces": 0}), "INVALID_PARAMETER_VALUE")
    run_id = client.create_run(exp)["info"]["run_id"]
    assert_error(client.post("traces/link-to-run", {"trace_ids": [missing], "run_id": run_id}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("traces/link-to-run", {"trace_ids": [tid], "run_id": "f" * 32}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("traces/link-to-run", {"trace_ids": [tid] * 101, "run_id": run_id}),
                 "INVALID_PARAMETER_VALUE")
    # nothing was deleted by the refused requests
    assert _v3(server).get(f"traces/{tid}")[0] == 200
    # deleting the experiment's traces of another experiment's id deletes nothing
    other = client.create_experiment(unique("traces-other"))
    assert client.ok_post("traces/delete-traces", {"experiment_id": other, "request_ids": [tid]}) == {
        "traces_deleted": 0}


def test_assessments_as_mlflow3_log_feedback_and_expectations_send_them(server, client):
    """mlflow.log_feedback / log_expectation / override_feedback / delete_assessment: the v3
    assessment endpoints under a trace; a trace's info carries its assessments."""
    v3 = _v3(server)
    exp = client.create_experiment(unique("assessments"))
    trace_id = _new_id()
    assert v3.post("traces", _trace_info(trace_id, exp))[0] == 200

    feedback = {"assessment": {
        "assessment_name": "correctness", "trace_id": trace_id,
        "source": {"source_type": "LLM_JUDGE", "source_id": "gpt-4o-mini"},
        "create_time": "2026-01-02T03:05:00Z", "last_update_time": "2026-01-02T03:05:00Z",
        "feedback": {"value": True}, "rationale": "matches the reference", "metadata": {"model": "judge-1"}}}
    st, body = v3.post(f"traces/{trace_id}/assessments", feedback)
    assert st == 200, body
    created = body["assessment"]
    assessment_id = created["assessment_id"]
    assert assessment_id.startswith("a-") and created["valid"] is True
    assert created["feedback"] == {"value": True} and created["create_time"] == "2026-01-02T03:05:00.000Z"
    assert created["source"] == {"source_type": "LLM_JUDGE", "source_id": "gpt-4o-mini"}
    assert created["metadata"] == {"model": "judge-1"} and created["trace_id"] == trace_id

    expectation = {"assessment": {"assessment_name": "expected_answer", "source": {"source_type": "HUMAN",
                                                                                   "source_id": "bob"},
                                  "expectation": {"value": {"answer": "42", "facts": ["a", "b"]}}}}
    st, body = v3.post(f"traces/{trace_id}/assessments", expectation)
    assert st == 200, body
    expected_id = body["assessment"]["assessment_id"]
    assert body["assessment"]["expectation"] == {"value": {"answer": "42", "facts": ["a", "b"]}}

    # get, and the trace's info lists both (oldest first)
    st, got = v3.get(f"traces/{trace_id}/assessments/{assessment_id}")
    assert st == 200 and got["assessment"] == created
    st, info = v3.get(f"traces/{trace_id}")
    assert [a["assessment_id"] for a in info["trace"]["trace_info"]["assessments"]] == [assessment_id, expected_id]

    # update_assessment: the fields its mask names (proto JSON writes the mask as one string)
    st, body = client_patch(v3, f"traces/{trace_id}/assessments/{assessment_id}", {
        "assessment": {"assessment_id": assessment_id, "trace_id": trace_id, "rationale": "checked again",
                       "feedback": {"value": False}, "assessment_name": "ignored"},
        "update_mask": "rationale,feedback"})
    assert st == 200, body
    updated = body["assessment"]
    assert updated["rationale"] == "checked again" and updated["feedback"] == {"value": False}
    assert updated["assessment_name"] == "correctness"  # not in the mask
    assert_error(client_patch(v3, f"traces/{trace_id}/assessments/{assessment_id}", {
        "assessment": {"expectation": {"value": 1}}, "update_mask": "expectation"}), "INVALID_PARAMETER_VALUE")
    assert_error(client_patch(v3, f"traces/{trace_id}/assessments/{assessment_id}", {
        "assessment": {"source": {"source_type": "HUMAN"}}, "update_mask": "source"}), "INVALID_PARAMETER_VALUE")

    # override_feedback: a new one that supersedes the old, which is then no longer valid
    override = {"assessment": {"assessment_name": "correctness", "source": {"source_type": "HUMAN", "source_id": "al"},
                               "feedback": {"value": True}, "overrides": assessment_id}}
    st, body = v3.post(f"traces/{trace_id}/assessments", override)
    assert st == 200, body
    override_id = body["assessment"]["assessment_id"]
    assert v3.get(f"traces/{trace_id}/assessments/{assessment_id}")[1]["assessment"]["valid"] is False
    # deleting the override makes the old one valid again
    st, _ = client_delete(v3, f"traces/{trace_id}/assessments/{override_id}")
    assert st == 200
    assert v3.get(f"traces/{trace_id}/assessments/{assessment_id}")[1]["assessment"]["valid"] is True
    assert_error(v3.get(f"traces/{trace_id}/assessments/{override_id}"), "RESOURCE_DOES_NOT_EXIST")

    # errors
    missing = _new_id()
    assert_error(v3.post(f"traces/{missing}/assessments", expectation), "RESOURCE_DOES_NOT_EXIST")
    assert_error(v3.post(f"traces/{missing}/assessments", feedback), "INVALID_PARAMETER_VALUE")  # not its trace
    for bad in ({}, {"assessment": {"feedback": {"value": 1}}},  # no name
                {"assessment": {"assessment_name": "x"}},  # neither feedback nor expectation
                {"assessment": {"assessment_name": "x", "feedback": {"value": 1}, "expectation": {"value": 2}}},
                {"assessment": {"assessment_name": "x", "feedback": 1}},
                {"assessment": {"assessment_name": "x", "feedback": {"value": 1}, "source": {"source_type": "ROBOT"}}},
                {"assessment": {"assessment_name": "x", "feedback": {"value": 1}, "create_time": "soon"}},
                {"assessment": {"assessment_name": "x", "feedback": {"value": 1}, "trace_id": missing}}):
        assert_error(v3.post(f"traces/{trace_id}/assessments", bad), "INVALID_PARAMETER_VALUE")
    assert_error(v3.post(f"traces/{trace_id}/assessments", {**override, "assessment": {
        **override["assessment"], "overrides": "a-" + "0" * 32}}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(v3.get(f"traces/{trace_id}/assessments/a-{'0' * 32}"), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client_delete(v3, f"traces/{trace_id}/assessments/a-{'0' * 32}"), "RESOURCE_DOES_NOT_EXIST")
    assert_error(v3.get(f"traces/{trace_id}/assessments/{assessment_id}/x"), "RESOURCE_DOES_NOT_EXIST")
    # feedback and expectations have the proto's shape
    for bad in ({"feedback": {"error": 5}}, {"feedback": {}}, {"feedback": {"value": 1, "junk": {}}},
                {"feedback": {"error": {"error_code": 7}}}, {"expectation": {"serialized_value": "str"}},
                {"expectation": {"value": 1, "serialized_value": {"serialization_format": "JSON", "value": "1"}}},
                {"expectation": {"serialized_value": {"value": 1}}},
                {"feedback": {"value": 1}, "create_time": "2026-02-31T00:00:00Z"},
                {"feedback": {"value": 1}, "create_time": "1969-12-31T23:59:59Z"}):
        assert_error(v3.post(f"traces/{trace_id}/assessments", {"assessment": {"assessment_name": "x", **bad}}),
                     "INVALID_PARAMETER_VALUE")
    for good in ({"feedback": {"error": {"error_code": "TIMEOUT", "error_message": "judge timed out"}}},
                 {"feedback": {"value": None, "error": {"error_message": "no answer"}}},
                 {"expectation": {"serialized_value": {"serialization_format": "JSON", "value": "[1]"}}}):
        st, body = v3.post(f"traces/{trace_id}/assessments", {"assessment": {"assessment_name": "x", **good}})
        assert st == 200, body
        kind = "feedback" if "feedback" in good else "expectation"
        assert body["assessment"][kind] == good[kind]

    # overrides stay consistent when one in a chain is deleted
    def log(overrides=None):
        body = {"assessment": {"assessment_name": "chain", "feedback": {"value": 1},
                               **({"overrides": overrides} if overrides else {})}}
        st, got = v3.post(f"traces/{trace_id}/assessments", body)
        assert st == 200, got
        return got["assessment"]["assessment_id"]

    def valid(aid):
        return v3.get(f"traces/{trace_id}/assessments/{aid}")[1]["assessment"]["valid"]

    a = log()
    b = log(a)
    c = log(b)
    assert (valid(a), valid(b), valid(c)) == (False, False, True)
    assert client_delete(v3, f"traces/{trace_id}/assessments/{b}")[0] == 200
    assert not valid(a) and valid(c)  # c now supersedes a
    assert v3.get(f"traces/{trace_id}/assessments/{c}")[1]["assessment"]["overrides"] == a
    assert client_delete(v3, f"traces/{trace_id}/assessments/{c}")[0] == 200
    assert valid(a)
    d, e = log(a), log(a)  # two that supersede one
    assert client_delete(v3, f"traces/{trace_id}/assessments/{e}")[0] == 200
    assert not valid(a)  # d still supersedes it
    assert client_delete(v3, f"traces/{trace_id}/assessments/{d}")[0] == 200
    assert valid(a)

    # updates name their fields; the body's trace is the path's
    assert_error(client_patch(v3, f"traces/{trace_id}/assessments/{a}", {
        "assessment": {"rationale": "y", "trace_id": missing}}), "INVALID_PARAMETER_VALUE")
    assert_error(client_patch(v3, f"traces/{trace_id}/assessments/{a}", {
        "assessment": {"rationale": "y"}, "update_mask": ""}), "INVALID_PARAMETER_VALUE")
    st, body = client_patch(v3, f"traces/{trace_id}/assessments/{a}", {
        "assessment": {"rationale": "y"}, "update_mask": ",rationale"})
    assert st == 200 and body["assessment"]["rationale"] == "y"
    st, body = client_patch(v3, f"traces/{trace_id}/assessments/{a}", {  # no mask: the fields sent
        "assessment": {"assessment_id": a, "rationale": "z", "source": {"source_type": "HUMAN"}}})
    assert st == 200 and body["assessment"]["rationale"] == "z"

    # the assessments go with their trace
    assert client.ok_post("traces/delete-traces", {"experiment_id": exp, "request_ids": [trace_id]})[
        "traces_deleted"] == 1
    assert_error(v3.get(f"traces/{trace_id}/assessments/{assessment_id}"), "RESOURCE_DOES_NOT_EXIST")


def client_patch(client, route, body):
    return client.request("PATCH", route, body)


def client_delete(client, route):
    return client.request("DELETE", route, {})
