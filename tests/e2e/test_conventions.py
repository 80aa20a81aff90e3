# SPDX-License-Identifier: Apache-2.0
"""Transport / JSON conventions that unmodified MLflow clients depend on."""
import json
import math

import pytest
import requests

from mlhub_testlib import (API, assert_error, check_error_body, metrics_dict, now_ms, params_dict,
                           strict_json, unique)

MAX_DOUBLE = 1.7976931348623157e308


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# --- int64 / numbers ----------------------------------------------------------------------------


def test_int64_fields_are_json_numbers(client, exp, server):
    run = client.create_run(exp, start_time=1700000000123)
    rid = run["info"]["run_id"]
    client.log_metric(rid, "m", 1.0, step=7, timestamp=1700000000456)
    client.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 1700000000789})
    raw = requests.get(f"{server.url}{API}/runs/get", params={"run_id": rid}, timeout=30).text
    assert '"1700000000123"' not in raw and '"1700000000456"' not in raw, raw
    got = strict_json(raw)["run"]
    assert _is_int(got["info"]["start_time"]) and got["info"]["start_time"] == 1700000000123
    assert _is_int(got["info"]["end_time"]) and got["info"]["end_time"] == 1700000000789
    m = got["data"]["metrics"][0]
    assert _is_int(m["timestamp"]) and m["timestamp"] == 1700000000456
    assert _is_int(m["step"]) and m["step"] == 7
    h = client.history(rid, "m")[0]
    assert _is_int(h["timestamp"]) and _is_int(h["step"])
    e = client.ok_get("experiments/get", {"experiment_id": exp})["experiment"]
    assert _is_int(e["creation_time"]) and _is_int(e["last_update_time"])


def test_large_int64_round_trip(client, run):
    rid = run["info"]["run_id"]
    big_ts = 2 ** 53 + 1  # not representable as a double: must not pass through one
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "big", "value": 1, "timestamp": big_ts,
                                       "step": 2 ** 40})
    h = client.history(rid, "big")
    assert h[0]["timestamp"] == big_ts and h[0]["step"] == 2 ** 40


def test_numeric_strings_accepted(client, exp):
    run = client.ok_post("runs/create", {"experiment_id": exp, "start_time": "1700000000000"})["run"]
    rid = run["info"]["run_id"]
    assert run["info"]["start_time"] == 1700000000000
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "s", "value": "2.5", "timestamp": "123", "step": "4"})
    assert client.history(rid, "s") == [{"key": "s", "value": 2.5, "timestamp": 123, "step": 4}]
    client.ok_post("runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "b", "value": "1.5", "timestamp": "77", "step": "9"}]})
    assert client.history(rid, "b") == [{"key": "b", "value": 1.5, "timestamp": 77, "step": 9}]
    info = client.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": "1700000000999"})["run_info"]
    assert info["end_time"] == 1700000000999
    js = client.ok_post("runs/search", {"experiment_ids": [exp], "max_results": "5"})
    assert len(js["runs"]) == 1


def test_integral_float_accepted_for_int64(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "f", "value": 1, "timestamp": 500.0, "step": 3.0})
    assert client.history(rid, "f") == [{"key": "f", "value": 1, "timestamp": 500, "step": 3}]


# --- enums --------------------------------------------------------------------------------------


def test_enums_names_out_integers_in(client, run, exp):
    rid = run["info"]["run_id"]
    info = client.ok_post("runs/update", {"run_id": rid, "status": 3})["run_info"]
    assert info["status"] == "FINISHED"
    assert client.get_run(rid)["info"]["status"] == "FINISHED"
    assert client.ok_post("runs/update", {"run_id": rid, "status": 5})["run_info"]["status"] == "KILLED"
    client.ok_post("runs/delete", {"run_id": rid})
    assert client.search_runs([exp], run_view_type=2)["runs"][0]["info"]["run_id"] == rid
    assert client.search_runs([exp], run_view_type="DELETED_ONLY")["runs"][0]["info"]["run_id"] == rid
    assert client.search_runs([exp], run_view_type=1).get("runs", []) == []


