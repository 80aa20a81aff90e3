# SPDX-License-Identifier: Apache-2.0
"""MLflow 3's logged models: the REST calls an MLflow 3 client makes for log_model inside a run,
register_model and load_model, in the order it makes them (read from MLflow 3's
mlflow/models/model.py, tracking/_model_registry/fluent.py and store/tracking/rest_store.py), and
the errors of each endpoint.

An MLflow 3 client has no fallback: without these endpoints its log_model fails on the first
call (POST /api/2.0/mlflow/logged-models).
"""
import re
import time

import requests

from mlhub_testlib import API, ARTIFACTS, assert_error, unique

MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def _call(client, method, route, body=None):
    """(status, json) of any method, with a JSON body (GETs without)."""
    kwargs = {"timeout": 30}
    if method != "GET":
        kwargs["json"] = body if body is not None else {}
    r = client.session.request(method, client.url(route), **kwargs)
    return client._finish(method, route, r)


def _ok(result):
    status, body = result
    assert status == 200, body
    return body


def _create(client, experiment_id, **fields):
    return _ok(_call(client, "POST", "logged-models", {"experiment_id": experiment_id, **fields}))["model"]


def test_log_register_and_load_as_an_mlflow3_client_does(server, client):
    exp = client.create_experiment(unique("lm"))
    run = client.create_run(exp)["info"]
    run_id = run["run_id"]
    client.ok_post("runs/log-parameter", {"run_id": run_id, "key": "alpha", "value": "0.5"})
    client.log_metric(run_id, "rmse", 0.25)

    # log_model: create the model from the run (its params, context tags) ...
    model = _create(client, exp, name="model", source_run_id=run_id, model_type="regressor",
                    params=[{"key": "alpha", "value": "0.5"}],
                    tags=[{"key": "mlflow.user", "value": "alice"},
                          {"key": "mlflow.source.type", "value": "LOCAL"}])
    info = model["info"]
    model_id = info["model_id"]
    assert MODEL_ID.match(model_id), info
    assert info["experiment_id"] == exp and info["name"] == "model"
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["source_run_id"] == run_id and info["model_type"] == "regressor"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp}/models/{model_id}/artifacts"
    assert info["creation_timestamp_ms"] == info["last_updated_timestamp_ms"] > 0
    assert {t["key"]: t["value"] for t in info["tags"]} == {"mlflow.user": "alice",
                                                            "mlflow.source.type": "LOCAL"}
    assert model["data"]["params"] == [{"key": "alpha", "value": "0.5"}]

    # ... params past the first 100 in batches, then the model again
    extra = [{"key": f"p{i:03d}", "value": str(i)} for i in range(120)]
    assert _ok(_call(client, "POST", f"logged-models/{model_id}/params",
                     {"model_id": model_id, "params": extra})) == {}
    got = _ok(_call(client, "GET", f"logged-models/{model_id}"))["model"]
    assert len(got["data"]["params"]) == 121

    # ... the run names it as an output, and runs/get shows it
    assert _ok(_call(client, "POST", "runs/outputs",
                     {"run_id": run_id, "models": [{"model_id": model_id, "step": 0}]})) == {}
    got_run = client.get_run(run_id)
    assert got_run["outputs"]["model_outputs"] == [{"model_id": model_id, "step": 0}]
    assert client.get_run(client.create_run(exp)["info"]["run_id"])["outputs"] == {}

    # ... the run's metrics of step 0 are sent again with the model's id: the model gets them,
    # the run's history does not get them twice
    point = client.history(run_id, "rmse")[0]
    _ok(_call(client, "POST", "runs/log-batch", {"run_id": run_id, "metrics": [
        {**point, "key": "rmse", "model_id": model_id, "run_id": run_id}]}))
    assert len(client.history(run_id, "rmse")) == 1
    # a new metric naming the model (and a dataset) goes to both
    client.ok_post("runs/log-metric", {"run_id": run_id, "key": "acc", "value": 0.75, "timestamp": 5,
                                       "step": 1, "model_id": model_id, "dataset_name": "eval",
                                       "dataset_digest": "abc"})
    assert [p["value"] for p in client.history(run_id, "acc")] == [0.75]
    metrics = _ok(_call(client, "GET", f"logged-models/{model_id}"))["model"]["data"]["metrics"]
    assert metrics == [
        {"key": "rmse", "value": 0.25, "timestamp": point["timestamp"], "step": 0, "model_id": model_id,
         "run_id": run_id},
        {"key": "acc", "value": 0.75, "timestamp": 5, "step": 1, "model_id": model_id, "run_id": run_id,
         "dataset_name": "eval", "dataset_digest": "abc"},
    ], metrics
    assert_error(_call(client, "POST", "runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "x", "value": 1, "timestamp": 1, "model_id": "m-" + "0" * 32}]}), "RESOURCE_DOES_NOT_EXIST")
    assert client.history(run_id, "x") == []

    # a run that uses a model (MLflow 3's log_inputs with models) shows it as a model input,
    # once however often it is sent
    user = client.create_run(exp)["info"]["run_id"]
    for _ in range(2):
        _ok(_call(client, "POST", "runs/log-inputs", {"run_id": user, "models": [{"model_id": model_id}]}))
    assert client.get_run(user)["inputs"] == {"model_inputs": [{"model_id": model_id}]}
    assert_error(_call(client, "POST", "runs/log-inputs", {"run_id": user, "models": [{"model_id": "m-" + "1" * 32}]}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_call(client, "POST", "runs/log-inputs", {"run_id": user, "models": [{"id": model_id}]}),
                 "INVALID_PARAMETER_VALUE")

    # ... the files go through the artifact proxy, under the model's location
    base = f"{server.url}{ARTIFACTS}/{exp}/models/{model_id}/artifacts"
    mlmodel = b"flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
    for path, data in (("MLmodel", mlmodel), ("model.pkl", b"\x80\x04pickle"), ("env/conda.yaml", b"x: 1\n")):
        r = requests.put(f"{base}/{path}", data=data, timeout=30)
        assert r.status_code == 200, r.text
    listed = requests.get(f"{server.url}{ARTIFACTS}",
                          params={"path": f"{exp}/models/{model_id}/artifacts"}, timeout=30).json()
    assert sorted(f["path"] for f in listed["files"]) == ["MLmodel", "env", "model.pkl"]
    # the same through the model (what MLflow's UI lists a model's files with), paths from its root
    listed = _ok(_call(client, "GET", f"logged-models/{model_id}/artifacts/directories"))
    assert listed["root_uri"] == info["artifact_uri"]
    assert {(f["path"], f["is_dir"], f.get("file_size")) for f in listed["files"]} == {
        ("MLmodel", False, len(mlmodel)), ("model.pkl", False, 8), ("env", True, None)}
    nested = _ok(_call(client, "GET", f"logged-models/{model_id}/artifacts/directories?artifact_directory_path=env"))
    assert nested["files"] == [{"path": "env/conda.yaml", "is_dir": False, "file_size": 5}]
    assert "files" not in _ok(_call(client, "GET", f"logged-models/{model_id}/artifacts/directories"
                                                   "?artifact_directory_path=nothing-here"))
    assert_error(_call(client, "GET", f"logged-models/{model_id}/artifacts/directories"
                                      "?artifact_directory_path=../../x"), "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "GET", f"logged-models/m-{'0' * 32}/artifacts/directories"),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_call(client, "GET", f"logged-models/{model_id}/artifacts/other"), "RESOURCE_DOES_NOT_EXIST")

    # ... and it is finalized
    ready = _ok(_call(client, "PATCH", f"logged-models/{model_id}",
                      {"model_id": model_id, "status": "LOGGED_MODEL_READY"}))["model"]["info"]
    assert ready["status"] == "LOGGED_MODEL_READY"
    assert ready["last_updated_timestamp_ms"] >= info["last_updated_timestamp_ms"]

    # register_model("runs:/<run>/model", name): the run's own artifacts have no MLmodel, so the
    # client searches the experiment's models by name and matches source_run_id itself
    name = unique("lm-reg")
    client.ok_post("registered-models/create", {"name": name})
    found = _ok(_call(client, "POST", "logged-models/search",
                      {"experiment_ids": [exp], "filter": "name = 'model'"}))
    assert [m["info"]["model_id"] for m in found["models"]] == [model_id]
    assert "next_page_token" not in found
    version = client.ok_post("model-versions/create", {
        "name": name, "source": f"models:/{model_id}", "run_id": run_id, "model_id": model_id,
    })["model_version"]
    assert version["version"] == "1" and version["model_id"] == model_id
    assert version["source"] == f"models:/{model_id}"
    # ... and tags the model with its registrations
    tagged = _ok(_call(client, "PATCH", f"logged-models/{model_id}/tags", {
        "tags": [{"key": "mlflow.modelVersions", "value": f'[{{"name": "{name}", "version": 1}}]'}],
    }))["model"]["info"]
    assert {t["key"] for t in tagged["tags"]} >= {"mlflow.modelVersions", "mlflow.user"}

    # load_model("models:/name/1"): the download URI is the logged model's location
    uri = client.ok_get("model-versions/get-download-uri", {"name": name, "version": "1"})["artifact_uri"]
    assert uri == info["artifact_uri"]
    r = requests.get(f"{base}/MLmodel", timeout=30)
    assert r.status_code == 200 and r.content == mlmodel
    # mlhub serve resolves models:/name@alias the same way
    client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    resolved = client.ok_get("model-versions/resolve", {"uri": f"models:/{name}@champion"})
    assert resolved["artifact_uri"] == info["artifact_uri"]
    assert resolved["model_version"]["model_id"] == model_id

    # a version registered with only the models:/ source finds its model too
    v2 = client.ok_post("model-versions/create", {"name": name, "source": f"models:/{model_id}"})
    assert v2["model_version"]["model_id"] == model_id
    assert client.ok_get("model-versions/get-download-uri",
                         {"name": name, "version": "2"})["artifact_uri"] == info["artifact_uri"]


def test_tags_params_delete_and_errors(client):
    exp = client.create_experiment(unique("lm-err"))
    model_id = _create(client, exp)["info"]["model_id"]
    assert _create(client, exp)["info"]["name"]  # a generated name when none is given

    # tags: set, overwrite, delete (the key percent-encoded in the path)
    _ok(_call(client, "PATCH", f"logged-models/{model_id}/tags",
              {"tags": [{"key": "a b", "value": "1"}, {"key": "c", "value": "2"}]}))
    _ok(_call(client, "PATCH", f"logged-models/{model_id}/tags", {"tags": [{"key": "c", "value": "3"}]}))
    assert _ok(_call(client, "DELETE", f"logged-models/{model_id}/tags/a%20b")) == {}
    tags = _ok(_call(client, "GET", f"logged-models/{model_id}"))["model"]["info"]["tags"]
    assert tags == [{"key": "c", "value": "3"}]
    assert_error(_call(client, "DELETE", f"logged-models/{model_id}/tags/a%20b"), "RESOURCE_DOES_NOT_EXIST")

    # params are immutable: the same value again is fine, another is refused and writes nothing
    _ok(_call(client, "POST", f"logged-models/{model_id}/params", {"params": [{"key": "k", "value": "v"}]}))
    _ok(_call(client, "POST", f"logged-models/{model_id}/params", {"params": [{"key": "k", "value": "v"}]}))
    assert_error(_call(client, "POST", f"logged-models/{model_id}/params",
                       {"params": [{"key": "new", "value": "1"}, {"key": "k", "value": "w"}]}),
                 "INVALID_PARAMETER_VALUE")
    params = _ok(_call(client, "GET", f"logged-models/{model_id}"))["model"]["data"]["params"]
    assert params == [{"key": "k", "value": "v"}]

    # finalize: READY or UPLOAD_FAILED, by name or number
    failed = _ok(_call(client, "PATCH", f"logged-models/{model_id}", {"status": 3}))["model"]["info"]
    assert failed["status"] == "LOGGED_MODEL_UPLOAD_FAILED"
    assert_error(_call(client, "PATCH", f"logged-models/{model_id}", {"status": "LOGGED_MODEL_PENDING"}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "PATCH", f"logged-models/{model_id}", {"status": "DONE"}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "PATCH", f"logged-models/{model_id}", {}), "INVALID_PARAMETER_VALUE")

    # unknown and malformed ids, unknown sub-paths
    missing = "m-" + "0" * 32
    for method, route in (("GET", f"logged-models/{missing}"), ("DELETE", f"logged-models/{missing}"),
                          ("GET", "logged-models/not-an-id"), ("GET", "logged-models/..%2F..%2Fetc"),
                          ("PATCH", f"logged-models/{missing}")):
        body = {"status": "LOGGED_MODEL_READY"} if method == "PATCH" else None
        assert_error(_call(client, method, route, body), "RESOURCE_DOES_NOT_EXIST")
    # "<id>/" is no name of the model itself
    assert_error(_call(client, "DELETE", f"logged-models/{model_id}/"), "RESOURCE_DOES_NOT_EXIST",
                 contains="No API endpoint")
    assert _ok(_call(client, "GET", f"logged-models/{model_id}"))
    # an unknown sub-path answers as unknown routes do
    assert_error(_call(client, "GET", f"logged-models/{model_id}/nothing"), "RESOURCE_DOES_NOT_EXIST",
                 contains="No API endpoint")

    # creates that cannot be: no experiment, an unknown one, a deleted one, a run of another one,
    # a name past 500 characters
    assert_error(_call(client, "POST", "logged-models", {"experiment_id": exp, "name": "n" * 501}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "POST", "logged-models", {}), "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "POST", "logged-models", {"experiment_id": "987654"}), "RESOURCE_DOES_NOT_EXIST")
    gone = client.create_experiment(unique("lm-gone"))
    client.ok_post("experiments/delete", {"experiment_id": gone})
    assert_error(_call(client, "POST", "logged-models", {"experiment_id": gone}), "INVALID_PARAMETER_VALUE")
    other_run = client.create_run(client.create_experiment(unique("lm-other")))["info"]["run_id"]
    assert_error(_call(client, "POST", "logged-models", {"experiment_id": exp, "source_run_id": other_run}),
                 "INVALID_PARAMETER_VALUE")

    # run outputs need an existing model; search needs experiments and a valid filter
    run_id = client.create_run(exp)["info"]["run_id"]
    assert_error(_call(client, "POST", "runs/outputs", {"run_id": run_id, "models": [{"model_id": missing}]}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert client.get_run(run_id)["outputs"] == {}
    assert_error(_call(client, "POST", "logged-models/search", {}), "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "POST", "logged-models/search",
                       {"experiment_ids": [exp], "datasets": [{"dataset_digest": "d1"}]}),
                 "INVALID_PARAMETER_VALUE")  # a dataset needs its name
    assert_error(_call(client, "POST", "logged-models/search",
                       {"experiment_ids": [exp], "datasets": [{"dataset_name": 7}]}), "INVALID_PARAMETER_VALUE")
    assert _ok(_call(client, "POST", "logged-models/search", {"experiment_ids": [exp], "datasets": []}))
    assert_error(_call(client, "POST", "logged-models/search", {
        "experiment_ids": [exp], "datasets": [{"dataset_name": "d"}] * 101}), "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "POST", "logged-models/search", {
        "experiment_ids": [exp], "datasets": [{"dataset_name": "d" * 501}]}), "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "POST", "logged-models/search", {"experiment_ids": [exp], "filter": "name = "}),
                 "INVALID_PARAMETER_VALUE")
    for bad in ({"field_name": "params.k"}, {"field_name": "metrics."}, {"field_name": "nonsense"},
                {"field_name": "name", "ascending": "yes"}, {"ascending": True}, {"field_name": "name DESC"},
                {"field_name": "`name`"}, {"field_name": "metrics." + "k" * 300},
                {"field_name": "metrics.acc", "dataset_name": "d" * 501}):
        assert_error(_call(client, "POST", "logged-models/search", {"experiment_ids": [exp], "order_by": [bad]}),
                     "INVALID_PARAMETER_VALUE")

    # a registered version needs a model that exists
    name = unique("lm-missing")
    client.ok_post("registered-models/create", {"name": name})
    assert_error(client.post("model-versions/create", {"name": name, "source": f"models:/{missing}"}),
                 "INVALID_PARAMETER_VALUE")

    # a run writes only to models of its own experiment; what a refused request carried is not
    # written anywhere (the run's part is checked first)
    foreign = _create(client, client.create_experiment(unique("lm-foreign")))["info"]["model_id"]
    assert_error(_call(client, "POST", "runs/outputs", {"run_id": run_id, "models": [{"model_id": foreign}]}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(_call(client, "POST", "runs/log-metric", {"run_id": run_id, "key": "m", "value": 1,
                                                           "timestamp": 1, "model_id": foreign}),
                 "INVALID_PARAMETER_VALUE")
    assert client.history(run_id, "m") == []
    client.ok_post("runs/log-parameter", {"run_id": run_id, "key": "fixed", "value": "1"})
    assert_error(_call(client, "POST", "runs/log-batch", {
        "run_id": run_id, "params": [{"key": "fixed", "value": "2"}],
        "metrics": [{"key": "m", "value": 1, "timestamp": 1, "model_id": model_id}]}), "INVALID_PARAMETER_VALUE")
    gone_run = client.create_run(exp)["info"]["run_id"]
    client.ok_post("runs/delete", {"run_id": gone_run})
    assert_error(_call(client, "POST", "runs/log-metric", {"run_id": gone_run, "key": "m", "value": 1,
                                                           "timestamp": 1, "model_id": model_id}),
                 "INVALID_PARAMETER_VALUE")
    assert _ok(_call(client, "GET", f"logged-models/{model_id}"))["model"]["data"]["metrics"] == []

    # delete: gone for good, and from the run outputs that named it
    _ok(_call(client, "POST", "runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 2}]}))
    assert _ok(_call(client, "DELETE", f"logged-models/{model_id}")) == {}
    assert_error(_call(client, "GET", f"logged-models/{model_id}"), "RESOURCE_DOES_NOT_EXIST")
    assert client.get_run(run_id)["outputs"] == {}


def test_search_filters_orders_and_pages(client):
    exp = client.create_experiment(unique("lm-search"))
    ids = []
    for i in range(7):
        time.sleep(0.003)  # distinct creation times: the default order is newest first
        ids.append(_create(client, exp, name="even" if i % 2 == 0 else "odd", model_type=f"t{i % 3}",
                           tags=[{"key": "i", "value": str(i)}], params=[{"key": "lr", "value": f"0.{i}"}])
                   ["info"]["model_id"])
    _ok(_call(client, "PATCH", f"logged-models/{ids[2]}", {"status": "LOGGED_MODEL_READY"}))

    def search(**body):
        return _ok(_call(client, "POST", "logged-models/search", {"experiment_ids": [exp], **body}))

    def found(**body):
        return [m["info"]["model_id"] for m in search(**body)["models"]]

    assert found() == list(reversed(ids))  # newest first
    assert sorted(found(filter="name = 'even'")) == sorted(ids[0::2])
    assert found(filter="name = 'even' AND tags.i = '4'") == [ids[4]]
    assert sorted(found(filter="params.lr LIKE '0.1%' OR params.lr = '0.6'")) == sorted([ids[1], ids[6]])
    assert found(filter="status = 'LOGGED_MODEL_READY'") == [ids[2]]
    assert found(filter="status = 'READY'") == [ids[2]]
    assert ids[2] not in found(filter="status != 'READY'") and len(found(filter="status != 'READY'")) == 6
    _ok(_call(client, "PATCH", f"logged-models/{ids[5]}", {"status": "LOGGED_MODEL_UPLOAD_FAILED"}))
    assert found(filter="status = 'FAILED'") == [ids[5]]
    assert found(filter="status IN ('READY', 'FAILED')") == [ids[5], ids[2]]
    assert_error(_call(client, "POST", "logged-models/search",
                       {"experiment_ids": [exp], "filter": "datasets.name = 'eval'"}), "INVALID_PARAMETER_VALUE")
    assert sorted(found(filter="model_type IN ('t0')")) == sorted([ids[0], ids[3], ids[6]])
    assert found(filter="tags.missing = 'x'") == []
    run_id = client.create_run(exp)["info"]["run_id"]
    client.ok_post("runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "acc", "value": 0.5 + i / 10, "timestamp": 1, "model_id": ids[i]} for i in (1, 4)]})
    assert found(filter="metrics.acc > 0.7") == [ids[4]]
    assert sorted(found(filter="metrics.acc < 0.65 OR metrics.acc > 0.85")) == sorted([ids[1], ids[4]])
    assert found(filter="metrics.loss < 1") == []
    assert found(order_by=[{"field_name": "creation_timestamp", "ascending": True}])[:1] == [ids[0]]
    assert found(order_by=[{"field_name": "creation_timestamp_ms", "ascending": True}])[:1] == [ids[0]]
    assert found(order_by=[{"field_name": "model_type", "ascending": False}])[:3] == [ids[5], ids[2], ids[4]]

    # metrics on datasets, as MLflow 3's evaluate logs them: order by the latest value (models
    # without one last), narrow metric filters to datasets, or keep models with a metric on them
    client.ok_post("runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "acc", "value": 0.3, "timestamp": 2, "model_id": ids[1]},  # ids[1]'s latest acc
        {"key": "f1", "value": 0.9, "timestamp": 1, "model_id": ids[0], "dataset_name": "eval",
         "dataset_digest": "e1"},
        {"key": "f1", "value": 0.2, "timestamp": 1, "model_id": ids[3], "dataset_name": "eval",
         "dataset_digest": "e1"},
        {"key": "f1", "value": 0.95, "timestamp": 1, "model_id": ids[3], "dataset_name": "train",
         "dataset_digest": "t1"}]})
    by_acc = found(order_by=[{"field_name": "metrics.acc", "ascending": False}])
    assert by_acc[:2] == [ids[4], ids[1]] and len(by_acc) == 7
    assert found(order_by=[{"field_name": "metrics.acc", "ascending": True}])[:2] == [ids[1], ids[4]]
    assert found(order_by=[{"field_name": "metrics.f1", "ascending": False}])[:2] == [ids[3], ids[0]]
    assert found(order_by=[{"field_name": "metrics.f1", "ascending": False, "dataset_name": "eval",
                            "dataset_digest": "e1"}])[:2] == [ids[0], ids[3]]
    assert found(filter="metrics.f1 > 0.5") == [ids[3], ids[0]]
    assert found(filter="metrics.f1 > 0.5", datasets=[{"dataset_name": "eval"}]) == [ids[0]]
    assert found(filter="metrics.f1 > 0.5", datasets=[{"dataset_name": "eval", "dataset_digest": "x"}]) == []
    assert found(datasets=[{"dataset_name": "train"}]) == [ids[3]]
    assert found(datasets=[{"dataset_name": "eval"}, {"dataset_name": "train"}]) == [ids[3], ids[0]]

    # pages of 3 cover everything once, in order
    seen, token = [], None
    while True:
        page = search(max_results=3, **({"page_token": token} if token else {}))
        seen += [m["info"]["model_id"] for m in page["models"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == list(reversed(ids))
    assert found(experiment_ids=["123456789"]) == []


def test_prompt_versions_keep_their_placeholder_source(client):
    """MLflow 3's prompt registry (mlflow.genai.register_prompt) stores a prompt as a registered
    model and its versions with the source "dummy-source" and the mlflow.prompt.is_prompt tag:
    MLflow checks no source for those, and neither does mlhub. Other versions are still checked."""
    name = unique("prompt")
    client.ok_post("registered-models/create", {"name": name, "tags": [
        {"key": "mlflow.prompt.is_prompt", "value": "true"}]})
    version = client.ok_post("model-versions/create", {"name": name, "source": "dummy-source", "tags": [
        {"key": "mlflow.prompt.is_prompt", "value": "true"},
        {"key": "mlflow.prompt.text", "value": "Summarize: {{text}}"}]})["model_version"]
    assert version["version"] == "1" and version["source"] == "dummy-source"
    assert_error(client.post("model-versions/create", {"name": name, "source": "dummy-source"}),
                 "INVALID_PARAMETER_VALUE")


def test_registry_searches_of_newer_clients_leave_prompts_out(client):
    """MLflow clients from 2.21 on add tag.`mlflow.prompt.is_prompt` != 'true' to every registry
    search: models and versions without that tag must match it, or such a client finds nothing."""
    prefix = unique("prompt-filter")
    client.ok_post("registered-models/create", {"name": f"{prefix}-plain"})
    client.ok_post("registered-models/create", {"name": f"{prefix}-other", "tags": [
        {"key": "mlflow.prompt.is_prompt", "value": "false"}]})
    client.ok_post("registered-models/create", {"name": f"{prefix}-prompt", "tags": [
        {"key": "mlflow.prompt.is_prompt", "value": "true"}]})
    for name in (f"{prefix}-plain", f"{prefix}-prompt"):
        tags = [{"key": "mlflow.prompt.is_prompt", "value": "true"}] if name.endswith("prompt") else []
        client.ok_post("model-versions/create", {"name": name, "source": "s3://bucket/x", "tags": tags})
    not_prompt = f"name LIKE '{prefix}-%' AND tag.`mlflow.prompt.is_prompt` != 'true'"
    found = client.ok_get("registered-models/search", {"filter": not_prompt})
    assert [m["name"] for m in found["registered_models"]] == [f"{prefix}-other", f"{prefix}-plain"]
    prompts = client.ok_get("registered-models/search", {
        "filter": f"name LIKE '{prefix}-%' AND tag.`mlflow.prompt.is_prompt` = 'true'"})
    assert [m["name"] for m in prompts["registered_models"]] == [f"{prefix}-prompt"]
    versions = client.ok_get("model-versions/search", {"filter": not_prompt})
    assert [v["name"] for v in versions["model_versions"]] == [f"{prefix}-plain"]
