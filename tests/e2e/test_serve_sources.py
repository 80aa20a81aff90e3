# SPDX-License-Identifier: Apache-2.0
"""Where `mlhub serve` gets model files: models:/ (alias, version, latest) and runs:/ URIs resolved
through a real `mlhub server` (SQLite, local artifacts, the artifact proxy), and s3:// prefixes on
the test Ceph RGW. Each served model answers V2 inference with python xgboost's predictions; a
model whose URI names nothing (an unknown alias, an empty prefix) or whose tracking server is
unreachable is UNAVAILABLE with a reason in the repository index while the others serve.

The model: an XGBRegressor (13 features, 20 trees) saved as `model.xgb` in an MLflow model folder
with the MLmodel file MLflow 2.x writes for it (serving_testlib.write_mlflow_model).
"""
import time
import uuid

import numpy as np
import pytest
import requests

import serving_testlib
from mlhub_testlib import ARTIFACTS, Client, ServerProcess, free_port, s3_env, strict_json, unique

N_FEATURES = 13


# --- the model ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """(folder, files {name: bytes}, rows float32 [2, 13], python xgboost's predictions)."""
    import xgboost
    rng = np.random.default_rng(20240101)
    x = rng.normal(size=(400, N_FEATURES)).astype(np.float32)
    y = (x @ rng.normal(size=N_FEATURES) + 0.3 * x[:, 0] * x[:, 1]).astype(np.float32)
    regressor = xgboost.XGBRegressor(n_estimators=20, max_depth=4, learning_rate=0.3)
    regressor.fit(x, y)
    folder = tmp_path_factory.mktemp("model")
    serving_testlib.write_mlflow_model(str(folder), regressor, "model.xgb", "xgb", signature=None)
    (folder / "requirements.txt").write_text("mlflow==2.9.2\nxgboost==1.7.4\n")
    rows = rng.normal(size=(2, N_FEATURES)).astype(np.float32)
    expected = regressor.predict(rows).astype(np.float64).tolist()
    files = {p: (folder / p).read_bytes() for p in ("MLmodel", "model.xgb", "requirements.txt")}
    return folder, files, rows, expected


# --- mlhub serve --------------------------------------------------------------------------------


class ServeProcess(serving_testlib.ServeProcess):
    """`mlhub serve` with the given --model NAME=URI pairs on free ports, started at once."""

    def __init__(self, workdir, models, tracking_uri=None, env=None):
        # The tracking server comes from the flag only: an MLFLOW_TRACKING_URI of the caller's shell
        # must not leak in.
        overrides = {"MLFLOW_TRACKING_URI": None, "MLFLOW_TRACKING_TOKEN": None}
        overrides.update(env or {})
        extra = ["--tracking-uri", tracking_uri] if tracking_uri else []
        super().__init__(workdir, models, extra_args=extra, env=overrides)
        self.spawn()

    def index(self):
        r = requests.post(self.url + "/v2/repository/index", json={}, timeout=30)
        assert r.status_code == 200, (r.status_code, r.text[:500])
        return {m["name"]: m for m in strict_json(r.text)}

    def wait_for(self, ready=(), unavailable=None, timeout=90):
        """Waits until every model in `ready` is READY and every model in `unavailable` (name →
        text its reason must contain) is UNAVAILABLE with that reason; returns the index."""
        unavailable = unavailable or {}
        deadline = time.monotonic() + timeout
        index, last = {}, None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"mlhub serve exited with {self.proc.returncode}; output:\n{self.log()}")
            try:
                index = self.index()
            except requests.RequestException as e:
                last = repr(e)
                time.sleep(0.2)
                continue
            if all(index.get(n, {}).get("state") == "READY" for n in ready) and all(
                    index.get(n, {}).get("state") == "UNAVAILABLE" and text in index[n].get("reason", "")
                    for n, text in unavailable.items()):
                return index
            time.sleep(0.2)
        pytest.fail(f"models not in the expected states within {timeout}s: index {index} (last error "
                    f"{last}); output:\n{self.log()}")

    def infer(self, name, rows):
        body = {"inputs": [{"name": "input-0", "shape": list(rows.shape), "datatype": "FP32",
                            "data": rows.flatten().tolist()}]}
        r = requests.post(f"{self.url}/v2/models/{name}/infer", json=body, timeout=30)
        assert r.status_code == 200, (name, r.status_code, r.text[:1000])
        return strict_json(r.text)

    def metadata(self, name):
        r = requests.get(f"{self.url}/v2/models/{name}", timeout=30)
        assert r.status_code == 200, (name, r.status_code, r.text[:1000])
        return strict_json(r.text)

    def stop(self):
        self.terminate(timeout=20)


@pytest.fixture
def serve(tmp_path):
    """Factory: serve(models, tracking_uri=None, env=None) starts `mlhub serve`; all are stopped
    at the end."""
    started = []

    def make(models, tracking_uri=None, env=None):
        proc = ServeProcess(tmp_path / f"serve{len(started)}", models, tracking_uri, env)
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.stop()


