# SPDX-License-Identifier: Apache-2.0
"""Runs: create / get / update / delete / restore, logging routes, log-model, log-inputs,
metric history and the tracking artifacts/list route."""
import json
import re
import uuid

import pytest

from mlhub_testlib import (ARTIFACTS, assert_error, metrics_dict, now_ms, params_dict, run_tags)

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def _unknown_run_id():
    return uuid.uuid4().hex


# --- smoke over both prefixes -------------------------------------------------------------------


def test_run_smoke_both_prefixes(any_client):
    c = any_client
    exp = c.create_experiment()
    run = c.create_run(exp, run_name="smoke")
    rid = run["info"]["run_id"]
    c.log_metric(rid, "loss", 0.5, step=1, timestamp=1000)
    c.ok_post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"})
    c.ok_post("runs/set-tag", {"run_id": rid, "key": "t", "value": "v"})
    c.ok_post("runs/log-batch", {"run_id": rid, "metrics": [{"key": "acc", "value": 0.9, "timestamp": 1, "step": 0}]})
    got = c.get_run(rid)
    assert params_dict(got) == {"lr": "0.1"}
    assert run_tags(got)["t"] == "v"
    assert set(metrics_dict(got)) == {"loss", "acc"}
    assert c.history(rid, "loss") == [{"key": "loss", "value": 0.5, "timestamp": 1000, "step": 1}]
    info = c.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": now_ms()})["run_info"]
    assert info["status"] == "FINISHED"
    js = c.search_runs([exp])
    assert [r["info"]["run_id"] for r in js["runs"]] == [rid]
    assert_error(c.get("runs/get", {"run_id": _unknown_run_id()}), "RESOURCE_DOES_NOT_EXIST")


# --- create / get ---------------------------------------------------------------------------------


def test_create_run_shape(client, exp):
    start = now_ms()
    js = client.ok_post("runs/create", {"experiment_id": exp, "start_time": start, "user_id": "alice",
                                        "run_name": "first", "tags": [{"key": "t1", "value": "v1"}]})
    run = js["run"]
    info = run["info"]
    assert HEX32.match(info["run_id"]), info
    assert info["run_uuid"] == info["run_id"]
    assert info["experiment_id"] == exp
    assert info["status"] == "RUNNING"
    assert info["lifecycle_stage"] == "active"
    assert info["start_time"] == start
    assert info["user_id"] == "alice"
    assert info["run_name"] == "first"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp}/{info['run_id']}/artifacts"
    assert "end_time" not in info or info["end_time"] in (None, 0)
    tags = run_tags(run)
    assert tags["mlflow.runName"] == "first"
    assert tags["t1"] == "v1"
    # the stored run reads back identically
    got = client.get_run(info["run_id"])
    assert got["info"] == info
    assert run_tags(got) == tags


def test_run_ids_unique(client, exp):
    ids = {client.create_run(exp)["info"]["run_id"] for _ in range(5)}
    assert len(ids) == 5


def test_run_name_from_tag(client, exp):
    run = client.create_run(exp, tags=[{"key": "mlflow.runName", "value": "from-tag"}])
    assert run["info"]["run_name"] == "from-tag"
    assert run_tags(client.get_run(run["info"]["run_id"]))["mlflow.runName"] == "from-tag"


def test_run_name_generated(client, exp):
    run = client.create_run(exp)
    name = run["info"]["run_name"]
    assert re.match(r"^[a-z]+-[a-z]+-\d+$", name), name
    assert run_tags(client.get_run(run["info"]["run_id"]))["mlflow.runName"] == name


def test_run_name_field_and_equal_tag_ok_conflict_rejected(client, exp):
    run = client.create_run(exp, run_name="same", tags=[{"key": "mlflow.runName", "value": "same"}])
    assert run["info"]["run_name"] == "same"
    assert_error(client.post("runs/create", {"experiment_id": exp, "start_time": now_ms(), "run_name": "a",
                                             "tags": [{"key": "mlflow.runName", "value": "b"}]}),
                 "INVALID_PARAMETER_VALUE")


