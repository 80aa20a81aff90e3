# SPDX-License-Identifier: Apache-2.0
"""`mlhub serve` over the Open Inference Protocol (KServe V2) REST: server and model metadata,
health, inference against Python's own predictions, input validation, the binary tensor data
extension, the model repository extension and the serving metrics on /metrics.

One shared server (the three fixture models plus `broken`, whose directory does not exist) serves
the read-only tests; tests that unload models or count metrics start their own.
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import requests

from serving_e2e_fixtures import (  # noqa: F401  (models and serve are pytest fixtures)
    HTTP_TIMEOUT, MODEL_NAMES, error_of, model_counters, models, repository, scrape, serve,
    wait_models_ready,
)
from serving_testlib import ServeProcess, assert_close, infer, request_rows, v2_input


@pytest.fixture(scope="module")
def v2(serve):
    return serve(broken=True)


def get(srv, path):
    return requests.get(srv.url + path, timeout=HTTP_TIMEOUT)


def model_path(model, version=None):
    return f"/v2/models/{model}" + (f"/versions/{version}" if version else "")


def output_of(r, rows, width=None):
    """The one output of a 200 V2 answer, checked for name, datatype and shape; as numpy."""
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert len(body["outputs"]) == 1, body
    out = body["outputs"][0]
    assert out["name"] == "output-0" and out["datatype"] == "FP32", out
    assert out["shape"] == ([rows] if width is None else [rows, width]), out
    return np.asarray(out["data"], dtype=np.float64).reshape(out["shape"])


WIDTH = {"regressor": None, "classifier": None, "multiclass": 3}


# -- server metadata and health ----------------------------------------------------------------


def test_server_metadata(v2):
    r = get(v2, "/v2")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "mlhub"
    assert isinstance(body["version"], str) and body["version"]
    assert {"binary_tensor_data", "model_repository"} <= set(body["extensions"])


def test_health_live_and_ready(v2, serve):
    r = get(v2, "/v2/health/live")
    assert r.status_code == 200 and r.json() == {"live": True}
    # `broken` never loads: the server is not ready ...
    assert get(v2, "/v2/health/ready").status_code == 503
    # ... while a server whose models all loaded is.
    clean = serve()
    r = get(clean, "/v2/health/ready")
    assert r.status_code == 200 and r.json() == {"ready": True}


@pytest.mark.parametrize("version", [None, "1"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_ready(v2, name, version):
    r = get(v2, model_path(name, version) + "/ready")
    assert r.status_code == 200 and r.json() == {"name": name, "ready": True}


def test_model_ready_errors(v2):
    assert "broken" in error_of(get(v2, "/v2/models/broken/ready"), 503)
    error_of(get(v2, "/v2/models/nope/ready"), 404)
    error_of(get(v2, "/v2/models/regressor/versions/7/ready"), 404)


METADATA = {
    "regressor": ("xgboost_xgb", "FP32", [-1]),
    "classifier": ("xgboost_json", "FP64", [-1]),
    "multiclass": ("xgboost_ubj", "FP32", [-1, 3]),
}


@pytest.mark.parametrize("version", [None, "1"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_metadata(v2, name, version):
    platform, in_type, out_shape = METADATA[name]
    r = get(v2, model_path(name, version))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == name and body["platform"] == platform
    assert "1" in body["versions"]
    assert body["inputs"] == [{"name": "input-0", "datatype": in_type, "shape": [-1, 13]}]
    assert body["outputs"] == [{"name": "output-0", "datatype": "FP32", "shape": out_shape}]


def test_model_metadata_errors(v2):
    assert "7" in error_of(get(v2, "/v2/models/regressor/versions/7"), 404)
    assert "nope" in error_of(get(v2, "/v2/models/nope"), 404)
    error_of(get(v2, "/v2/models/broken"), 503)


# -- inference ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 64, 1000])  # 1000: above --max-batch-size 64, runs alone
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_infer_matches_python(v2, models, name, rows):
    x = request_rows(rows, seed=rows)
    r = infer(v2.url, name, {"inputs": [v2_input(x)]})
    body = r.json()
    assert body["model_name"] == name and body["model_version"] == "1", body
    assert "id" not in body
    assert_close(output_of(r, rows, WIDTH[name]), models.expected(name, x))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_infer_empty_batch(v2, name):
    x = np.zeros((0, 13), dtype=np.float32)
    r = infer(v2.url, name, {"inputs": [v2_input(x)]})
    assert output_of(r, 0, WIDTH[name]).size == 0


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_flat_and_nested_data_agree(v2, models, name):
    x = request_rows(5, seed=3)
    flat = infer(v2.url, name, {"inputs": [v2_input(x)]})
    nested = infer(v2.url, name, {"inputs": [v2_input(x, nested=True)]}, version="1")
    assert flat.status_code == nested.status_code == 200
    assert flat.json()["outputs"] == nested.json()["outputs"]
    assert_close(output_of(nested, 5, WIDTH[name]), models.expected(name, x))


@pytest.mark.parametrize("datatype", ["FP64", "INT32", "INT64", "UINT8", "BOOL"])
@pytest.mark.parametrize("name", ["regressor", "classifier"])
def test_other_input_datatypes_are_converted(v2, models, name, datatype):
    x = request_rows(6, seed=5).astype(np.float64)
    if datatype == "FP64":
        values = x + 1e-9  # not float32 values: the server rounds them as Python does
    elif datatype == "BOOL":
        values = x > 0
    else:
        values = np.abs(np.round(x * 3)).astype(np.int64) * (1 if datatype == "UINT8" else -1)
    r = infer(v2.url, name, {"inputs": [v2_input(values, datatype=datatype)]})
    assert_close(output_of(r, 6), models.expected(name, values.astype(np.float32)))


def column_inputs(x, order, as_matrix=(), as_int=()):
    """MLServer's form for a column signature: one input per column f0..f12, named as it."""
    inputs = []
    for i in order:
        values = x[:, i:i + 1] if i in as_matrix else x[:, i]
        if i in as_int:
            inputs.append(v2_input(np.round(values).astype(np.int64), name=f"f{i}", datatype="INT64"))
        else:
            inputs.append(v2_input(values, name=f"f{i}", datatype="FP64"))
    return inputs