def assert_predicts(proc, name, rows, expected):
    answer = proc.infer(name, rows)
    out = answer["outputs"][0]
    got = np.asarray(out["data"], dtype=np.float64).reshape(-1)
    assert got.shape == (len(expected),), (name, out)
    np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=f"model {name}")
    return answer


# --- a tracking server holding the model --------------------------------------------------------


@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("tracking"))  # sqlite, local artifacts
    srv.start()
    yield srv
    srv.terminate()


@pytest.fixture(scope="module")
def registered(tracking, model):
    """A run holding the model under artifacts/model (uploaded through the artifact proxy) and a
    registered model with version 1 = runs:/<run>/model (alias `champion`) and version 2 = the
    run's resolved mlflow-artifacts:/ location."""
    _, files, _, _ = model
    client = Client(tracking.url)
    exp = client.create_experiment(unique("serve-exp"))
    run = client.create_run(exp)
    run_id = run["info"]["run_id"]
    artifact_uri = run["info"]["artifact_uri"]
    assert artifact_uri == f"mlflow-artifacts:/{exp}/{run_id}/artifacts", artifact_uri
    for name, data in files.items():
        r = requests.put(f"{tracking.url}{ARTIFACTS}/{exp}/{run_id}/artifacts/model/{name}",
                         data=data, timeout=60)
        assert r.status_code == 200, (name, r.status_code, r.text[:500])
    name = unique("served model")  # a space, so names are encoded properly on the way
    client.ok_post("registered-models/create", {"name": name})
    v1 = client.ok_post("model-versions/create", {"name": name, "source": f"runs:/{run_id}/model",
                                                  "run_id": run_id})["model_version"]
    v2 = client.ok_post("model-versions/create", {"name": name, "source": f"{artifact_uri}/model",
                                                  "run_id": run_id})["model_version"]
    assert (v1["version"], v2["version"]) == ("1", "2"), (v1, v2)
    client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    return {"name": name, "run_id": run_id}


# --- tests --------------------------------------------------------------------------------------


def test_models_and_runs_uris_serve_the_registered_model(tracking, registered, model, serve):
    _, _, rows, expected = model
    name, run_id = registered["name"], registered["run_id"]
    proc = serve({
        "reg": f"models:/{name}@champion",
        "byrun": f"runs:/{run_id}/model",
        "pinned": f"models:/{name}/2",
        "newest": f"models:/{name}/latest",
        "noalias": f"models:/{name}@nobody",
        "norun": f"runs:/{uuid.uuid4().hex}/model",
    }, tracking_uri=tracking.url)
    index = proc.wait_for(ready=("reg", "byrun", "pinned", "newest"),
                          unavailable={"noalias": "nobody", "norun": "runs:/"})

    for served in ("reg", "byrun", "pinned", "newest"):
        assert_predicts(proc, served, rows, expected)
    # The registry's version numbers travel with the models; runs:/ models are version "1".
    assert "1" in proc.metadata("reg")["versions"]
    assert "2" in proc.metadata("pinned")["versions"]
    assert "2" in proc.metadata("newest")["versions"], "latest is the highest version"
    assert {n: index[n].get("version") for n in ("reg", "byrun", "pinned", "newest")} == \
        {"reg": "1", "byrun": "1", "pinned": "2", "newest": "2"}, index

    # The failures say why, with the server's own words for what does not exist.
    assert "alias" in index["noalias"]["reason"].lower(), index["noalias"]
    assert "not found" in index["norun"]["reason"].lower(), index["norun"]
    r = requests.post(f"{proc.url}/v2/models/noalias/infer", json={"inputs": []}, timeout=30)
    assert r.status_code >= 400, (r.status_code, r.text[:300])


def test_mlflow3_logged_models_serve_by_id_and_by_registry(tracking, model, serve):
    """An MLflow 3 client's log_model leaves the files under the logged model's own location and
    returns models:/<model id>; registering it makes a version whose files are the model's."""
    _, files, rows, expected = model
    client = Client(tracking.url)
    exp = client.create_experiment(unique("serve-lm"))
    run_id = client.create_run(exp)["info"]["run_id"]
    r = requests.post(f"{tracking.url}/api/2.0/mlflow/logged-models",
                      json={"experiment_id": exp, "name": "model", "source_run_id": run_id}, timeout=30)
    assert r.status_code == 200, r.text
    info = r.json()["model"]["info"]
    model_id = info["model_id"]
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp}/models/{model_id}/artifacts"
    for name, data in files.items():
        r = requests.put(f"{tracking.url}{ARTIFACTS}/{exp}/models/{model_id}/artifacts/{name}",
                         data=data, timeout=60)
        assert r.status_code == 200, (name, r.status_code, r.text[:500])
    r = requests.patch(f"{tracking.url}/api/2.0/mlflow/logged-models/{model_id}",
                       json={"status": "LOGGED_MODEL_READY"}, timeout=30)
    assert r.status_code == 200, r.text
    name = unique("mlflow3 model")
    client.ok_post("registered-models/create", {"name": name})
    client.ok_post("model-versions/create", {"name": name, "source": f"models:/{model_id}",
                                             "run_id": run_id, "model_id": model_id})
    client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    missing = "m-" + "0" * 32
    # runs:/<run>/model finds the model the run logged under that name, as MLflow 3's loader does
    proc = serve({"byid": f"models:/{model_id}", "byalias": f"models:/{name}@champion",
                  "byrun": f"runs:/{run_id}/model", "noid": f"models:/{missing}",
                  "otherpath": f"runs:/{run_id}/other"}, tracking_uri=tracking.url)
    index = proc.wait_for(ready=("byid", "byalias", "byrun"),
                          unavailable={"noid": missing, "otherpath": "no model files"})
    for served in ("byid", "byalias", "byrun"):
        assert_predicts(proc, served, rows, expected)
    assert index["byalias"].get("version") == "1", index
    assert "not found" in index["noid"]["reason"].lower(), index["noid"]


