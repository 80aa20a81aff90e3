# SPDX-License-Identifier: Apache-2.0
"""Hardening, `mlhub serve`: a brute list of malformed requests per protocol (V2 REST with JSON
and the binary extension, MLflow scoring on /invocations, the seed API's /predict, V2 gRPC). Each
one must get a 4xx (gRPC: a client error status), never a 5xx or a dropped connection, in the
protocol's own error format, and the server must stay healthy. The MLflow REST side is in
test_hardening_malformed.py.
"""
from __future__ import annotations

import json
import struct

import grpc
import numpy as np
import pytest

from grpc_testlib import InferenceClient, compile_protos
from hardening_testlib import (
    Failures, any_4xx, assert_alive, body_bytes, mlflow_error, raw_http, v2_error,
)
from mlhub_testlib import API
from serving_testlib import FEATURES, Models, ServeProcess, request_rows

JSON = {"Content-Type": "application/json"}
MIB = 1 << 20


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return Models(str(tmp_path_factory.mktemp("hard-models")))


@pytest.fixture(scope="module")
def protos(tmp_path_factory):
    return compile_protos(tmp_path_factory.mktemp("hard-protos"))


@pytest.fixture(scope="module")
def serve(tmp_path_factory, models):
    """The regressor (tensor signature, the default model) and the classifier (column signature)."""
    proc = ServeProcess(tmp_path_factory.mktemp("hard-serve"),
                        {"regressor": models.dirs["regressor"], "classifier": models.dirs["classifier"]}).start()
    yield proc
    alive = proc.proc.poll() is None
    rc = proc.terminate()
    assert alive, f"mlhub serve died during the module:\n{proc.log()}"
    assert rc == 0, proc.log()


X2 = request_rows(2).reshape(-1).tolist()
GOOD = {"name": "input-0", "shape": [2, FEATURES], "datatype": "FP32", "data": X2}


def _inp(**kw):
    d = dict(GOOD)
    d.update(kw)
    return d


def _binary(spec_inputs, blob, header_length=None, extra=None):
    head = json.dumps({"inputs": spec_inputs}).encode()
    headers = {"Content-Type": "application/octet-stream",
               "Inference-Header-Content-Length": str(len(head) if header_length is None else header_length)}
    headers.update(extra or {})
    return head + blob, headers