def test_bad_enum_rejected(client, run, exp):
    assert_error(client.post("runs/update", {"run_id": run["info"]["run_id"], "status": 99}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/search", {"experiment_ids": [exp], "run_view_type": "SOMETIMES"}),
                 "INVALID_PARAMETER_VALUE")


# --- NaN / Infinity -------------------------------------------------------------------------------


def test_nan_and_infinities(client, run, server):
    rid = run["info"]["run_id"]
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "nan", "value": "NaN", "timestamp": 1, "step": 0})
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "pinf", "value": "Infinity", "timestamp": 1})
    client.ok_post("runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "ninf", "value": "-Infinity", "timestamp": 1, "step": 0},
        {"key": "nan2", "value": "NaN", "timestamp": 1, "step": 0}]})
    # responses must be standard JSON (strict_json refuses bare NaN / Infinity tokens)
    raw = requests.get(f"{server.url}{API}/runs/get", params={"run_id": rid}, timeout=30).text
    ms = metrics_dict(strict_json(raw)["run"])
    assert ms["nan"]["value"] == "NaN" and ms["nan2"]["value"] == "NaN"
    assert ms["pinf"]["value"] in ("Infinity", MAX_DOUBLE)
    assert ms["ninf"]["value"] in ("-Infinity", -MAX_DOUBLE)
    assert client.history(rid, "nan")[0]["value"] == "NaN"
    assert client.history(rid, "pinf")[0]["value"] in ("Infinity", MAX_DOUBLE)
    assert client.history(rid, "ninf")[0]["value"] in ("-Infinity", -MAX_DOUBLE)


def test_nan_searchable_and_not_equal_to_numbers(client, exp):
    rid = client.create_run(exp)["info"]["run_id"]
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "q", "value": "NaN", "timestamp": 1})
    js = client.search_runs([exp], filter="metrics.q > 0")
    assert js.get("runs", []) == []


# --- request encoding ---------------------------------------------------------------------------


def test_unknown_fields_ignored(client, exp):
    js = client.ok_post("runs/create", {"experiment_id": exp, "start_time": now_ms(), "bogus": 1,
                                        "nested_bogus": {"a": [1, 2, {"b": None}]}})
    rid = js["run"]["info"]["run_id"]
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "k", "value": 1, "timestamp": 1, "extra": "x"})
    js = client.ok_get("runs/get", {"run_id": rid, "unknown_query_field": "1"})
    assert js["run"]["info"]["run_id"] == rid


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_post_requires_json_content_type(client, server, ctype):
    body = json.dumps({"name": unique("ct")})
    headers = {} if ctype is None else {"Content-Type": ctype}
    r = requests.post(f"{server.url}{API}/experiments/create", data=body.encode(), headers=headers, timeout=30)
    if ctype is None:
        assert "Content-Type" not in r.request.headers
    assert r.status_code == 400, (r.status_code, r.text)
    js = strict_json(r.text)
    assert js["error_code"] == "INVALID_PARAMETER_VALUE", js
    assert r.headers.get("Content-Type", "").startswith("application/json")


def test_json_content_type_with_charset(client):
    name = unique("charset")
    st, js = client.post("experiments/create", data=json.dumps({"name": name}).encode(),
                         headers={"Content-Type": "application/json; charset=utf-8"})
    assert st == 200 and js["experiment_id"]


@pytest.mark.parametrize("payload", [b"{not json", b'{"name": "x"', b"", b"[1, 2]", b'"just a string"', b"\xff\xfe"])
def test_malformed_json_is_400(client, payload):
    st, js = client.post("experiments/create", data=payload, headers={"Content-Type": "application/json"})
    assert st == 400, (st, js)
    assert js["error_code"] in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST", "MALFORMED_REQUEST"), js


def test_wrong_typed_fields_are_400(client, run):
    rid = run["info"]["run_id"]
    assert_error(client.post("experiments/create", {"name": 123}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-parameter", {"run_id": rid, "key": ["a"], "value": "v"}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-metric", {"run_id": rid, "key": "m", "value": "abc", "timestamp": 1}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": "soon"}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1, "step": 1.5}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-batch", {"run_id": rid, "metrics": {"key": "m"}}), "INVALID_PARAMETER_VALUE")


def test_utf8_round_trip(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "note", "value": "héllo ✓ 日本 \"q\" \\ \n\t"})
    client.ok_post("runs/log-parameter", {"run_id": rid, "key": "emoji", "value": "🚀"})
    got = client.get_run(rid)
    assert {t["key"]: t["value"] for t in got["data"]["tags"]}["note"] == "héllo ✓ 日本 \"q\" \\ \n\t"
    assert params_dict(got)["emoji"] == "🚀"


