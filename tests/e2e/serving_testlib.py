# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the `mlhub serve` suites: XGBoost models trained at test time with Debian's
python3-xgboost and written in MLflow's model layout, Python's own predictions for them (the
oracle), and a serve process on free loopback ports.

Models (13 features, like the seeds' `/predict` payload):
  regressor   XGBRegressor, legacy binary `model.xgb`, tensor signature float32 [-1, 13]
  classifier  XGBClassifier (binary:logistic), `model.json`, column signature f0..f12 (double)
  multiclass  XGBClassifier with 3 classes (multi:softprob), `model.ubj`, no signature
"""
from __future__ import annotations

import json
import os

import numpy as np
import requests
import xgboost

from mlhub_testlib import ManagedProcess, free_port, mlhub_bin

FEATURES = 13
COLUMNS = [f"f{i}" for i in range(FEATURES)]
SEED_ROW = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, -0.7, 0.8, -0.9, 1.0, 0.1, -0.1, 0.2]

_TENSOR_SIGNATURE = {
    "inputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, FEATURES]}}]),
    "outputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]),
}
_COLUMN_SIGNATURE = {
    "inputs": json.dumps([{"type": "double", "name": c, "required": True} for c in COLUMNS]),
    "outputs": json.dumps([{"type": "long", "required": True}]),
}


def training_data(rows=400, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, FEATURES)).astype(np.float32)
    y = x[:, 0] * 2.0 - x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + rng.normal(scale=0.1, size=rows)
    return x, y.astype(np.float32)


def request_rows(rows, seed=11):
    """Input rows unlike the training data, float32 (what a V2 FP32 request carries)."""
    rng = np.random.default_rng(seed)
    return rng.normal(scale=1.5, size=(rows, FEATURES)).astype(np.float32)


def _mlmodel_yaml(data_file, model_class, model_format, signature):
    lines = [
        "artifact_path: model",
        "flavors:",
        "  python_function:",
        "    env:",
        "      conda: conda.yaml",
        "      virtualenv: python_env.yaml",
        "    loader_module: mlflow.xgboost",
        f"    data: {data_file}",
        "    python_version: 3.11.2",
        "  xgboost:",
        "    code: null",
        f"    data: {data_file}",
        f"    model_class: {model_class}",
        f"    model_format: {model_format}",
        f"    xgb_version: {xgboost.__version__}",
    ]
    return "\n".join(lines + mlmodel_tail("0f1e2d3c4b5a69788796a5b4c3d2e1f0", signature)) + "\n"


def mlmodel_tail(model_uuid, signature):
    """The MLmodel lines after the flavors, as MLflow 2.9 writes them; `signature` maps "inputs" /
    "outputs" to the JSON text of their lists (or is None)."""
    lines = ["mlflow_version: 2.9.2", f"model_uuid: {model_uuid}", "run_id: null"]
    if signature:
        lines.append("signature:")
        for key in ("inputs", "outputs"):
            # The signature lists are JSON strings inside the YAML, as MLflow writes them.
            lines.append(f"  {key}: '{signature[key]}'")
    lines.append("utc_time_created: '2026-12-01 12:00:00.000000'")
    return lines


def write_mlflow_model(directory, model, data_file, model_format, signature):
    os.makedirs(directory, exist_ok=True)
    model.save_model(os.path.join(directory, data_file))
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(_mlmodel_yaml(data_file, f"xgboost.sklearn.{type(model).__name__}", model_format,
                              signature))
    return directory


class Models:
    """The three fixture models, trained once per session, with their Python predictions."""

    def __init__(self, root):
        x, y = training_data()
        self.regressor = xgboost.XGBRegressor(n_estimators=40, max_depth=4, random_state=0)
        self.regressor.fit(x, y)
        self.classifier = xgboost.XGBClassifier(n_estimators=30, max_depth=3, random_state=0)
        self.classifier.fit(x, (y > 0).astype(int))
        self.multiclass = xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0)
        self.multiclass.fit(x, np.digitize(y, [-1.0, 1.0]))
        self.dirs = {
            "regressor": write_mlflow_model(os.path.join(root, "regressor"), self.regressor,
                                            "model.xgb", "xgb", _TENSOR_SIGNATURE),
            "classifier": write_mlflow_model(os.path.join(root, "classifier"), self.classifier,
                                             "model.json", "json", _COLUMN_SIGNATURE),
            "multiclass": write_mlflow_model(os.path.join(root, "multiclass"), self.multiclass,
                                             "model.ubj", "ubj", None),
        }

    def expected(self, name, rows, pyfunc=False):
        """What Python's xgboost answers: V2 gives probabilities, pyfunc (/invocations) labels."""
        model = getattr(self, name)
        rows = np.asarray(rows, dtype=np.float32)
        if name == "regressor":
            return model.predict(rows)
        if pyfunc:
            return model.predict(rows)
        probabilities = model.predict_proba(rows)
        return probabilities[:, 1] if name == "classifier" else probabilities


def assert_close(actual, expected, rel=1e-6):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=1e-7)