def _v2_cases():
    x = request_rows(2, seed=3).astype(np.float32)
    raw = x.tobytes()
    spec = {"name": "input-0", "shape": [2, FEATURES], "datatype": "FP32", "parameters": {"binary_data_size": len(raw)}}
    cases = []  # (label, model path, body bytes, headers, allowed statuses)
    path = "/v2/models/regressor/infer"

    def j(label, obj, allowed=(400,), target=path):
        cases.append((label, target, body_bytes(obj), JSON, allowed))

    j("truncated JSON", b'{"inputs": [')
    j("empty body", b"")
    j("JSON array", b"[1, 2]")
    j("not JSON", b"not json")
    j("non-UTF-8", b'{"inputs": [{"name": "\xff"}]}')
    j("nested 5000 deep", b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    j("bare NaN", b'{"inputs": [{"name": "input-0", "shape": [1, 13], "datatype": "FP32", "data": '
               b'[NaN,1,1,1,1,1,1,1,1,1,1,1,1]}]}')
    j("no inputs", {})
    j("inputs not a list", {"inputs": {"input-0": X2}})
    j("empty inputs", {"inputs": []})
    j("two inputs", {"inputs": [GOOD, _inp(name="input-1")]})
    for dt in ["FP33", "fp32", "", "FLOAT", "STRING", "INT128"]:
        j(f"datatype {dt!r}", {"inputs": [_inp(datatype=dt)]})
    j("datatype a number", {"inputs": [_inp(datatype=5)]})
    j("FP16 in JSON", {"inputs": [_inp(datatype="FP16")]})
    j("BYTES for an FP32 model", {"inputs": [_inp(datatype="BYTES", data=["a"] * 26)]})
    j("shape/data mismatch (more shape)", {"inputs": [_inp(shape=[3, FEATURES])]})
    j("shape/data mismatch (less shape)", {"inputs": [_inp(shape=[1, FEATURES])]})
    j("shape [1, 2**62]", {"inputs": [_inp(shape=[1, 2 ** 62])]})
    j("shape [2**62, 2**62]", {"inputs": [_inp(shape=[2 ** 62, 2 ** 62])]})
    j("shape [2**32, 2**32, 13]", {"inputs": [_inp(shape=[2 ** 32, 2 ** 32, FEATURES])]})
    j("shape with 2**64", {"inputs": [_inp(shape=[1, 2 ** 64])]})
    j("negative shape", {"inputs": [_inp(shape=[-2, -FEATURES])]})
    j("-1 batch", {"inputs": [_inp(shape=[-1, FEATURES])]})
    j("fractional shape", {"inputs": [_inp(shape=[2, 13.5])]})
    j("string shape", {"inputs": [_inp(shape="2,13")]})
    j("string in shape", {"inputs": [_inp(shape=[2, "13"])]})
    j("rank 0 shape", {"inputs": [_inp(shape=[])]})
    j("rank 10000 shape", {"inputs": [_inp(shape=[1] * 10000)]})
    j("data a string", {"inputs": [_inp(data="abc")]})
    j("ragged nested data", {"inputs": [_inp(data=[[0.5] * 13, [0.5] * 12])]})
    j("strings for FP32", {"inputs": [_inp(data=["0.5"] * 26)]})
    j("nulls for FP32", {"inputs": [_inp(data=[None] * 26)]})
    j("objects in data", {"inputs": [_inp(data=[{"a": 1}] * 26)]})
    j("1000 for INT8", {"inputs": [_inp(datatype="INT8", data=[1000] * 26)]})
    j("-1 for UINT64", {"inputs": [_inp(datatype="UINT64", data=[-1] * 26)]})
    j("2**64 for INT64", {"inputs": [_inp(datatype="INT64", data=[2 ** 64] * 26)]})
    j("fraction for INT32", {"inputs": [_inp(datatype="INT32", data=[1.5] * 26)]})
    j("data and binary_data_size", {"inputs": [_inp(parameters={"binary_data_size": 104})]})
    j("unknown requested output", {"inputs": [GOOD], "outputs": [{"name": "nope"}]})
    j("output requested twice", {"inputs": [GOOD], "outputs": [{"name": "output-0"}, {"name": "output-0"}]})
    j("output without a name", {"inputs": [GOOD], "outputs": [{}]})
    j("outputs not a list", {"inputs": [GOOD], "outputs": "output-0"})
    j("number for an output", {"inputs": [GOOD], "outputs": [5]})
    j("parameters a string", {"inputs": [GOOD], "parameters": "x"})
    j("id a number", {"inputs": [GOOD], "id": 5})
    # unknown models and versions
    j("unknown model", {"inputs": [GOOD]}, (404,), "/v2/models/nope/infer")
    j("unknown version", {"inputs": [GOOD]}, (404,), "/v2/models/regressor/versions/99/infer")
    j("version junk", {"inputs": [GOOD]}, (400, 404), "/v2/models/regressor/versions/%zz/infer")
    j("NUL model name", {"inputs": [GOOD]}, (400, 404), "/v2/models/%00/infer")
    j("empty model name", {"inputs": [GOOD]}, (400, 404), "/v2/models//infer")
    j("10000-char model name", {"inputs": [GOOD]}, (400, 404), "/v2/models/" + "a" * 10000 + "/infer")
    # the binary extension
    b, h = _binary([spec], raw, header_length=len(json.dumps({"inputs": [spec]})) + len(raw) + 1)
    cases.append(("header length past the body", path, b, h, (400,)))
    for bad in ["-1", "abc", "", "0x10", " 12", "1e3", str(10 ** 30), "-0"]:
        b, h = _binary([spec], raw, header_length=bad)
        cases.append((f"Inference-Header-Content-Length {bad!r}", path, b, h, (400,)))
    b, h = _binary([spec], raw, header_length=len(json.dumps({"inputs": [spec]})) - 1)
    cases.append(("header length one short", path, b, h, (400,)))
    for size in [len(raw) - 1, len(raw) + 8, 0, -1, 2 ** 63, "104", None, 1.5, [104]]:
        s = dict(spec, parameters={"binary_data_size": size})
        b, h = _binary([s], raw)
        cases.append((f"binary_data_size {size!r}", path, b, h, (400,)))
    b, h = _binary([spec], raw + b"\0\0\0\0")
    cases.append(("bytes left over", path, b, h, (400,)))
    b, h = _binary([dict(spec, shape=[1, FEATURES])], raw)
    cases.append(("binary shape too small", path, b, h, (400,)))
    b, h = _binary([dict(spec, shape=[2 ** 40, FEATURES])], raw)
    cases.append(("binary huge shape", path, b, h, (400,)))
    b, h = _binary([spec, dict(spec, name="input-1")], raw)
    cases.append(("two binary inputs, one blob", path, b, h, (400,)))
    # BYTES tensors with bad length prefixes
    for label, blob, shape in [("prefix past the end", struct.pack("<I", 100) + b"abc", [1]),
                               ("prefix 2**32-1", struct.pack("<I", 2 ** 32 - 1) + b"abc", [2]),
                               ("truncated prefix", b"\x01\x00", [1]),
                               ("fewer elements than the shape", struct.pack("<I", 3) + b"abc", [2]),
                               ("bytes after the elements", struct.pack("<I", 3) + b"abc\0", [1]),
                               ("huge BYTES shape", struct.pack("<I", 3) + b"abc", [2 ** 62])]:
        s = {"name": "input-0", "shape": shape, "datatype": "BYTES", "parameters": {"binary_data_size": len(blob)}}
        b, h = _binary([s], blob)
        cases.append((f"BYTES {label}", path, b, h, (400,)))
    # raw binary form (header length 0): the body is one row
    cases.append(("raw form, 100 bytes", path, b"x" * 100, {"Inference-Header-Content-Length": "0"}, (400,)))
    cases.append(("raw form, empty", path, b"", {"Inference-Header-Content-Length": "0"}, (400,)))
    return cases


def test_v2_rest_malformed_requests(serve):
    failures = Failures()
    for label, target, body, headers, allowed in _v2_cases():
        failures.check(label, lambda: v2_error(raw_http(serve.url, "POST", target, body, headers), label, allowed))
    for method, target in [("GET", "/v2/models/regressor/infer"), ("PUT", "/v2/models/regressor/infer"),
                           ("DELETE", "/v2/models/regressor"), ("GET", "/v2/models/nope"),
                           ("GET", "/v2/models/nope/ready"), ("GET", "/v2/nope"), ("GET", "/v2/models/%zz"),
                           ("POST", "/v2/repository/models/nope/load")]:
        label = f"{method} {target}"
        failures.check(label, lambda: v2_error(
            raw_http(serve.url, method, target, b"{}" if method in ("POST", "PUT") else b"",
                     JSON if method in ("POST", "PUT") else None), label, (400, 404, 405)))
    failures.assert_none()
    assert_alive(serve, serve.url, "/v2/health/ready")
    r = raw_http(serve.url, "POST", "/v2/models/regressor/infer", body_bytes({"inputs": [GOOD]}), JSON)
    assert r.status == 200 and r.json()["outputs"][0]["shape"] == [2], r.describe()


def test_v2_oversizedbody_bytes(serve, tmp_path, models):
    """A body past --max-body-mb: a 413 V2 error, the connection answered."""
    small = ServeProcess(tmp_path / "small", {"regressor": models.dirs["regressor"]},
                         extra_args=["--max-body-mb", "1"], grpc=False).start()
    try:
        big = b'{"inputs": [{"name": "input-0", "shape": [1, 13], "datatype": "FP32", "data": [' + \
              b"0.5," * (600 * 1024) + b'0.5]}]}'
        r = raw_http(small.url, "POST", "/v2/models/regressor/infer", b"", JSON | {"Content-Length": str(len(big))},
                     body_chunks=[big[i:i + MIB] for i in range(0, len(big), MIB)])
        v2_error(r, "2.4 MB body with --max-body-mb 1", (413,))
        assert_alive(small, small.url, "/v2/health/ready")
    finally:
        small.kill()


CSV = {"Content-Type": "text/csv"}
COLS = [f"f{i}" for i in range(FEATURES)]
ROW = ",".join(["1"] * FEATURES)


def _scoring_cases():
    header = ",".join(COLS)
    cases = []  # (label, target, body, headers, allowed, format: "mlflow" | "text")

    def inv(label, body, headers=JSON, allowed=(400,), target="/invocations", fmt="mlflow"):
        cases.append((label, target, body if isinstance(body, bytes) else body_bytes(body), headers, allowed, fmt))

    # content types: 415 with MLflow's plain-text message
    for ct in ["text/plain", "application/xml", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=x", "", "application/json; charset=latin-1",
               "text/csv; charset=utf-16", "application/json; format=pandas-split"]:
        inv(f"Content-Type {ct!r}", {"instances": [[1] * FEATURES]}, {"Content-Type": ct}, (415,), fmt="text")
    inv("no Content-Type", {"instances": [[1] * FEATURES]}, {}, (415,), fmt="text")
    # CSV
    inv("CSV row longer than the header", f"{header}\n{ROW},5\n".encode(), CSV)
    inv("CSV ragged: a row of 14 after one of 13", f"{header}\n{ROW}\n{ROW},1\n".encode(), CSV)
    inv("CSV too few columns", b"f0,f1\n1,2\n", CSV)
    inv("CSV unterminated quote", f'{header}\n"1,{ROW[2:]}\n'.encode(), CSV)
    inv("CSV words in numeric columns", f"{header}\n{','.join(['x'] * FEATURES)}\n".encode(), CSV)
    inv("CSV 1e999", f"{header}\n1e999,{ROW[2:]}\n".encode(), CSV)
    inv("CSV NUL fields", (header + "\n" + "\x00," * 12 + "1\n").encode(), CSV)
    inv("CSV empty", b"", CSV)
    inv("CSV only newlines", b"\n" * 10000, CSV)
    inv("CSV 13000 columns", (",".join(COLS * 1000) + "\n" + ",".join(["1"] * 13000) + "\n").encode(), CSV)
    # JSON
    inv("malformed JSON", b'{"dataframe_split": {"columns": ')
    inv("JSON array", b"[[1, 2, 3]]")
    inv("no format key", {"data": [[1, 2]]})
    inv("two format keys", {"instances": [[1] * FEATURES], "inputs": [[1] * FEATURES]})
    inv("nested 5000 deep", b'{"instances": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    inv("split: short row", {"dataframe_split": {"columns": COLS, "data": [[1] * 12]}})
    inv("split: long row", {"dataframe_split": {"columns": COLS, "data": [[1] * 13, [1] * 14]}})
    inv("split: 5 columns, 13 values", {"dataframe_split": {"columns": COLS[:5], "data": [[1] * 13]}})
    inv("split: strings in numeric columns", {"dataframe_split": {"columns": COLS, "data": [["a"] * 13]}})
    inv("split: lists in cells", {"dataframe_split": {"columns": COLS, "data": [[[1]] * 13]}})
    inv("split: data a string", {"dataframe_split": {"columns": COLS, "data": "x"}})
    inv("split: columns a string", {"dataframe_split": {"columns": "x", "data": [[1] * 13]}})
    inv("split: numeric column names", {"dataframe_split": {"columns": [1] * 13, "data": [[1] * 13]}})
    inv("split: a list", {"dataframe_split": []})
    inv("split without data", {"dataframe_split": {"columns": ["f0"]}})
    inv("records: strings", {"dataframe_records": [{c: "x" for c in COLS}]})
    inv("records: numbers", {"dataframe_records": [1, 2]})
    inv("records: an object", {"dataframe_records": {"f0": 1}})
    inv("instances: a string", {"instances": "abc"})
    inv("instances: ragged", {"instances": [[1] * 13, [1, 2]]})
    inv("instances: strings", {"instances": [["a"] * 13]})
    inv("classifier: missing columns", {"dataframe_split": {"columns": COLS[:5], "data": [[1] * 5]}},
        target="/invocations?model=classifier")
    inv("classifier: strings", {"dataframe_records": [{c: "x" for c in COLS}]},
        target="/invocations?model=classifier")
    inv("unknown model", {"instances": [[1] * 13]}, allowed=(404,), target="/invocations?model=nope")
    inv("model query %zz", {"instances": [[1] * 13]}, allowed=(400, 404), target="/invocations?model=%zz")
    # /predict (the seed API): V2-style {"error": ...}
    for label, body in [("empty", {}), ("features a string", {"features": "x"}),
                        ("strings", {"features": [["a"] * 13]}), ("ragged", {"features": [[1] * 13, [1] * 12]}),
                        ("no rows", {"features": []}), ("empty row", {"features": [[]]}),
                        ("malformed", b"{"), ("nested deep", b'{"features": ' + b"[" * 5000 + b"]" * 5000 + b"}")]:
        cases.append((f"/predict {label}", "/predict", body_bytes(body), JSON, (400,), "v2"))
    cases.append(("/predict unknown model", "/predict?model=nope", body_bytes({"features": [[1] * 13]}), JSON,
                  (404,), "v2"))
    return cases


def test_scoring_malformed_requests(serve):
    failures = Failures()
    for label, target, body, headers, allowed, fmt in _scoring_cases():
        def one():
            r = raw_http(serve.url, "POST", target, body, headers)
            if fmt == "mlflow":
                mlflow_error(r, label, allowed)
            elif fmt == "v2":
                v2_error(r, label, allowed)
            else:
                any_4xx(r, label, allowed)
                assert r.body, f"{label}: empty {r.status} body"
        failures.check(label, one)
    failures.assert_none()
    assert_alive(serve, serve.url, "/v2/health/ready")
    r = raw_http(serve.url, "POST", "/invocations", body_bytes({"instances": [[1] * FEATURES]}), JSON)
    assert r.status == 200 and len(r.json()["predictions"]) == 1, r.describe()


def test_grpc_malformed_requests(serve, protos):
    pb, health_pb = protos
    client = InferenceClient(serve.grpc_target, pb, health_pb)
    x = np.ones((2, FEATURES), np.float32)
    invalid, not_found = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND

    def req(model="regressor", version="", datatype="FP32", shape=(2, FEATURES), raw=x.tobytes()):
        r = pb.ModelInferRequest(model_name=model, model_version=version)
        inp = r.inputs.add(name="input-0", datatype=datatype, shape=list(shape))
        if raw is not None:
            r.raw_input_contents.append(raw)
        return r, inp

    cases = []
    for label, kw, code in [
        ("raw one byte short", {"raw": x.tobytes()[:-1]}, invalid),
        ("raw one byte long", {"raw": x.tobytes() + b"\0"}, invalid),
        ("raw empty", {"raw": b""}, invalid),
        ("shape [3, 13] for 2 rows", {"shape": (3, FEATURES)}, invalid),
        ("shape [1, 2**62]", {"shape": (1, 2 ** 62)}, invalid),
        ("shape [2**62, 2**62]", {"shape": (2 ** 62, 2 ** 62)}, invalid),
        ("negative shape", {"shape": (-2, -FEATURES)}, invalid),
        ("-1 batch", {"shape": (-1, FEATURES)}, invalid),
        ("rank 0", {"shape": ()}, invalid),
        ("rank 1000", {"shape": (1,) * 1000}, invalid),
        ("datatype FLOAT", {"datatype": "FLOAT"}, invalid),
        ("datatype ''", {"datatype": ""}, invalid),
        ("datatype fp32", {"datatype": "fp32"}, invalid),
        ("BYTES prefix past the end", {"datatype": "BYTES", "shape": (1,), "raw": struct.pack("<I", 1000) + b"ab"}, invalid),
        ("BYTES prefix 2**32-1", {"datatype": "BYTES", "shape": (2,), "raw": struct.pack("<I", 2 ** 32 - 1) + b"ab"}, invalid),
        ("BYTES truncated prefix", {"datatype": "BYTES", "shape": (1,), "raw": b"\x01\x00"}, invalid),
        ("unknown model", {"model": "nope"}, not_found),
        ("empty model name", {"model": ""}, not_found),
        ("NUL in model name", {"model": "a\x00b"}, not_found),
        ("unknown version", {"version": "99"}, not_found),
        ("version -1", {"version": "-1"}, not_found),
    ]:
        cases.append((label, req(**kw)[0], code))
    r, _ = req()
    r.outputs.add(name="nope")
    cases.append(("unknown requested output", r, invalid))
    r, _ = req()
    r.raw_input_contents.append(b"x")
    cases.append(("two blobs for one input", r, invalid))
    r, inp = req(raw=None)
    inp.contents.fp32_contents.extend([1.0] * 25)
    cases.append(("typed: 25 values for 26", r, invalid))
    r, inp = req(raw=None)
    inp.contents.int64_contents.extend([1] * 26)
    cases.append(("typed: the wrong field", r, invalid))
    r, inp = req(raw=None)
    cases.append(("no data at all", r, invalid))
    r, inp = req()
    inp.contents.fp32_contents.extend([1.0] * 26)
    cases.append(("raw and typed", r, invalid))
    r, _ = req()
    r.inputs.add(name="input-1", datatype="FP32", shape=[2, FEATURES])
    r.raw_input_contents.append(x.tobytes())
    cases.append(("two inputs", r, invalid))
    failures = Failures()
    try:
        for label, request, code in cases:
            def one():
                try:
                    client.ModelInfer(request, timeout=10)
                except grpc.RpcError as e:
                    assert e.code() == code, f"{label}: {e.code()} {e.details()!r}, expected {code}"
                    return
                raise AssertionError(f"{label}: answered OK")
            failures.check(label, one)
        # Bytes that are no ModelInferRequest at all: an error status, never a crash.
        for garbage in [b"\xff" * 50, b"\x0a\xff\xff\xff\xff\x0f", b"\x3a\xff\xff\xff\xff\x07abc", b"\x2a\x05\x12"]:
            def raw_one():
                try:
                    client.raw_call("/inference.GRPCInferenceService/ModelInfer", garbage)
                except grpc.RpcError as e:
                    assert e.code() not in (grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE), e.code()
                    return
                raise AssertionError("garbage answered OK")
            failures.check(f"garbage {garbage[:8]!r}", raw_one)
        failures.assert_none()
        # The server keeps serving, over gRPC and HTTP.
        good = client.ModelInfer(req()[0], timeout=10)
        assert list(good.outputs[0].shape) == [2]
        assert client.ServerLive().live
    finally:
        client.close()
    assert_alive(serve, serve.url, "/v2/health/ready")