def test_error_bodies_everywhere(client, server):
    """A sample of failing calls: all JSON {error_code, message} with the mapped status."""
    calls = [
        ("GET", "experiments/get", {"experiment_id": "987654321"}),
        ("GET", "runs/get", {"run_id": "0" * 32}),
        ("POST", "runs/log-metric", {}),
        ("POST", "experiments/create", {}),
        ("POST", "runs/search", {"experiment_ids": ["0"], "filter": "((("}),
    ]
    for method, route, body in calls:
        url = f"{server.url}{API}/{route}"
        r = requests.get(url, params=body, timeout=30) if method == "GET" else requests.post(url, json=body, timeout=30)
        assert 400 <= r.status_code < 500, (route, r.status_code, r.text)
        assert r.headers.get("Content-Type", "").startswith("application/json"), (route, r.headers)
        check_error_body(strict_json(r.text), route, r.status_code)


# --- latest-metric rule ---------------------------------------------------------------------------


def test_latest_metric_highest_step_wins(client, run):
    rid = run["info"]["run_id"]
    client.log_metric(rid, "m", 10.0, step=0, timestamp=100)
    client.log_metric(rid, "m", 20.0, step=2, timestamp=100)
    client.log_metric(rid, "m", 30.0, step=1, timestamp=900)
    m = metrics_dict(client.get_run(rid))["m"]
    assert (m["value"], m["step"]) == (20.0, 2)


def test_latest_metric_tie_on_step_by_timestamp_then_value(client, run):
    rid = run["info"]["run_id"]
    client.log_metric(rid, "t", 5.0, step=1, timestamp=300)
    client.log_metric(rid, "t", 9.0, step=1, timestamp=200)
    m = metrics_dict(client.get_run(rid))["t"]
    assert (m["value"], m["timestamp"]) == (5.0, 300)
    client.log_metric(rid, "v", 1.0, step=4, timestamp=300)
    client.log_metric(rid, "v", 7.0, step=4, timestamp=300)
    client.log_metric(rid, "v", 3.0, step=4, timestamp=300)
    assert metrics_dict(client.get_run(rid))["v"]["value"] == 7.0


def test_latest_metric_via_batch_and_negative_steps(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "b", "value": 1.0, "timestamp": 10, "step": 5},
        {"key": "b", "value": 2.0, "timestamp": 10, "step": -1},
        {"key": "b", "value": 3.0, "timestamp": 99, "step": 3}]})
    m = metrics_dict(client.get_run(rid))["b"]
    assert (m["value"], m["step"]) == (1.0, 5)


def test_latest_metric_respects_step_over_nan(client, run):
    rid = run["info"]["run_id"]
    client.log_metric(rid, "n", 1.0, step=0, timestamp=10)
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "n", "value": "NaN", "timestamp": 20, "step": 1})
    assert metrics_dict(client.get_run(rid))["n"]["value"] == "NaN"


def test_metric_value_precision(client, run):
    rid = run["info"]["run_id"]
    vals = [0.1, 1 / 3, 1e-300, -2.5e300, 123456789.123456789, 5e-324]
    for i, v in enumerate(vals):
        client.log_metric(rid, "p", v, step=i, timestamp=1)
    got = sorted(client.history(rid, "p"), key=lambda m: m["step"])
    assert [m["value"] for m in got] == vals
    assert all(isinstance(m["value"], float) or _is_int(m["value"]) for m in got)
    assert not any(math.isnan(m["value"]) for m in got)


def test_oversized_body_is_a_json_4xx(server):
    body = b'{"name": "' + b"a" * (70 << 20) + b'"}'
    try:
        r = requests.post(f"{server.url}{API}/experiments/create", data=body,
                          headers={"Content-Type": "application/json"}, timeout=60)
    except requests.ConnectionError as e:
        pytest.fail(f"server dropped the connection instead of answering: {e}")
    assert 400 <= r.status_code < 500 and r.status_code != 429, (r.status_code, r.text[:300])
    assert r.headers.get("Content-Type", "").startswith("application/json"), (r.status_code, r.headers, r.text[:200])
    check_error_body(strict_json(r.text), "oversized POST", r.status_code)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