def test_column_signature_takes_one_input_per_column(v2, models):
    # The classifier's signature has the columns f0..f12: besides one [N, 13] tensor it takes the
    # inputs KServe's MLflow runtime (MLServer) takes, one per column, in any order, [N] or [N, 1],
    # each of its own datatype (like a DataFrame's columns).
    x = request_rows(7, seed=9).astype(np.float64)
    order = list(np.random.default_rng(4).permutation(13))
    r = infer(v2.url, "classifier", {"inputs": column_inputs(x, order, as_matrix={0, 5}, as_int={3})})
    expected = x.copy()
    expected[:, 3] = np.round(expected[:, 3])
    assert_close(output_of(r, 7), models.expected("classifier", expected.astype(np.float32)))
    # the same answer as the single tensor
    single = infer(v2.url, "classifier", {"inputs": [v2_input(expected, datatype="FP64")]})
    assert r.json()["outputs"] == single.json()["outputs"]


def test_column_inputs_errors(v2):
    x = request_rows(3, seed=2).astype(np.float64)
    missing = column_inputs(x, range(12))
    assert "'f12' is missing" in error_of(infer(v2.url, "classifier", {"inputs": missing}), 400)
    twice = column_inputs(x, list(range(13)) + [4])
    assert "'f4' given twice" in error_of(infer(v2.url, "classifier", {"inputs": twice}), 400)
    uneven = column_inputs(x, range(13))
    uneven[7] = v2_input(x[:2, 7], name="f7", datatype="FP64")
    assert "batch size" in error_of(infer(v2.url, "classifier", {"inputs": uneven}), 400)
    words = column_inputs(x, range(13))
    words[2] = {"name": "f2", "shape": [3], "datatype": "BYTES", "data": ["a", "b", "c"]}
    assert "must be numbers" in error_of(infer(v2.url, "classifier", {"inputs": words}), 400)
    # the regressor has a tensor signature: no columns to name
    assert "takes 1 input(s)" in error_of(infer(v2.url, "regressor", {"inputs": column_inputs(x, range(13))}), 400)


