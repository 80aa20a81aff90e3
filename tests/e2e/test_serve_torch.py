# SPDX-License-Identifier: Apache-2.0
"""`mlhub serve` with TorchScript models (the pytorch flavor, LibTorch backend): predictions equal
Python torch's on the same model and input (rel 1e-5) over V2 JSON and binary tensors,
/invocations and /predict; multi-input, multi-output integer models; correct answers under
concurrency (dynamic batching); a pickled (non-TorchScript) model and a GPU device on a CPU-only
host are UNAVAILABLE with a reason while other models serve; and LibTorch is mapped into the
process only once a pytorch model loads (ADR 0005).

Models are made at test time with Debian's python3-torch (torch_testlib).
"""
import concurrent.futures
import json
import os
import struct
import subprocess

import numpy as np
import pytest
import requests
import torch

import torch_testlib
from mlhub_testlib import mlhub_bin
from serving_e2e_fixtures import error_of, repository, wait_models_ready
from serving_testlib import ServeProcess, assert_close, infer, v2_input

REL = 1e-5


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("torch-models")
    mlp = torch_testlib.mlp(seed=3)
    pair = torch_testlib.Pair()
    dirs = {
        "mlp": torch_testlib.write_mlflow_pytorch(str(root / "mlp"), mlp,
                                                  torch_testlib.MLP_TENSOR_SIGNATURE),
        "mlp_columns": torch_testlib.write_mlflow_pytorch(str(root / "mlp_columns"), mlp,
                                                          torch_testlib.MLP_COLUMN_SIGNATURE),
        "pair": torch_testlib.write_mlflow_pytorch(str(root / "pair"), pair,
                                                   torch_testlib.PAIR_SIGNATURE),
        "pickled": torch_testlib.write_mlflow_pytorch(str(root / "pickled"), mlp, script=False),
    }
    return {"dirs": dirs, "mlp": mlp, "pair": pair}


@pytest.fixture(scope="module")
def srv(tmp_path_factory, models):
    proc = ServeProcess(tmp_path_factory.mktemp("torch-serve"), models["dirs"], grpc=False)
    proc.spawn()
    proc.wait_live()
    wait_models_ready(proc, ["mlp", "mlp_columns", "pair"])
    yield proc
    proc.kill()


def rows(n, seed):
    return np.random.default_rng(seed).normal(size=(n, torch_testlib.FEATURES)).astype(np.float32)


def outputs_of(r):
    assert r.status_code == 200, r.text[:500]
    return {o["name"]: o for o in r.json()["outputs"]}


def test_metadata_describes_the_torchscript_model(srv):
    meta = requests.get(srv.url + "/v2/models/mlp", timeout=10).json()
    assert meta["platform"] == "pytorch_libtorch"
    # The signature gives the datatype and shape; the name is forward's argument.
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 13]}]
    assert meta["outputs"] == [{"name": "output-0", "datatype": "FP32", "shape": [-1, 1]}]
    pair = requests.get(srv.url + "/v2/models/pair", timeout=10).json()
    assert [i["name"] for i in pair["inputs"]] == ["left", "right"]
    assert [(o["name"], o["datatype"]) for o in pair["outputs"]] == [("sum", "INT64"),
                                                                     ("product", "INT64")]


def test_v2_json_matches_python_torch(srv, models):
    x = rows(7, seed=1)
    for nested in (False, True):
        r = infer(srv.url, "mlp", {"id": "t1", "inputs": [v2_input(x, "input", nested=nested)]})
        out = outputs_of(r)["output-0"]
        assert r.json()["id"] == "t1"
        assert out["shape"] == [7, 1] and out["datatype"] == "FP32"
        assert_close(np.asarray(out["data"]).reshape(7, 1), torch_testlib.forward(models["mlp"], x),
                     rel=REL)