class ServeProcess(ManagedProcess):
    """One `mlhub serve` on free loopback ports (HTTP and gRPC)."""

    name = "mlhub serve"
    terminate_timeout = 15.0

    def __init__(self, workdir, models, extra_args=(), env=None, grpc=True):
        super().__init__()
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.models = dict(models)  # name -> URI
        self.extra_args = list(extra_args)
        self.env = env
        self.http_port = free_port()
        self.grpc_port = free_port() if grpc else -1
        self.log_path = os.path.join(self.workdir, f"serve-{self.http_port}.log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self):
        return f"127.0.0.1:{self.grpc_port}"

    def command(self):
        cmd = [mlhub_bin(), "serve", "--host", "127.0.0.1", "--http-port", str(self.http_port),
               "--grpc-port", str(self.grpc_port)]
        for name, uri in self.models.items():
            cmd += ["--model", f"{name}={uri}"]
        return cmd + self.extra_args

    def spawn(self):
        return self.launch(self.command(), self.log_path, self.env)

    def wait_live(self, timeout=20.0):
        return self.wait_http_ok(self.url + "/v2/health/live", timeout, interval=0.05)

    def wait_ready(self, timeout=30.0):
        return self.wait_http_ok(self.url + "/v2/health/ready", timeout, interval=0.05)

    def start(self):
        return self.spawn().wait_ready()


def v2_input(rows, name="input-0", datatype="FP32", nested=False):
    rows = np.asarray(rows)
    data = rows.tolist() if nested else rows.reshape(-1).tolist()
    return {"name": name, "shape": list(rows.shape), "datatype": datatype, "data": data}


def infer(url, model, body, version=None, headers=None, data=None):
    path = f"/v2/models/{model}" + (f"/versions/{version}" if version else "") + "/infer"
    if data is not None:
        return requests.post(url + path, data=data, headers=headers or {}, timeout=30)
    return requests.post(url + path, json=body, headers=headers or {}, timeout=30)


def register_model_version(tracking_url, name, model_dir, params=None, metrics=None):
    """Logs `model_dir` as a new run's `model` artifact (through the artifact proxy), with the
    run's `params` and `metrics` (dicts), and registers it as a new version of registered model
    `name` (created if missing), source runs:/<run>/model. Returns the version number as the
    registry answers it (a string)."""
    from mlhub_testlib import ARTIFACTS, Client, unique
    client = Client(tracking_url)
    exp = client.create_experiment(unique("serve"))
    run_id = client.create_run(exp)["info"]["run_id"]
    for key, value in (params or {}).items():
        client.ok_post("runs/log-parameter", {"run_id": run_id, "key": key, "value": str(value)})
    for key, value in (metrics or {}).items():
        client.log_metric(run_id, key, float(value))
    for folder, _, files in sorted(os.walk(model_dir)):
        for file in sorted(files):
            path = os.path.relpath(os.path.join(folder, file), model_dir).replace(os.sep, "/")
            with open(os.path.join(folder, file), "rb") as f:
                r = requests.put(f"{tracking_url}{ARTIFACTS}/{exp}/{run_id}/artifacts/model/{path}",
                                 data=f.read(), timeout=60)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
    status, _ = client.post("registered-models/create", {"name": name})
    assert status in (200, 400), status  # 400: it exists already
    version = client.ok_post("model-versions/create",
                             {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id})
    return version["model_version"]["version"]
