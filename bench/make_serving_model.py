# SPDX-License-Identifier: Apache-2.0
"""The model and request bodies of bench/serve.sh, and a check that the server answers them right.

  make_serving_model.py make DIR     trains the model into DIR/model, writes the bodies into DIR
  make_serving_model.py check DIR URL   posts every body once, compares with Python's predictions

The model: an XGBRegressor of 100 trees, depth 6 (the shape of the XGBoost measurement in
docs/deps.md), 13 features, trained on 20,000 rows of tests/e2e/serving_testlib.py's synthetic
data and written in MLflow's layout by its `write_mlflow_model` (legacy binary `model.xgb`, tensor
signature float32 [-1, 13]). With MODEL_KIND=torch: the TorchScript MLP of issue 7 (13 -> 64 -> 1,
tests/e2e/torch_testlib.py, untrained weights of seed 0) in MLflow's pytorch layout, its input
named input-0 by the signature. Request rows: serving_testlib's `request_rows` (seed 11).

Bodies written (NAME.body, and NAME.hlen holding the Inference-Header-Content-Length when the body
is binary):
  v2-json-1, v2-json-64   V2 JSON {"inputs": [{"name": "input-0", "shape": [N, 13], "datatype":
                          "FP32", "data": [...flat...]}]}
  v2-bin-1, v2-bin-64     V2 binary extension: the same JSON header with parameters.binary_data_size
                          and no data, "binary_data_output": true, then N x 13 little-endian float32
  predict-1               /predict {"features": [[...13 values...]]}
  invocations-1           /invocations {"dataframe_split": {"columns": ["f0", ...], "data": [[...]]}}
  rows-1.f32, rows-64.f32 the raw float32 rows, for grpc_load --input
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))

import serving_testlib as lib  # noqa: E402  (after the sys.path change)

# The model's size (MODEL_TREES / MODEL_DEPTH override it: a smaller model shows the server's own
# ceiling, the default what a realistic model costs).
TREES = int(os.environ.get("MODEL_TREES", "100"))
DEPTH = int(os.environ.get("MODEL_DEPTH", "6"))
TRAIN_ROWS = 20000
KIND = os.environ.get("MODEL_KIND", "xgboost")
BATCHES = (1, 64)


def rows(n):
    return lib.request_rows(64)[:n]  # the batch-1 row is the first row of the batch-64 request


def v2_header(n, binary):
    spec = {"name": "input-0", "shape": [n, lib.FEATURES], "datatype": "FP32"}
    if binary:
        spec["parameters"] = {"binary_data_size": 4 * n * lib.FEATURES}
        return {"inputs": [spec], "parameters": {"binary_data_output": True}}
    spec["data"] = [float(v) for v in rows(n).reshape(-1)]
    return {"inputs": [spec]}


def bodies():
    """name -> (path, body bytes, header length or None, content type)"""
    out = {}
    for n in BATCHES:
        out[f"v2-json-{n}"] = ("/v2/models/reg/infer", json.dumps(v2_header(n, False)).encode(),
                               None, "application/json")
        head = json.dumps(v2_header(n, True)).encode()
        out[f"v2-bin-{n}"] = ("/v2/models/reg/infer", head + rows(n).astype("<f4").tobytes(),
                              len(head), "application/octet-stream")
    row = [[float(v) for v in rows(1)[0]]]
    out["predict-1"] = ("/predict", json.dumps({"features": row}).encode(), None,
                        "application/json")
    out["invocations-1"] = ("/invocations", json.dumps(
        {"dataframe_split": {"columns": lib.COLUMNS, "data": row}}).encode(), None,
        "application/json")
    return out


def make_torch(directory):
    import torch_testlib

    model = torch_testlib.mlp(seed=0)
    signature = {
        "inputs": [torch_testlib.tensor_spec("float32", [-1, lib.FEATURES], "input-0")],
        "outputs": [torch_testlib.tensor_spec("float32", [-1, 1])],
    }
    torch_testlib.write_mlflow_pytorch(os.path.join(directory, "model"), model, signature)
    write_bodies(directory)
    np.save(os.path.join(directory, "expected-64.npy"),
            torch_testlib.forward(model, rows(64)).reshape(-1))
    print(f"model: TorchScript MLP {lib.FEATURES} -> 64 -> 1, torch {torch_testlib.torch.__version__}")


def write_bodies(directory):
    for name, (_, body, hlen, _) in bodies().items():
        with open(os.path.join(directory, name + ".body"), "wb") as f:
            f.write(body)
        if hlen is not None:
            with open(os.path.join(directory, name + ".hlen"), "w") as f:
                f.write(str(hlen))
    for n in BATCHES:
        rows(n).astype("<f4").tofile(os.path.join(directory, f"rows-{n}.f32"))


def make(directory):
    if KIND == "torch":
        return make_torch(directory)
    import xgboost

    x, y = lib.training_data(rows=TRAIN_ROWS)
    model = xgboost.XGBRegressor(n_estimators=TREES, max_depth=DEPTH, random_state=0)
    model.fit(x, y)
    lib.write_mlflow_model(os.path.join(directory, "model"), model, "model.xgb", "xgb",
                           lib._TENSOR_SIGNATURE)
    write_bodies(directory)
    np.save(os.path.join(directory, "expected-64.npy"), model.predict(rows(64)))
    booster = model.get_booster()
    # A dumped tree indents each node by its depth; count the trees that reach DEPTH.
    full = sum(max(len(line) - len(line.lstrip("\t")) for line in tree.splitlines()) == DEPTH
               for tree in booster.get_dump())
    print(f"model: {TREES} trees of max depth {DEPTH} ({full} reach it), {lib.FEATURES} features,"
          f" trained on {TRAIN_ROWS} rows, xgboost {xgboost.__version__}")


def predictions(name, response):
    if name.startswith("v2-bin"):
        length = int(response.headers["Inference-Header-Content-Length"])
        return np.frombuffer(response.content[length:], dtype="<f4")
    body = response.json()
    if name.startswith("v2-json"):
        return np.asarray(body["outputs"][0]["data"], dtype=np.float32)
    rows = body["predictions"]
    # A pytorch model's /invocations answer to DataFrame input is DataFrame records [{"0": v}].
    rows = [list(row.values()) if isinstance(row, dict) else row for row in rows]
    return np.asarray(rows, dtype=np.float32).reshape(-1)


def check(directory, url):
    import requests

    expected = np.load(os.path.join(directory, "expected-64.npy"))
    rtol = 1e-5 if KIND == "torch" else 1e-6  # issue 7: torch outputs equal Python's to 1e-5
    failed = 0
    for name, (path, body, hlen, content_type) in bodies().items():
        headers = {"Content-Type": content_type}
        if hlen is not None:
            headers["Inference-Header-Content-Length"] = str(hlen)
        r = requests.post(url + path, data=body, headers=headers, timeout=10)
        n = int(name.rsplit("-", 1)[1])
        ok = r.status_code == 200
        if ok:
            got = predictions(name, r)
            ok = got.shape == (n,) and np.allclose(got, expected[:n], rtol=rtol, atol=1e-7)
        print(f"check {name}: HTTP {r.status_code}, {'matches' if ok else 'DIFFERS from'}"
              f" Python's predictions{'' if ok else ': ' + r.text[:300]}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