def test_a_model_missing_on_the_registry_does_not_stop_the_others(tracking, registered, model,
                                                                  serve):
    _, _, rows, expected = model
    proc = serve({
        "ghost": f"models:/{unique('no such model')}/1",
        "reg": f"models:/{registered['name']}@champion",
    }, tracking_uri=tracking.url)
    proc.wait_for(ready=("reg",), unavailable={"ghost": "not found"})
    assert_predicts(proc, "reg", rows, expected)


def test_s3_prefixes_are_downloaded_whole(s3_server, model, serve):
    _, files, rows, expected = model
    bucket = s3_server.create_bucket(f"mlhub-serve-{uuid.uuid4().hex[:12]}")
    s3 = s3_server.s3_client()
    for name, data in files.items():
        s3.put_object(Bucket=bucket, Key=f"models/xgb/{name}", Body=data)  # botocore-signed PUTs
    # A copy one level down as well (the layout KServe's storage initializer may leave).
    for name, data in files.items():
        s3.put_object(Bucket=bucket, Key=f"wrapped/one/{name}", Body=data)
    dead_tracking = f"http://127.0.0.1:{free_port()}"
    proc = serve({
        "s3model": f"s3://{bucket}/models/xgb",
        "s3wrapped": f"s3://{bucket}/wrapped",
        "s3empty": f"s3://{bucket}/nothing-here",
        "unreachable": "models:/m@champion",
    }, tracking_uri=dead_tracking, env=s3_env(s3_server))
    index = proc.wait_for(ready=("s3model", "s3wrapped"),
                          unavailable={"s3empty": "nothing-here", "unreachable": "reach"})
    assert_predicts(proc, "s3model", rows, expected)
    assert_predicts(proc, "s3wrapped", rows, expected)
    assert index["s3model"].get("version") == "1", index["s3model"]
    assert dead_tracking in index["unreachable"]["reason"], index["unreachable"]


def test_runs_with_s3_artifact_locations(tmp_path, s3_server, model, serve):
    """MLflow's direct mode (--default-artifact-root s3://... --no-serve-artifacts): runs/get
    answers an s3:// artifact_uri, which serve downloads through the artifacts module."""
    _, files, rows, expected = model
    bucket = s3_server.create_bucket(f"mlhub-serve-{uuid.uuid4().hex[:12]}")
    srv = ServerProcess(tmp_path / "direct", extra_args=[
        "--default-artifact-root", f"s3://{bucket}/root", "--no-serve-artifacts"])
    srv.start()
    try:
        client = Client(srv.url)
        run = client.create_run(client.create_experiment(unique("direct")))["info"]
        prefix = f"s3://{bucket}/"
        assert run["artifact_uri"].startswith(prefix), run
        s3 = s3_server.s3_client()
        for name, data in files.items():  # where the MLflow client writes in direct mode
            s3.put_object(Bucket=bucket, Key=f"{run['artifact_uri'][len(prefix):]}/model/{name}",
                          Body=data)
        proc = serve({"direct": f"runs:/{run['run_id']}/model",
                      "nomodel": f"runs:/{run['run_id']}/elsewhere"},
                     tracking_uri=srv.url, env=s3_env(s3_server))
        proc.wait_for(ready=("direct",), unavailable={"nomodel": "no model files"})
        assert_predicts(proc, "direct", rows, expected)
    finally:
        srv.terminate()


def test_runs_uris_without_a_tracking_server_say_what_is_missing(model, serve):
    folder, _, rows, expected = model
    proc = serve({"local": str(folder), "byrun": f"runs:/{uuid.uuid4().hex}/model"})
    index = proc.wait_for(ready=("local",), unavailable={"byrun": "tracking"})
    assert "MLFLOW_TRACKING_URI" in index["byrun"]["reason"] or "--tracking-uri" in index["byrun"]["reason"]
    assert_predicts(proc, "local", rows, expected)