def model_stats(srv, path):
    r = get(srv, path)
    assert r.status_code == 200, r.text
    return {(m["name"], m["version"]): m for m in r.json()["model_stats"]}


def test_statistics_extension(v2):
    # Triton's statistics extension over REST: the counters gRPC ModelStatistics answers.
    (before,) = model_stats(v2, "/v2/models/regressor/stats").values()
    for rows in (5, 3):
        assert infer(v2.url, "regressor", {"inputs": [v2_input(request_rows(rows))]}).status_code == 200
    assert infer(v2.url, "regressor", {"inputs": [v2_input(request_rows(2)[:, :4])]}).status_code == 400
    after = model_stats(v2, "/v2/models/regressor/versions/1/stats")[("regressor", "1")]
    assert after["inference_count"] - before["inference_count"] == 8
    assert 1 <= after["execution_count"] - before["execution_count"] <= 2
    stats, old = after["inference_stats"], before["inference_stats"]
    assert stats["success"]["count"] - old["success"]["count"] == 2
    assert stats["fail"]["count"] - old["fail"]["count"] == 1
    assert stats["success"]["ns"] > old["success"]["ns"]
    assert stats["compute_infer"]["ns"] > old["compute_infer"]["ns"]
    assert stats["queue"]["count"] == stats["success"]["count"]
    every = model_stats(v2, "/v2/models/stats")
    assert set(every) == {(name, "1") for name in MODEL_NAMES}
    error_of(get(v2, "/v2/models/regressor/versions/7/stats"), 404)
    error_of(get(v2, "/v2/models/nope/stats"), 404)
    error_of(get(v2, "/v2/models/broken/stats"), 503)


def test_request_id_is_echoed(v2):
    x = request_rows(2)
    r = infer(v2.url, "regressor", {"id": "req-42", "inputs": [v2_input(x)]})
    assert r.status_code == 200 and r.json()["id"] == "req-42"


def test_requested_outputs(v2, models):
    x = request_rows(3)
    r = infer(v2.url, "multiclass", {"inputs": [v2_input(x)], "outputs": [{"name": "output-0"}]})
    assert_close(output_of(r, 3, 3), models.expected("multiclass", x))
    r = infer(v2.url, "multiclass", {"inputs": [v2_input(x)], "outputs": [{"name": "probs"}]})
    assert "probs" in error_of(r)
    twice = [{"name": "output-0"}, {"name": "output-0"}]
    r = infer(v2.url, "multiclass", {"inputs": [v2_input(x)], "outputs": twice})
    assert "twice" in error_of(r)


def test_infer_unknown_or_unavailable_model(v2):
    body = {"inputs": [v2_input(request_rows(1))]}
    error_of(infer(v2.url, "nope", body), 404)
    error_of(infer(v2.url, "regressor", body, version="7"), 404)
    error_of(infer(v2.url, "broken", body), 503)


X2 = request_rows(2).reshape(-1).tolist()
GOOD = {"name": "input-0", "shape": [2, 13], "datatype": "FP32", "data": X2}


def _without(key):
    return {k: v for k, v in GOOD.items() if k != key}


