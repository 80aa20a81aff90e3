# SPDX-License-Identifier: Apache-2.0
"""Server-side validation limits: everything here is 400 INVALID_PARAMETER_VALUE (or 404 for an
unknown run) and never a 5xx."""
import json
import uuid

import pytest

from mlhub_testlib import assert_error, metrics_dict, now_ms, params_dict, run_tags

BAD_KEYS = ["bad*key", "semi;colon", "quote'key", "back\\slash", "new\nline", "tab\tkey", "colon:key",
            "..", "a/../b", "/leading", "a//b", ".", "", "../up", "pct%key"]
GOOD_KEYS = ["simple", "with space", "dots.and-dashes_and/slash", "UPPER123", "k" * 250, "a/b/c", "x.y.z"]


def _log(client, kind, rid, key, value=None):
    if kind == "metric":
        return client.post("runs/log-metric", {"run_id": rid, "key": key, "value": 1.0 if value is None else value,
                                               "timestamp": now_ms(), "step": 0})
    if kind == "param":
        return client.post("runs/log-parameter", {"run_id": rid, "key": key, "value": "v" if value is None else value})
    if kind == "tag":
        return client.post("runs/set-tag", {"run_id": rid, "key": key, "value": "v" if value is None else value})
    if kind == "batch-metric":
        return client.post("runs/log-batch", {"run_id": rid, "metrics": [
            {"key": key, "value": 1.0 if value is None else value, "timestamp": 1, "step": 0}]})
    if kind == "batch-param":
        return client.post("runs/log-batch", {"run_id": rid, "params": [{"key": key, "value": value or "v"}]})
    if kind == "batch-tag":
        return client.post("runs/log-batch", {"run_id": rid, "tags": [{"key": key, "value": value or "v"}]})
    raise AssertionError(kind)


KINDS = ["metric", "param", "tag", "batch-metric", "batch-param", "batch-tag"]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_keys_rejected(client, run, kind):
    rid = run["info"]["run_id"]
    for key in BAD_KEYS:
        assert_error(_log(client, kind, rid, key), "INVALID_PARAMETER_VALUE")
    got = client.get_run(rid)
    assert not metrics_dict(got) and not params_dict(got)
    assert all(k.startswith("mlflow.") for k in run_tags(got)), run_tags(got)


@pytest.mark.parametrize("kind", KINDS)
def test_good_keys_accepted(client, run, kind):
    rid = run["info"]["run_id"]
    for key in GOOD_KEYS:
        st, js = _log(client, kind, rid, key)
        assert st == 200, (kind, key, st, js)


@pytest.mark.parametrize("kind", ["param", "tag", "batch-metric", "batch-param", "batch-tag"])
def test_key_length_limit(client, run, kind):
    rid = run["info"]["run_id"]
    assert_error(_log(client, kind, rid, "k" * 251), "INVALID_PARAMETER_VALUE")


