# SPDX-License-Identifier: Apache-2.0
"""XGBoost predictions through `mlhub serve`: the compiled forest (ADR 0006, the default) and
`--xgboost-predictor library` (XGBoost's own predictor) both give Python's xgboost answers, on
every objective the forest covers, with missing values (NaN, sent as binary tensors: JSON has no
NaN), in batches that take both of its walking orders. Models the forest does not cover (gblinear,
multi:softmax) are served by XGBoost's predictor, and the log says which one a model got."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import xgboost

from serving_testlib import (FEATURES, ServeProcess, assert_close, infer, request_rows,
                             training_data, write_mlflow_model)

# name -> (estimator, label maker, file, format); labels from the shared synthetic data.
MODELS = {
    "squarederror": (lambda: xgboost.XGBRegressor(n_estimators=60, max_depth=6, random_state=0),
                     lambda y: y, "model.xgb", "xgb"),
    "logistic": (lambda: xgboost.XGBClassifier(n_estimators=25, max_depth=5, random_state=0),
                 lambda y: (y > 0).astype(int), "model.json", "json"),
    "logitraw": (lambda: xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0,
                                               objective="binary:logitraw"),
                 lambda y: (y > 0).astype(int), "model.ubj", "ubj"),
    "poisson": (lambda: xgboost.XGBRegressor(n_estimators=20, max_depth=4, random_state=0,
                                             objective="count:poisson"),
                lambda y: np.abs(y), "model.json", "json"),
    "softprob": (lambda: xgboost.XGBClassifier(n_estimators=15, max_depth=4, random_state=0),
                 lambda y: np.digitize(y, [-1.0, 0.0, 1.0]), "model.ubj", "ubj"),
    "softmax": (lambda: xgboost.XGBClassifier(n_estimators=10, max_depth=3, random_state=0,
                                              objective="multi:softmax"),
                lambda y: np.digitize(y, [-1.0, 1.0]), "model.json", "json"),
    "gblinear": (lambda: xgboost.XGBRegressor(n_estimators=10, booster="gblinear",
                                              random_state=0),
                 lambda y: y, "model.json", "json"),
}
COMPILED = {"squarederror", "logistic", "logitraw", "poisson", "softprob"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("forest")
    x, y = training_data(rows=800, seed=3)
    x[::7, 2] = np.nan  # missing values in training give the splits default directions
    out = {}
    for name, (make, labels, data_file, model_format) in MODELS.items():
        model = make().fit(x, labels(y))
        out[name] = (model, write_mlflow_model(str(root / name), model, data_file, model_format,
                                               None))
    return out


@pytest.fixture(scope="module", params=["compiled", "library"])
def server(request, trained, tmp_path_factory):
    proc = ServeProcess(tmp_path_factory.mktemp(request.param),
                        {name: d for name, (_, d) in trained.items()},
                        extra_args=["--xgboost-predictor", request.param], grpc=False)
    proc.start()
    yield request.param, proc
    assert proc.terminate() == 0


def rows_with_missing(n, seed):
    x = request_rows(n, seed=seed)
    rng = np.random.default_rng(seed)
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


def python_prediction(model, x):
    """xgboost's own answer, as the V2 output: Booster.predict (transformed), NaN = missing."""
    return model.get_booster().predict(xgboost.DMatrix(x, missing=np.nan))


def binary_infer(proc, name, x):
    raw = x.astype("<f4").tobytes()
    header = json.dumps({"inputs": [{"name": "input-0", "shape": list(x.shape),
                                     "datatype": "FP32",
                                     "parameters": {"binary_data_size": len(raw)}}],
                         "parameters": {"binary_data_output": True}}).encode()
    r = infer(proc.url, name, None, data=header + raw,
              headers={"Inference-Header-Content-Length": str(len(header)),
                       "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text[:500]
    length = int(r.headers["Inference-Header-Content-Length"])
    (out,) = json.loads(r.content[:length])["outputs"]
    return np.frombuffer(r.content[length:], dtype="<f4").reshape(out["shape"])


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("rows", [1, 5, 64, 203])
def test_predictions_equal_pythons_with_missing_values(server, trained, name, rows):
    _, proc = server
    model, _ = trained[name]
    x = rows_with_missing(rows, seed=rows)
    assert_close(binary_infer(proc, name, x), python_prediction(model, x))


@pytest.mark.parametrize("name", ["squarederror", "softprob"])
def test_json_requests_equal_pythons(server, trained, name):
    _, proc = server
    model, _ = trained[name]
    x = request_rows(40, seed=9)
    r = infer(proc.url, name, {"inputs": [{"name": "input-0", "shape": [40, FEATURES],
                                            "datatype": "FP32",
                                            "data": x.reshape(-1).tolist()}]})
    assert r.status_code == 200, r.text
    (out,) = r.json()["outputs"]
    assert_close(np.asarray(out["data"]).reshape(out["shape"]), python_prediction(model, x))


def test_log_names_the_predictor_each_model_got(server):
    predictor, proc = server
    with open(proc.log_path) as f:
        log = f.read()
    for name in MODELS:
        compiled = f"{os.sep}{name}{os.sep}" in "".join(
            line for line in log.splitlines() if "compiled XGBoost forest" in line)
        assert compiled == (predictor == "compiled" and name in COMPILED), (name, log)
    if predictor == "compiled":
        # The others say why they use XGBoost's predictor.
        assert "not the compiled forest: the compiled forest does not cover the gblinear booster" \
            in log, log
        assert "does not cover the objective multi:softmax" in log, log