BAD_BODIES = {
    "no-inputs": {},
    "inputs-not-a-list": {"inputs": {"input-0": X2}},
    "no-name": {"inputs": [_without("name")]},
    "no-shape": {"inputs": [_without("shape")]},
    "no-datatype": {"inputs": [_without("datatype")]},
    "no-data": {"inputs": [_without("data")]},
    "unknown-datatype": {"inputs": [dict(GOOD, datatype="FP33")]},
    "negative-shape": {"inputs": [dict(GOOD, shape=[-1, 13])]},
    "count-vs-shape": {"inputs": [dict(GOOD, shape=[3, 13])]},
    "strings-for-fp32": {"inputs": [dict(GOOD, data=["0.5"] * 26)]},
    "null-for-fp32": {"inputs": [dict(GOOD, data=[None] * 26)]},
    "booleans-for-fp32": {"inputs": [dict(GOOD, data=[True] * 26)]},
    "fraction-for-int32": {"inputs": [dict(GOOD, datatype="INT32", data=[1.5] * 26)]},
    "out-of-range-uint8": {"inputs": [dict(GOOD, datatype="UINT8", data=[300] * 26)]},
    "wrong-feature-count": {"inputs": [dict(GOOD, shape=[2, 12], data=X2[:24])]},
    "rank-1": {"inputs": [dict(GOOD, shape=[26])]},
    "rank-3": {"inputs": [dict(GOOD, shape=[1, 2, 13])]},
    "two-inputs": {"inputs": [GOOD, dict(GOOD, name="input-1")]},
    "fp16-in-json": {"inputs": [dict(GOOD, datatype="FP16")]},
    "bytes-for-fp32-model": {"inputs": [dict(GOOD, datatype="BYTES", data=["a"] * 26)]},
    "outputs-not-a-list": {"inputs": [GOOD], "outputs": "output-0"},
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_invalid_requests_are_400(v2, case):
    error_of(infer(v2.url, "regressor", BAD_BODIES[case]))


@pytest.mark.parametrize("raw", [b'{"inputs": [', b"", b"[1, 2]", b"not json"])
def test_malformed_json_is_400(v2, raw):
    error_of(infer(v2.url, "regressor", None, data=raw, headers={"Content-Type": "application/json"}))


# -- binary tensor data extension ---------------------------------------------------------------


def binary_request(srv, header, blob, header_length=None, model="regressor"):
    head = json.dumps(header).encode()
    length = len(head) if header_length is None else header_length
    return infer(srv.url, model, None, data=head + blob,
                 headers={"Inference-Header-Content-Length": str(length),
                          "Content-Type": "application/octet-stream"})


def binary_input(x, datatype="FP32", size=None):
    raw = x.tobytes()
    return {"name": "input-0", "shape": list(x.shape), "datatype": datatype,
            "parameters": {"binary_data_size": len(raw) if size is None else size}}, raw


def binary_output(r, rows, width=None):
    """The FP32 output of a binary 200 answer: checks the JSON header, returns the bytes as numpy."""
    assert r.status_code == 200, r.text[:500]
    length = int(r.headers["Inference-Header-Content-Length"])
    (out,) = json.loads(r.content[:length])["outputs"]
    shape = [rows] if width is None else [rows, width]
    size = 4 * rows * (width or 1)
    assert out["name"] == "output-0" and out["datatype"] == "FP32" and out["shape"] == shape, out
    assert "data" not in out and out["parameters"]["binary_data_size"] == size, out
    assert len(r.content) == length + size
    return np.frombuffer(r.content[length:], dtype="<f4").reshape(shape)


def test_binary_in_json_out(v2, models):
    x = request_rows(7, seed=21)
    spec, raw = binary_input(x)
    r = binary_request(v2, {"inputs": [spec]}, raw)
    assert "Inference-Header-Content-Length" not in r.headers
    assert_close(output_of(r, 7), models.expected("regressor", x))


@pytest.mark.parametrize("datatype,dtype", [("FP64", "<f8"), ("INT64", "<i8"), ("UINT8", "u1"),
                                            ("BOOL", "?")])
def test_binary_input_datatypes(v2, models, datatype, dtype):
    x = (np.abs(request_rows(4, seed=22)) * 3).astype(dtype)
    spec, raw = binary_input(x, datatype)
    r = binary_request(v2, {"inputs": [spec]}, raw)
    assert_close(output_of(r, 4), models.expected("regressor", x.astype(np.float32)))


def test_binary_in_binary_out(v2, models):
    x = request_rows(9, seed=23)
    spec, raw = binary_input(x)
    r = binary_request(v2, {"inputs": [spec], "parameters": {"binary_data_output": True}}, raw)
    got = binary_output(r, 9)
    assert np.array_equal(got, models.expected("regressor", x).astype(np.float32))
    r = binary_request(v2, {"inputs": [spec], "parameters": {"binary_data_output": True}}, raw,
                       model="multiclass")
    got = binary_output(r, 9, width=3)
    assert np.array_equal(got, models.expected("multiclass", x).astype(np.float32))


@pytest.mark.parametrize("how", ["request-parameter", "output-parameter"])
def test_json_in_binary_out(v2, models, how):
    x = request_rows(5, seed=24)
    body = {"inputs": [v2_input(x)]}
    if how == "request-parameter":
        body["parameters"] = {"binary_data_output": True}
    else:
        body["outputs"] = [{"name": "output-0", "parameters": {"binary_data": True}}]
    got = binary_output(infer(v2.url, "regressor", body), 5)
    assert np.array_equal(got, models.expected("regressor", x).astype(np.float32))


def test_output_binary_data_false_overrides_request_default(v2, models):
    x = request_rows(3, seed=25)
    body = {"inputs": [v2_input(x)], "parameters": {"binary_data_output": True},
            "outputs": [{"name": "output-0", "parameters": {"binary_data": False}}]}
    r = infer(v2.url, "regressor", body)
    assert "Inference-Header-Content-Length" not in r.headers
    assert_close(output_of(r, 3), models.expected("regressor", x))


def test_raw_binary_request_is_one_row_answered_binary(v2, models):
    """Triton's raw form: Inference-Header-Content-Length 0, the body is the single input's bytes."""
    x = request_rows(1, seed=25)
    r = requests.post(v2.url + "/v2/models/regressor/infer", data=x.tobytes(), timeout=30,
                      headers={"Inference-Header-Content-Length": "0",
                               "Content-Type": "application/octet-stream"})
    np.testing.assert_array_equal(binary_output(r, 1), models.expected("regressor", x).reshape(1))
    # Not one row's worth of bytes: 400.
    r = requests.post(v2.url + "/v2/models/regressor/infer", data=x.tobytes()[:-4], timeout=30,
                      headers={"Inference-Header-Content-Length": "0"})
    error_of(r, 400)


def test_binary_errors(v2):
    x = request_rows(2, seed=26)
    spec, raw = binary_input(x)
    error_of(binary_request(v2, {"inputs": [spec]}, raw, header_length=100000))
    error_of(binary_request(v2, {"inputs": [spec]}, raw, header_length="many"))
    past_end, _ = binary_input(x, size=len(raw) + 8)
    error_of(binary_request(v2, {"inputs": [past_end]}, raw))
    error_of(binary_request(v2, {"inputs": [spec]}, raw + b"\0\0\0\0"))  # leftover bytes
    short_shape = dict(spec, shape=[1, 13])
    error_of(binary_request(v2, {"inputs": [short_shape]}, raw))
    both = dict(spec, data=x.reshape(-1).tolist())
    error_of(binary_request(v2, {"inputs": [both]}, raw))


# -- model repository extension --------------------------------------------------------------


def index_of(srv, body=None):
    r = repository(srv, "index", body=body)
    assert r.status_code == 200, r.text
    return {entry["name"]: entry for entry in r.json()}


def test_repository_index(v2):
    index = index_of(v2)
    assert set(index) == set(MODEL_NAMES) | {"broken"}
    for name in MODEL_NAMES:
        assert index[name]["state"] == "READY" and index[name]["version"] == "1", index[name]
    assert index["broken"]["state"] == "UNAVAILABLE" and index["broken"]["reason"], index["broken"]
    assert set(index_of(v2, {"ready": True})) == set(MODEL_NAMES)
    assert set(index_of(v2, {"ready": False})) == set(MODEL_NAMES) | {"broken"}


def test_unload_and_load(serve, models):
    srv = serve()
    x = request_rows(4, seed=31)
    r = repository(srv, "unload", "regressor")
    assert r.status_code == 200, r.text
    error_of(infer(srv.url, "regressor", {"inputs": [v2_input(x)]}), 503)
    error_of(get(srv, "/v2/models/regressor"), 503)
    assert get(srv, "/v2/models/regressor/ready").status_code == 503
    assert get(srv, "/v2/health/ready").status_code == 503
    assert index_of(srv)["regressor"]["state"] == "UNAVAILABLE"
    assert "regressor" not in index_of(srv, {"ready": True})
    assert model_ready_gauge(srv, "regressor") == 0
    # The others keep serving.
    assert_close(output_of(infer(srv.url, "classifier", {"inputs": [v2_input(x)]}), 4),
                 models.expected("classifier", x))

    r = repository(srv, "load", "regressor")
    assert r.status_code == 200, r.text
    wait_models_ready(srv, ["regressor"])
    assert index_of(srv)["regressor"]["state"] == "READY"
    assert get(srv, "/v2/health/ready").status_code == 200
    assert model_ready_gauge(srv, "regressor") == 1
    assert_close(output_of(infer(srv.url, "regressor", {"inputs": [v2_input(x)]}), 4),
                 models.expected("regressor", x))
    # Loading a loaded model reloads it; it keeps answering.
    assert repository(srv, "load", "classifier").status_code == 200
    wait_models_ready(srv, ["classifier"])
    assert_close(output_of(infer(srv.url, "classifier", {"inputs": [v2_input(x)]}), 4),
                 models.expected("classifier", x))


def test_repository_unknown_model(v2):
    error_of(repository(v2, "load", "nope"), 404)
    error_of(repository(v2, "unload", "nope"), 404)


def test_failed_load_does_not_affect_others(serve, models):
    srv = serve(broken=True)
    r = repository(srv, "load", "broken")
    # A known model that cannot load is a 400 (404 is for names the server does not know).
    error_of(r, 400)
    assert "broken" in r.json()["error"]
    assert index_of(srv)["broken"]["state"] == "UNAVAILABLE"
    x = request_rows(3, seed=32)
    for name in MODEL_NAMES:
        assert get(srv, f"/v2/models/{name}/ready").status_code == 200
        assert_close(output_of(infer(srv.url, name, {"inputs": [v2_input(x)]}), 3, WIDTH[name]),
                     models.expected(name, x))


# -- single-model (KServe) form -----------------------------------------------------------------


@pytest.mark.parametrize("layout", ["mlmodel-at-top", "one-subdirectory"])
def test_kserve_model_dir_form(tmp_path, models, layout):
    top = tmp_path / "mnt-models"
    shutil.copytree(models.dirs["regressor"], top if layout == "mlmodel-at-top" else top / "model")
    srv = ServeProcess(tmp_path / "proc", {}, grpc=False,
                       extra_args=["--model-dir", str(top), "--model-name", "kserve-model"])
    try:
        srv.start()
        x = request_rows(3, seed=33)
        assert_close(output_of(infer(srv.url, "kserve-model", {"inputs": [v2_input(x)]}), 3),
                     models.expected("regressor", x))
    finally:
        srv.kill()


# -- metrics --------------------------------------------------------------------------------


def model_ready_gauge(srv, model):
    values = [v for (name, labels), v in scrape(srv).items()
              if name == "mlhub_model_ready" and ("model", model) in labels]
    assert len(values) == 1, values
    return values[0]


def test_metrics_move_with_requests(serve, models):
    srv = serve(names=("regressor",), broken=True)
    before = model_counters(srv, "regressor")
    assert before["mlhub_inference_request_success"] == 0
    x = request_rows(64, seed=41)
    for rows in (3, 64):
        r = infer(srv.url, "regressor", {"inputs": [v2_input(x[:rows])]})
        assert_close(output_of(r, rows), models.expected("regressor", x[:rows]))
    after = model_counters(srv, "regressor")
    assert after["mlhub_inference_request_success"] == 2
    assert after["mlhub_inference_request_failure"] == 0
    assert after["mlhub_inference_count"] == 67
    assert after["mlhub_inference_exec_count"] == 2
    assert after["mlhub_inference_compute_infer_duration_us"] > 0
    assert after["mlhub_inference_request_duration_us"] >= after["mlhub_inference_compute_infer_duration_us"]
    assert after["mlhub_inference_queue_duration_us"] >= 0

    error_of(infer(srv.url, "regressor", BAD_BODIES["wrong-feature-count"]))
    failed = model_counters(srv, "regressor")
    assert failed["mlhub_inference_request_failure"] == 1
    for name in ("mlhub_inference_request_success", "mlhub_inference_count",
                 "mlhub_inference_exec_count", "mlhub_inference_compute_infer_duration_us"):
        assert failed[name] == after[name], name

    assert model_ready_gauge(srv, "regressor") == 1
    assert model_ready_gauge(srv, "broken") == 0