def test_param_value_limit(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/log-parameter", {"run_id": rid, "key": "p6000", "value": "v" * 6000})
    assert_error(client.post("runs/log-parameter", {"run_id": rid, "key": "p6001", "value": "v" * 6001}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-batch", {"run_id": rid, "params": [{"key": "b6001", "value": "v" * 6001}]}),
                 "INVALID_PARAMETER_VALUE")
    ps = params_dict(client.get_run(rid))
    assert ps == {"p6000": "v" * 6000}


def test_error_excerpts_cut_whole_characters(client, run):
    # 25 ASCII bytes, then two-byte characters: a 50-byte cut lands inside one of them.
    rid = run["info"]["run_id"]
    value = "v" * 25 + "é" * 3000
    body = assert_error(client.post("runs/log-parameter", {"run_id": rid, "key": "utf8", "value": value}),
                        "INVALID_PARAMETER_VALUE")
    assert "\ufffd" not in body["message"], body["message"]
    assert "v" * 25 + "é" * 12 + "'" in body["message"], body["message"]


def test_tag_value_limit(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "t5000", "value": "v" * 5000})
    assert_error(client.post("runs/set-tag", {"run_id": rid, "key": "t5001", "value": "v" * 5001}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-batch", {"run_id": rid, "tags": [{"key": "b5001", "value": "v" * 5001}]}),
                 "INVALID_PARAMETER_VALUE")
    tags = run_tags(client.get_run(rid))
    assert tags["t5000"] == "v" * 5000 and "t5001" not in tags and "b5001" not in tags


def _metrics(n, prefix="m"):
    return [{"key": f"{prefix}{i % 50}", "value": float(i), "timestamp": 1, "step": i} for i in range(n)]


def test_batch_limits(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/log-batch", {"run_id": rid, "metrics": _metrics(1000, "ok")})
    assert_error(client.post("runs/log-batch", {"run_id": rid, "metrics": _metrics(1001, "over")}),
                 "INVALID_PARAMETER_VALUE")
    params = [{"key": f"p{i}", "value": "v"} for i in range(101)]
    assert_error(client.post("runs/log-batch", {"run_id": rid, "params": params}), "INVALID_PARAMETER_VALUE")
    tags = [{"key": f"t{i}", "value": "v"} for i in range(101)]
    assert_error(client.post("runs/log-batch", {"run_id": rid, "tags": tags}), "INVALID_PARAMETER_VALUE")
    # each list within its limit but more than 1000 entities in total
    total = {"run_id": rid, "metrics": _metrics(950, "tot"), "params": params[:100], "tags": tags[:10]}
    assert_error(client.post("runs/log-batch", total), "INVALID_PARAMETER_VALUE")
    got = client.get_run(rid)
    assert not any(k.startswith(("over", "tot")) for k in metrics_dict(got))
    assert params_dict(got) == {}
    assert len(client.history(rid, "ok0")) == 20
    client.ok_post("runs/log-batch", {"run_id": rid, "params": params[:100], "tags": tags[:100]})
    assert len(params_dict(client.get_run(rid))) == 100


@pytest.mark.parametrize("route", ["runs/log-metric", "runs/log-batch"])
@pytest.mark.parametrize("value", [True, False, None, "", "x1", [1], {"v": 1}])
def test_metric_value_must_be_numeric(client, run, route, value):
    rid = run["info"]["run_id"]
    m = {"key": "m", "timestamp": 1, "step": 0}
    if value is not None:
        m["value"] = value
    body = dict(m, run_id=rid) if route == "runs/log-metric" else {"run_id": rid, "metrics": [m]}
    assert_error(client.post(route, body), "INVALID_PARAMETER_VALUE")
    assert "m" not in metrics_dict(client.get_run(rid))


@pytest.mark.parametrize("route", ["runs/log-metric", "runs/log-batch"])
def test_metric_timestamp_required_and_nonnegative(client, run, route):
    rid = run["info"]["run_id"]
    for m in ({"key": "m", "value": 1.0, "step": 0}, {"key": "m", "value": 1.0, "step": 0, "timestamp": -1}):
        body = dict(m, run_id=rid) if route == "runs/log-metric" else {"run_id": rid, "metrics": [m]}
        assert_error(client.post(route, body), "INVALID_PARAMETER_VALUE")


def test_required_fields(client, run):
    rid = run["info"]["run_id"]
    assert_error(client.post("runs/log-metric", {"run_id": rid, "value": 1, "timestamp": 1}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-parameter", {"run_id": rid, "value": "v"}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/delete", {}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/delete-tag", {"run_id": rid}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/set-experiment-tag", {"key": "k", "value": "v"}), "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("route,body", [
    ("runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}),
    ("runs/log-parameter", {"key": "p", "value": "v"}),
    ("runs/set-tag", {"key": "t", "value": "v"}),
    ("runs/log-batch", {"tags": [{"key": "t", "value": "v"}]}),
    ("runs/update", {"status": "FINISHED"}),
    ("runs/log-model", {"model_json": json.dumps({"artifact_path": "m", "flavors": {}, "run_id": "r",
                                                  "utc_time_created": "2023-12-15 10:00:00.000000"})}),
])
def test_unknown_run_is_404(client, route, body):
    assert_error(client.post(route, dict(body, run_id=uuid.uuid4().hex)), "RESOURCE_DOES_NOT_EXIST")


def test_unknown_run_get_routes_404(client):
    rid = uuid.uuid4().hex
    assert_error(client.get("runs/get", {"run_id": rid}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("metrics/get-history", {"run_id": rid, "metric_key": "m"}), "RESOURCE_DOES_NOT_EXIST")


def test_search_max_results_limit(client, exp):
    assert_error(client.post("runs/search", {"experiment_ids": [exp], "max_results": 50001}), "INVALID_PARAMETER_VALUE")
    assert client.ok_post("runs/search", {"experiment_ids": [exp], "max_results": 50000}) is not None