def test_v2_binary_tensors_match_python_torch(srv, models):
    x = rows(5, seed=2)
    header = json.dumps({
        "inputs": [{"name": "input", "shape": [5, 13], "datatype": "FP32",
                    "parameters": {"binary_data_size": x.nbytes}}],
        "outputs": [{"name": "output-0", "parameters": {"binary_data": True}}],
    }).encode()
    r = infer(srv.url, "mlp", None, data=header + x.tobytes(),
              headers={"Inference-Header-Content-Length": str(len(header)),
                       "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text[:300]
    json_length = int(r.headers["Inference-Header-Content-Length"])
    answer = json.loads(r.content[:json_length])
    out = answer["outputs"][0]
    assert out["parameters"]["binary_data_size"] == 5 * 4
    values = struct.unpack("<5f", r.content[json_length:json_length + 20])
    assert_close(np.asarray(values).reshape(5, 1), torch_testlib.forward(models["mlp"], x), rel=REL)


def test_integer_inputs_and_tuple_outputs(srv):
    left = np.array([[1, 2, 3], [-4, 5, 2**40]], dtype=np.int64)
    right = np.array([[7, 0, -1], [2, 2, 3]], dtype=np.int64)
    r = infer(srv.url, "pair", {"inputs": [v2_input(right, "right", "INT64"),
                                           v2_input(left, "left", "INT64")]})
    out = outputs_of(r)
    assert out["sum"]["data"] == (left + right).reshape(-1).tolist()
    assert out["product"]["data"] == (left * right).reshape(-1).tolist()
    # Requested outputs: only `product`.
    r = infer(srv.url, "pair", {"inputs": [v2_input(left, "left", "INT64"),
                                           v2_input(right, "right", "INT64")],
                                "outputs": [{"name": "product"}]})
    assert list(outputs_of(r)) == ["product"]


def test_invocations_and_predict_match_python_torch(srv, models):
    x = rows(4, seed=4)
    expected = torch_testlib.forward(models["mlp"], x)
    columns = torch_testlib.COLUMNS
    body = {"dataframe_split": {"columns": columns[::-1], "data": x[:, ::-1].tolist()}}
    r = requests.post(srv.url + "/invocations?model=mlp_columns", json=body, timeout=10)
    assert r.status_code == 200, r.text[:300]
    # Columns are mapped by name (given reversed here), as MLflow's schema enforcement does; a
    # DataFrame in gives a DataFrame out (mlflow.pytorch's pyfunc), written as records.
    records = r.json()["predictions"]
    assert [list(row) for row in records] == [["0"]] * 4, records
    assert_close([[row["0"]] for row in records], expected, rel=REL)
    csv = ",".join(columns) + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in x)
    r = requests.post(srv.url + "/invocations?model=mlp_columns", data=csv, timeout=10,
                      headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text[:300]
    assert_close([[row["0"]] for row in r.json()["predictions"]], expected, rel=REL)
    r = requests.post(srv.url + "/invocations?model=mlp", json={"inputs": x.tolist()}, timeout=10)
    assert r.status_code == 200, r.text[:300]
    assert_close(r.json()["predictions"], expected, rel=REL)  # an array in, an array out
    r = requests.post(srv.url + "/predict?model=mlp", json={"features": x.tolist()}, timeout=10)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["model"] == "mlp"
    assert_close(r.json()["predictions"], expected, rel=REL)


def test_concurrent_distinct_requests_each_get_their_own_answer(srv, models):
    x = rows(96, seed=5)
    expected = torch_testlib.forward(models["mlp"], x)

    def one(i):
        r = infer(srv.url, "mlp", {"id": str(i), "inputs": [v2_input(x[i:i + 1], "input")]})
        assert r.status_code == 200, r.text[:300]
        return i, r.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        for i, answer in pool.map(one, range(96)):
            assert answer["id"] == str(i)
            assert_close(np.asarray(answer["outputs"][0]["data"]).reshape(1, 1), expected[i:i + 1],
                         rel=REL)


def test_bad_input_is_a_400_and_the_server_stays_healthy(srv):
    x = rows(2, seed=6)
    error_of(infer(srv.url, "mlp", {"inputs": [v2_input(x[:, :12], "input")]}))
    error_of(infer(srv.url, "mlp", {"inputs": [v2_input(x.astype(np.int64), "input", "INT64")]}))
    error_of(infer(srv.url, "pair", {"inputs": [v2_input(x, "left"), v2_input(x, "right")]}))
    assert requests.get(srv.url + "/v2/models/mlp/ready", timeout=10).status_code == 200
    assert requests.get(srv.url + "/v2/models/pair/ready", timeout=10).status_code == 200


def test_a_pickled_model_is_unavailable_with_a_reason(srv):
    index = {m["name"]: m for m in repository(srv, "index").json()}
    assert index["pickled"]["state"] == "UNAVAILABLE"
    assert "not a TorchScript model" in index["pickled"]["reason"], index["pickled"]
    assert index["mlp"]["state"] == "READY"
    error_of(infer(srv.url, "pickled", {"inputs": [v2_input(rows(1, 0), "input")]}), 503)


def libtorch_mapped(proc):
    with open(f"/proc/{proc.proc.pid}/maps") as f:
        return "libtorch" in f.read()


def test_libtorch_is_loaded_only_for_pytorch_models(tmp_path, srv):
    from serving_testlib import Models
    xgb_only = ServeProcess(tmp_path / "xgb", {"regressor": Models(str(tmp_path)).dirs["regressor"]},
                            grpc=False)
    try:
        xgb_only.start()
        assert not libtorch_mapped(xgb_only)
    finally:
        xgb_only.kill()
    assert libtorch_mapped(srv)


def test_device_flag(tmp_path, models):
    bad = subprocess.run([mlhub_bin(), "serve", "--device", "gpu", "--model",
                          f"m={models['dirs']['mlp']}"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "cpu, cuda or cuda:N" in bad.stderr + bad.stdout
    proc = ServeProcess(tmp_path, {"mlp": models["dirs"]["mlp"]},
                        extra_args=["--device", "cuda:0", "--torch-threads", "2"], grpc=False)
    try:
        proc.spawn()
        proc.wait_live()
        if torch.cuda.is_available():
            # A CUDA build on a GPU host: the model runs there, with the same answers.
            wait_models_ready(proc, ["mlp"])
            x = rows(3, seed=7)
            out = outputs_of(infer(proc.url, "mlp", {"inputs": [v2_input(x, "input")]}))
            assert_close(np.asarray(out["output-0"]["data"]).reshape(3, 1),
                         torch_testlib.forward(models["mlp"], x), rel=REL)
        else:
            def state():
                entry = repository(proc, "index").json()[0]
                return entry if entry["state"] == "UNAVAILABLE" else None
            import serving_e2e_fixtures
            entry = serving_e2e_fixtures.wait_until(state, what="the cuda model failing to load")
            assert "no CUDA support" in entry["reason"], entry
            assert requests.get(proc.url + "/v2/health/live", timeout=10).status_code == 200
    finally:
        proc.kill()