def test_create_run_unknown_experiment(client):
    assert_error(client.post("runs/create", {"experiment_id": "987654321", "start_time": now_ms()}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_get_by_run_uuid(client, run):
    rid = run["info"]["run_id"]
    got = client.ok_get("runs/get", {"run_uuid": rid})["run"]
    assert got["info"]["run_id"] == rid


def test_get_run_missing_id(client):
    assert_error(client.get("runs/get", {}), "INVALID_PARAMETER_VALUE")


# --- update / delete / restore ------------------------------------------------------------------


def test_update_run(client, run):
    rid = run["info"]["run_id"]
    end = now_ms() + 10
    info = client.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": end})["run_info"]
    assert info["run_id"] == rid and info["status"] == "FINISHED" and info["end_time"] == end
    got = client.get_run(rid)["info"]
    assert got["status"] == "FINISHED" and got["end_time"] == end
    assert got["run_name"] == run["info"]["run_name"]


def test_update_run_name_rewrites_tag(client, run):
    rid = run["info"]["run_id"]
    info = client.ok_post("runs/update", {"run_id": rid, "run_name": "renamed"})["run_info"]
    assert info["run_name"] == "renamed"
    got = client.get_run(rid)
    assert got["info"]["run_name"] == "renamed"
    assert got["info"]["status"] == "RUNNING"
    assert run_tags(got)["mlflow.runName"] == "renamed"


def test_set_run_name_tag_renames(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "mlflow.runName", "value": "via-tag"})
    assert client.get_run(rid)["info"]["run_name"] == "via-tag"


def test_update_by_run_uuid_only(client, run):
    rid = run["info"]["run_id"]
    info = client.ok_post("runs/update", {"run_uuid": rid, "status": "KILLED"})["run_info"]
    assert info["status"] == "KILLED"
    assert client.get_run(rid)["info"]["status"] == "KILLED"


def test_update_unknown_run(client):
    assert_error(client.post("runs/update", {"run_id": _unknown_run_id(), "status": "FINISHED"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_update_bad_status(client, run):
    assert_error(client.post("runs/update", {"run_id": run["info"]["run_id"], "status": "NOT_A_STATUS"}),
                 "INVALID_PARAMETER_VALUE")


def test_delete_restore_run(client, exp):
    rid = client.create_run(exp)["info"]["run_id"]
    assert client.ok_post("runs/delete", {"run_id": rid}) == {}
    assert client.get_run(rid)["info"]["lifecycle_stage"] == "deleted"
    assert client.search_runs([exp]).get("runs", []) == []
    for route, body in [("runs/log-metric", {"key": "m", "value": 1, "timestamp": now_ms()}),
                        ("runs/log-parameter", {"key": "p", "value": "v"}),
                        ("runs/set-tag", {"key": "t", "value": "v"}),
                        ("runs/log-batch", {"metrics": [{"key": "m", "value": 1, "timestamp": 1}]})]:
        assert_error(client.post(route, dict(body, run_id=rid)), "INVALID_PARAMETER_VALUE")
    assert client.ok_post("runs/restore", {"run_id": rid}) == {}
    assert client.get_run(rid)["info"]["lifecycle_stage"] == "active"
    client.log_metric(rid, "m", 1)
    assert [r["info"]["run_id"] for r in client.search_runs([exp])["runs"]] == [rid]


def test_delete_unknown_run(client):
    assert_error(client.post("runs/delete", {"run_id": _unknown_run_id()}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("runs/restore", {"run_id": _unknown_run_id()}), "RESOURCE_DOES_NOT_EXIST")


def test_logging_into_finished_run_is_allowed(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": now_ms()})
    client.log_metric(rid, "after", 3.0)
    client.ok_post("runs/log-parameter", {"run_id": rid, "key": "p", "value": "v"})
    got = client.get_run(rid)
    assert metrics_dict(got)["after"]["value"] == 3.0 and params_dict(got) == {"p": "v"}


# --- metrics / params / tags --------------------------------------------------------------------


def test_log_metric_and_history(client, run):
    rid = run["info"]["run_id"]
    client.log_metric(rid, "loss", 1.5, step=0, timestamp=100)
    client.log_metric(rid, "loss", 1.25, step=1, timestamp=200)
    client.ok_post("runs/log-metric", {"run_id": rid, "key": "nostep", "value": 7, "timestamp": 300})
    hist = client.history(rid, "loss")
    assert sorted((m["step"], m["timestamp"], m["value"]) for m in hist) == [(0, 100, 1.5), (1, 200, 1.25)]
    assert all(set(m) == {"key", "value", "timestamp", "step"} and m["key"] == "loss" for m in hist)
    assert client.history(rid, "nostep") == [{"key": "nostep", "value": 7, "timestamp": 300, "step": 0}]
    m = metrics_dict(client.get_run(rid))["loss"]
    assert (m["value"], m["step"], m["timestamp"]) == (1.25, 1, 200)


def test_history_is_complete_in_one_response(client, run):
    rid = run["info"]["run_id"]
    n = 2500
    for base in range(0, n, 1000):
        metrics = [{"key": "long", "value": float(i), "timestamp": 1000 + i, "step": i}
                   for i in range(base, min(n, base + 1000))]
        client.ok_post("runs/log-batch", {"run_id": rid, "metrics": metrics})
    js = client.ok_get("metrics/get-history", {"run_id": rid, "metric_key": "long"})
    steps = sorted(m["step"] for m in js["metrics"])
    assert steps == list(range(n)), f"got {len(steps)} of {n} points in one response"
    assert not js.get("next_page_token")


def test_history_edge_cases(client, run):
    rid = run["info"]["run_id"]
    js = client.ok_get("metrics/get-history", {"run_id": rid, "metric_key": "never-logged"})
    assert js.get("metrics", []) == []
    assert_error(client.get("metrics/get-history", {"run_id": rid}), "INVALID_PARAMETER_VALUE")
    assert_error(client.get("metrics/get-history", {"run_id": _unknown_run_id(), "metric_key": "m"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_exact_duplicate_metric_tolerated(client, run):
    rid = run["info"]["run_id"]
    client.log_metric(rid, "dup", 1.0, step=3, timestamp=50)
    client.log_metric(rid, "dup", 1.0, step=3, timestamp=50)
    assert len(client.history(rid, "dup")) >= 1


def test_params(client, run):
    rid = run["info"]["run_id"]
    assert client.ok_post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.01"}) == {}
    client.ok_post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.01"})  # same value: no-op
    assert_error(client.post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.02"}),
                 "INVALID_PARAMETER_VALUE")
    client.ok_post("runs/log-parameter", {"run_id": rid, "key": "empty", "value": ""})
    assert params_dict(client.get_run(rid)) == {"lr": "0.01", "empty": ""}


def test_tags_overwrite_and_delete(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "t", "value": "1"})
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "t", "value": "2"})
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "keep", "value": "k"})
    tags = run_tags(client.get_run(rid))
    assert tags["t"] == "2" and tags["keep"] == "k"
    assert client.ok_post("runs/delete-tag", {"run_id": rid, "key": "t"}) == {}
    tags = run_tags(client.get_run(rid))
    assert "t" not in tags and tags["keep"] == "k"
    assert_error(client.post("runs/delete-tag", {"run_id": rid, "key": "t"}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("runs/delete-tag", {"run_id": _unknown_run_id(), "key": "t"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_log_batch(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "t0", "value": "old"})
    body = {
        "run_id": rid,
        "metrics": [{"key": "m1", "value": 1.0, "timestamp": 10, "step": 0},
                    {"key": "m1", "value": 2.0, "timestamp": 20, "step": 1},
                    {"key": "m2", "value": -3.5, "timestamp": 10, "step": 0}],
        "params": [{"key": "p1", "value": "a"}, {"key": "p2", "value": "b"}],
        "tags": [{"key": "t0", "value": "new"}, {"key": "t1", "value": "x"}],
    }
    assert client.ok_post("runs/log-batch", body) == {}
    got = client.get_run(rid)
    assert params_dict(got) == {"p1": "a", "p2": "b"}
    tags = run_tags(got)
    assert tags["t0"] == "new" and tags["t1"] == "x"
    ms = metrics_dict(got)
    assert ms["m1"]["value"] == 2.0 and ms["m2"]["value"] == -3.5
    assert len(client.history(rid, "m1")) == 2
    # empty batch is fine
    assert client.ok_post("runs/log-batch", {"run_id": rid}) == {}


def test_log_batch_param_conflicts(client, run):
    rid = run["info"]["run_id"]
    client.ok_post("runs/log-parameter", {"run_id": rid, "key": "fixed", "value": "1"})
    assert_error(client.post("runs/log-batch", {"run_id": rid, "params": [{"key": "fixed", "value": "2"}]}),
                 "INVALID_PARAMETER_VALUE")
    bad = {"run_id": rid,
           "metrics": [{"key": "from_bad_batch", "value": 1, "timestamp": 1}],
           "params": [{"key": "d", "value": "1"}, {"key": "d", "value": "2"}]}
    assert_error(client.post("runs/log-batch", bad), "INVALID_PARAMETER_VALUE")
    got = client.get_run(rid)
    assert params_dict(got) == {"fixed": "1"}
    assert "from_bad_batch" not in metrics_dict(got)


def test_log_batch_unknown_run(client):
    assert_error(client.post("runs/log-batch", {"run_id": _unknown_run_id(),
                                                "params": [{"key": "a", "value": "b"}]}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("runs/log-batch", {}), "INVALID_PARAMETER_VALUE")


# --- log-model / log-inputs -----------------------------------------------------------------------


def _model(rid, path):
    return {"artifact_path": path, "run_id": rid, "utc_time_created": "2023-12-15 10:00:00.000000",
            "flavors": {"python_function": {"loader_module": "x", "python_version": "3.11"}}}


def test_log_model_appends_history(client, run):
    rid = run["info"]["run_id"]
    for path in ("model", "model2"):
        assert client.ok_post("runs/log-model", {"run_id": rid, "model_json": json.dumps(_model(rid, path))}) == {}
    hist_raw = run_tags(client.get_run(rid))["mlflow.log-model.history"]
    hist = json.loads(hist_raw)
    assert isinstance(hist, list) and len(hist) == 2
    assert [h["artifact_path"] for h in hist] == ["model", "model2"]
    assert all(h["run_id"] == rid and "python_function" in h["flavors"] for h in hist)


def test_log_model_malformed(client, run):
    rid = run["info"]["run_id"]
    assert_error(client.post("runs/log-model", {"run_id": rid, "model_json": "{not json"}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-model", {"run_id": rid}), "INVALID_PARAMETER_VALUE")
    assert "mlflow.log-model.history" not in run_tags(client.get_run(rid))


def _dataset(name="ds", digest="abc123"):
    return {"name": name, "digest": digest, "source_type": "local", "source": '{"uri": "/data/x.csv"}',
            "schema": '{"mlflow_colspec": []}', "profile": '{"num_rows": 10}'}


def test_log_inputs(client, run):
    rid = run["info"]["run_id"]
    body = {"run_id": rid, "datasets": [
        {"tags": [{"key": "mlflow.data.context", "value": "training"}], "dataset": _dataset("train", "d1")},
        {"dataset": _dataset("eval", "d2")}]}
    assert client.ok_post("runs/log-inputs", body) == {}
    inputs = client.get_run(rid)["inputs"]["dataset_inputs"]
    by_name = {i["dataset"]["name"]: i for i in inputs}
    assert set(by_name) == {"train", "eval"}
    tr = by_name["train"]
    assert tr["dataset"]["digest"] == "d1" and tr["dataset"]["source_type"] == "local"
    assert tr["dataset"]["source"] == '{"uri": "/data/x.csv"}'
    assert tr["dataset"]["schema"] == '{"mlflow_colspec": []}'
    assert tr["dataset"]["profile"] == '{"num_rows": 10}'
    assert {t["key"]: t["value"] for t in tr.get("tags", [])} == {"mlflow.data.context": "training"}


def test_log_inputs_validation(client, run):
    rid = run["info"]["run_id"]
    assert_error(client.post("runs/log-inputs", {"datasets": [{"dataset": _dataset()}]}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": _dataset("n" * 501)}]}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": _dataset(digest="d" * 37)}]}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-inputs", {"run_id": _unknown_run_id(), "datasets": [{"dataset": _dataset()}]}),
                 "RESOURCE_DOES_NOT_EXIST")
    long_tag = {"dataset": _dataset("tagged"), "tags": [{"key": "k", "value": "v" * 501}]}
    assert_error(client.post("runs/log-inputs", {"run_id": rid, "datasets": [long_tag]}), "INVALID_PARAMETER_VALUE")
    long_key = {"dataset": _dataset("tagged"), "tags": [{"key": "k" * 256, "value": "v"}]}
    assert_error(client.post("runs/log-inputs", {"run_id": rid, "datasets": [long_key]}), "INVALID_PARAMETER_VALUE")
    assert client.get_run(rid).get("inputs", {}).get("dataset_inputs", []) == []


# --- tracking artifacts/list --------------------------------------------------------------------


def test_tracking_artifacts_list(client, server, run):
    rid, exp = run["info"]["run_id"], run["info"]["experiment_id"]
    base = f"{server.url}{ARTIFACTS}/{exp}/{rid}/artifacts"
    s = client.session
    assert s.put(f"{base}/top.txt", data=b"hello", headers={"Content-Type": "text/plain"}, timeout=30).status_code == 200
    assert s.put(f"{base}/dir/inner.bin", data=b"x" * 1234,
                 headers={"Content-Type": "application/octet-stream"}, timeout=30).status_code == 200
    js = client.ok_get("artifacts/list", {"run_id": rid})
    assert js["root_uri"] == run["info"]["artifact_uri"]
    files = {f["path"]: f for f in js["files"]}
    assert set(files) == {"top.txt", "dir"}
    assert files["dir"]["is_dir"] is True and "file_size" not in files["dir"]
    assert files["top.txt"]["is_dir"] is False and files["top.txt"]["file_size"] == 5
    js = client.ok_get("artifacts/list", {"run_id": rid, "path": "dir"})
    # paths in the tracking listing are relative to the run's artifact root
    assert [(f["path"], f["is_dir"], f.get("file_size")) for f in js["files"]] == [("dir/inner.bin", False, 1234)]


def test_tracking_artifacts_list_empty_and_errors(client, run):
    rid = run["info"]["run_id"]
    js = client.ok_get("artifacts/list", {"run_id": rid})
    assert js.get("files", []) == []
    assert js["root_uri"] == run["info"]["artifact_uri"]
    assert_error(client.get("artifacts/list", {"run_id": _unknown_run_id()}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("artifacts/list", {"run_id": rid, "path": "../../etc"}), "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("status", ["SCHEDULED", "FAILED", "KILLED", "RUNNING", "FINISHED"])
def test_all_status_names_round_trip(client, run, status):
    rid = run["info"]["run_id"]
    assert client.ok_post("runs/update", {"run_id": rid, "status": status})["run_info"]["status"] == status
    assert client.get_run(rid)["info"]["status"] == status


def test_explicit_artifact_location(client):
    loc = "s3://some-bucket/prefix/exp"
    exp = client.create_experiment(artifact_location=loc)
    assert client.ok_get("experiments/get", {"experiment_id": exp})["experiment"]["artifact_location"] == loc
    run = client.create_run(exp)
    assert run["info"]["artifact_uri"] == f"{loc}/{run['info']['run_id']}/artifacts"


@pytest.mark.parametrize("bad_id", ["bad/id", "../../etc", "-leading-dash", "a" * 300])
def test_malformed_run_id_is_400(client, bad_id):
    assert_error(client.get("runs/get", {"run_id": bad_id}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/log-metric", {"run_id": bad_id, "key": "m", "value": 1, "timestamp": 1}),
                 "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("bad_id", ["bad/id", "../1", "x" * 100])
def test_malformed_experiment_id_is_400(client, bad_id):
    assert_error(client.get("experiments/get", {"experiment_id": bad_id}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/create", {"experiment_id": bad_id, "start_time": 1}), "INVALID_PARAMETER_VALUE")
