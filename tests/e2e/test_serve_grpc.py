# SPDX-License-Identifier: Apache-2.0
"""`mlhub serve` over KServe V2 gRPC (`inference.GRPCInferenceService`), driven the way a KServe
or Triton client without generated stubs drives it (see grpc_testlib.py): every RPC, raw and typed
inputs, predictions equal to Python's xgboost, the same answers as the V2 REST routes, every error
status, load/unload, concurrency, the standard health service, and startup/shutdown behaviour.
"""
from __future__ import annotations

import socket
import time

import grpc
import numpy as np
import pytest
import requests

from grpc_testlib import InferenceClient, add_input, compile_protos, decode_outputs, infer_request
from serving_testlib import FEATURES, Models, ServeProcess, assert_close, request_rows

SERVING, NOT_SERVING = 1, 2


@pytest.fixture(scope="module")
def protos(tmp_path_factory):
    return compile_protos(tmp_path_factory.mktemp("protos"))


@pytest.fixture(scope="module")
def pb(protos):
    return protos[0]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return Models(str(tmp_path_factory.mktemp("models")))


def _client(server, protos, **kwargs):
    return InferenceClient(server.grpc_target, *protos, **kwargs)


@pytest.fixture(scope="module")
def server(tmp_path_factory, models):
    """All three fixture models, all ready: read-only tests share it."""
    proc = ServeProcess(tmp_path_factory.mktemp("serve"), models.dirs).start()
    yield proc
    assert proc.terminate() == 0, proc.log()


@pytest.fixture(scope="module")
def client(server, protos):
    c = _client(server, protos)
    yield c
    c.close()  # before the server stops: an open idle channel slows gRPC's graceful shutdown


@pytest.fixture(scope="module")
def degraded(tmp_path_factory, models):
    """The regressor plus a model whose directory does not exist: never ready."""
    missing = str(tmp_path_factory.mktemp("gone") / "no-such-model")
    proc = ServeProcess(tmp_path_factory.mktemp("serve-degraded"),
                        {"regressor": models.dirs["regressor"], "missing": missing}).spawn()
    proc.wait_live()
    yield proc
    assert proc.terminate() == 0, proc.log()


@pytest.fixture(scope="module")
def degraded_client(degraded, protos):
    c = _client(degraded, protos)
    # The missing model fails at once; wait until the regressor is ready too.
    _wait_for(lambda: c.ModelReady(name="regressor").ready, "regressor ready")
    yield c
    c.close()


def _wait_for(predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def expect_code(code, call, *args, contains=None, **kwargs):
    """Runs `call`, which must fail with gRPC status `code` (and a message with `contains`)."""
    with pytest.raises(grpc.RpcError) as info:
        call(*args, **kwargs)
    assert info.value.code() == code, (info.value.code(), info.value.details())
    if contains is not None:
        assert contains in info.value.details(), info.value.details()
    return info.value


# -- Health, server and model metadata -------------------------------------------------------------


def test_server_live_ready_and_metadata(client, server):
    assert client.ServerLive().live is True
    assert client.ServerReady().ready is True
    metadata = client.ServerMetadata()
    rest = requests.get(server.url + "/v2", timeout=10).json()
    assert metadata.name == rest["name"] == "mlhub"
    assert metadata.version == rest["version"] and metadata.version
    assert set(metadata.extensions) == {"model_repository", "statistics"}


def test_server_not_ready_while_a_model_is_not(degraded_client):
    assert degraded_client.ServerLive().live is True
    assert degraded_client.ServerReady().ready is False


def test_model_ready(client, degraded_client):
    assert client.ModelReady(name="regressor").ready is True
    assert client.ModelReady(name="regressor", version="1").ready is True
    assert degraded_client.ModelReady(name="missing").ready is False
    expect_code(grpc.StatusCode.NOT_FOUND, client.ModelReady, name="regressor", version="7",
                contains="no version '7'")
    expect_code(grpc.StatusCode.NOT_FOUND, client.ModelReady, name="nope", contains="nope")


@pytest.mark.parametrize("name", ["regressor", "classifier", "multiclass"])
def test_model_metadata_matches_rest(client, server, name):
    metadata = client.ModelMetadata(name=name)
    rest = requests.get(f"{server.url}/v2/models/{name}", timeout=10).json()
    assert metadata.name == rest["name"] == name
    assert list(metadata.versions) == rest["versions"] == ["1"]
    assert metadata.platform == rest["platform"] and metadata.platform.startswith("xgboost_")
    for key in ("inputs", "outputs"):
        assert [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)}
                for t in getattr(metadata, key)] == rest[key]
    assert list(metadata.inputs[0].shape) == [-1, FEATURES]
    assert client.ModelMetadata(name=name, version="1") == metadata


def test_model_metadata_errors(client, degraded_client):
    expect_code(grpc.StatusCode.NOT_FOUND, client.ModelMetadata, name="nope")
    expect_code(grpc.StatusCode.NOT_FOUND, client.ModelMetadata, name="regressor", version="2")
    expect_code(grpc.StatusCode.UNAVAILABLE, degraded_client.ModelMetadata, name="missing",
                contains="does not exist")


def test_health_service(client, degraded_client):
    # What Kubernetes gRPC probes call: SERVING once every model is ready. The server polls
    # readiness into the health service, so it may trail ServerReady by one poll (200 ms).
    _wait_for(lambda: client.health("").status == SERVING, "health SERVING", timeout=5)
    assert client.health("inference.GRPCInferenceService").status == SERVING
    assert degraded_client.health("").status == NOT_SERVING
    assert degraded_client.health("inference.GRPCInferenceService").status == NOT_SERVING
    expect_code(grpc.StatusCode.NOT_FOUND, client.health, "some.other.Service")


# -- Inference -------------------------------------------------------------------------------------


def _integer_rows(rows, dtype):
    return np.round(rows * 4).astype(dtype)


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "typed"])
@pytest.mark.parametrize("datatype", ["FP32", "FP64", "INT32", "INT64", "UINT8"])
def test_infer_matches_python(client, pb, models, datatype, raw):
    rows = request_rows(37)
    if datatype.startswith(("INT", "UINT")):
        rows = _integer_rows(np.abs(rows) if datatype == "UINT8" else rows, np.int64)
    request = infer_request(pb, "regressor", rows, datatype=datatype, raw=raw,
                            request_id=f"{datatype}-{raw}")
    response = client.ModelInfer(request)
    assert response.model_name == "regressor"
    assert response.model_version == "1"
    assert response.id == f"{datatype}-{raw}"
    # Outputs come back raw (the fast path), one blob per output.
    assert len(response.raw_output_contents) == len(response.outputs) == 1
    assert response.outputs[0].name == "output-0"
    assert response.outputs[0].datatype == "FP32"
    assert list(response.outputs[0].shape) == [37]
    assert_close(decode_outputs(response)["output-0"], models.expected("regressor", rows))


@pytest.mark.parametrize("name", ["classifier", "multiclass"])
def test_classifiers_answer_probabilities(client, pb, models, name):
    rows = request_rows(20, seed=3)
    datatype = "FP64" if name == "classifier" else "FP32"
    response = client.ModelInfer(infer_request(pb, name, rows, datatype=datatype, raw=False))
    expected = models.expected(name, rows)
    output = decode_outputs(response)["output-0"]
    assert output.shape == expected.shape
    assert_close(output, expected)


def test_column_signature_takes_one_input_per_column(client, pb, models):
    # As over REST: MLServer's form, one input per signature column, raw and typed mixed.
    rows = request_rows(6, seed=8).astype(np.float64)
    request = pb.ModelInferRequest(model_name="classifier")
    for i in reversed(range(13)):
        add_input(pb, request, f"f{i}", rows[:, i], "FP64", raw=False)
    output = decode_outputs(client.ModelInfer(request))["output-0"]
    assert_close(output, models.expected("classifier", rows.astype(np.float32)))
    del request.inputs[0]
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, request, contains="'f12' is missing")


def test_infer_answers_what_rest_answers(client, server, pb):
    rows = request_rows(9, seed=5)
    grpc_out = client.ModelInfer(infer_request(pb, "multiclass", rows, version="1"))
    body = {"inputs": [{"name": "input-0", "shape": list(rows.shape), "datatype": "FP32",
                        "data": rows.reshape(-1).tolist()}]}
    rest = requests.post(f"{server.url}/v2/models/multiclass/infer", json=body, timeout=30).json()
    (header,) = grpc_out.outputs
    (rest_output,) = rest["outputs"]
    assert (header.name, header.datatype, list(header.shape)) == (
        rest_output["name"], rest_output["datatype"], rest_output["shape"])
    np.testing.assert_array_equal(decode_outputs(grpc_out)["output-0"].reshape(-1),
                                  np.asarray(rest_output["data"], dtype=np.float32))


def test_id_is_echoed_only_when_given(client, pb):
    rows = request_rows(2)
    assert client.ModelInfer(infer_request(pb, "regressor", rows, request_id="req/ä-1")).id == \
        "req/ä-1"
    assert client.ModelInfer(infer_request(pb, "regressor", rows)).id == ""


def test_requested_outputs(client, pb, models):
    rows = request_rows(4)
    response = client.ModelInfer(infer_request(pb, "multiclass", rows, outputs=["output-0"]))
    assert [o.name for o in response.outputs] == ["output-0"]
    assert_close(decode_outputs(response)["output-0"], models.expected("multiclass", rows))
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer,
                infer_request(pb, "multiclass", rows, outputs=["probabilities"]),
                contains="no output 'probabilities'")


def test_empty_batch(client, pb):
    response = client.ModelInfer(infer_request(pb, "regressor", np.zeros((0, FEATURES))))
    assert list(response.outputs[0].shape) == [0]
    assert response.raw_output_contents[0] == b""


def test_large_message_beyond_grpc_default_limit(client, pb, models):
    # 100k x 13 FP32 is 5.2 MB: over gRPC's 4 MiB default, under the server's 256 MiB.
    rows = request_rows(100_000, seed=9)
    response = client.ModelInfer(infer_request(pb, "regressor", rows), timeout=60)
    assert_close(decode_outputs(response)["output-0"], models.expected("regressor", rows))


def test_concurrent_calls_each_get_their_own_answer(client, pb, models):
    requests_ = []
    for i in range(96):
        rows = request_rows(1 + i % 7, seed=1000 + i)
        requests_.append((rows, infer_request(pb, "regressor", rows, request_id=f"call-{i}",
                                              raw=i % 2 == 0)))
    futures = [client.future("ModelInfer", request) for _, request in requests_]
    for i, ((rows, _), future) in enumerate(zip(requests_, futures)):
        response = future.result(timeout=60)
        assert response.id == f"call-{i}"
        assert_close(decode_outputs(response)["output-0"], models.expected("regressor", rows))


# -- Inference errors ------------------------------------------------------------------------------


def test_unknown_model_and_version(client, pb):
    rows = request_rows(1)
    expect_code(grpc.StatusCode.NOT_FOUND, client.ModelInfer, infer_request(pb, "nope", rows),
                contains="unknown model 'nope'")
    expect_code(grpc.StatusCode.NOT_FOUND, client.ModelInfer,
                infer_request(pb, "regressor", rows, version="3"), contains="no version '3'")


def test_not_ready_model_is_unavailable(degraded_client, pb):
    expect_code(grpc.StatusCode.UNAVAILABLE, degraded_client.ModelInfer,
                infer_request(pb, "missing", request_rows(1)), contains="not ready")


def test_bad_shape(client, pb):
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer,
                infer_request(pb, "regressor", request_rows(2)[:, :12]),
                contains="shape [2, 12] does not match")
    request = infer_request(pb, "regressor", request_rows(2))
    request.inputs[0].shape[:] = [2, -13]
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, request,
                contains="negative dimension")


def test_raw_size_mismatch(client, pb):
    request = infer_request(pb, "regressor", request_rows(2))
    request.raw_input_contents[0] = request.raw_input_contents[0][:-4]
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, request,
                contains="100 bytes of FP32 data do not match shape [2, 13]")


def test_raw_blob_count_mismatch(client, pb):
    request = infer_request(pb, "regressor", request_rows(2))
    request.raw_input_contents.append(b"\0" * 4)
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, request,
                contains="raw_input_contents has 2 entries for 1 inputs")


def test_raw_and_typed_mixed(client, pb):
    request = infer_request(pb, "regressor", request_rows(1))
    request.inputs[0].contents.fp32_contents.extend([0.0] * FEATURES)
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, request,
                contains="no input may use contents")


def test_typed_contents_errors(client, pb):
    short = infer_request(pb, "regressor", request_rows(2), raw=False)
    del short.inputs[0].contents.fp32_contents[-1]
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, short,
                contains="has 25 values, shape [2, 13] needs 26")
    wrong_field = infer_request(pb, "regressor", request_rows(1), datatype="FP64", raw=False)
    wrong_field.inputs[0].datatype = "FP32"
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, wrong_field,
                contains="go in contents.fp32_contents, not fp64_contents")
    half = pb.ModelInferRequest(model_name="regressor")
    half.inputs.add(name="input-0", datatype="FP16", shape=[1, FEATURES])
    half.inputs[0].contents.fp32_contents.extend([0.5] * FEATURES)
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, half,
                contains="FP16 data travel only in raw_input_contents")
    out_of_range = infer_request(pb, "regressor", np.ones((1, FEATURES)), datatype="INT8",
                                 raw=False)
    out_of_range.inputs[0].contents.int_contents[3] = 300
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, out_of_range,
                contains="value 300 at index 3 is out of range for INT8")


def test_unknown_and_unsupported_datatypes(client, pb):
    request = infer_request(pb, "regressor", request_rows(1))
    request.inputs[0].datatype = "FLOAT32"
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, request,
                contains="unknown datatype 'FLOAT32'")
    strings = pb.ModelInferRequest(model_name="regressor")
    strings.inputs.add(name="input-0", datatype="BYTES", shape=[1, 1])
    strings.inputs[0].contents.bytes_contents.append(b"hello")
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, strings,
                contains="datatype BYTES does not match the model's FP32")
    half = pb.ModelInferRequest(model_name="regressor")
    add_input(pb, half, "input-0", request_rows(1), "FP16")
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, half,
                contains="datatype FP16")


def test_wrong_number_of_inputs(client, pb):
    request = infer_request(pb, "regressor", request_rows(1))
    add_input(pb, request, "extra", request_rows(1), "FP32")
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer, request,
                contains="takes 1 input(s), the request has 2")
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer,
                pb.ModelInferRequest(model_name="regressor"), contains="the request has 0")


def test_garbage_and_unknown_rpcs_do_not_hurt_the_server(client):
    # Bytes that are no ModelInferRequest, and a Triton RPC we do not implement.
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.raw_call,
                "/inference.GRPCInferenceService/ModelInfer", b"\xff\xff\xff\xff",
                contains="not a ModelInferRequest")
    expect_code(grpc.StatusCode.UNIMPLEMENTED, client.raw_call,
                "/inference.GRPCInferenceService/ModelConfig", b"")
    assert client.ServerLive().live is True


def test_message_size_limit_follows_max_body_mb(tmp_path, models, protos, pb):
    proc = ServeProcess(tmp_path, {"regressor": models.dirs["regressor"]},
                        extra_args=["--max-body-mb", "1"]).start()
    c = _client(proc, protos)
    try:
        small = request_rows(10_000)  # 520 kB
        response = c.ModelInfer(infer_request(pb, "regressor", small))
        assert list(response.outputs[0].shape) == [10_000]
        expect_code(grpc.StatusCode.RESOURCE_EXHAUSTED, c.ModelInfer,
                    infer_request(pb, "regressor", request_rows(40_000)))  # 2.08 MB
        assert c.ServerLive().live is True
    finally:
        c.close()
        assert proc.terminate() == 0, proc.log()


# -- Statistics and the model repository -----------------------------------------------------------


def test_model_statistics(client, pb):
    before = {s.name: s for s in client.ModelStatistics().model_stats}
    assert set(before) == {"regressor", "classifier", "multiclass"}
    client.ModelInfer(infer_request(pb, "classifier", request_rows(5), datatype="FP64"))
    expect_code(grpc.StatusCode.INVALID_ARGUMENT, client.ModelInfer,
                infer_request(pb, "classifier", request_rows(5)[:, :3]))
    (after,) = client.ModelStatistics(name="classifier", version="1").model_stats
    assert after.name == "classifier" and after.version == "1"
    old = before["classifier"]
    assert after.inference_count == old.inference_count + 5
    assert after.execution_count == old.execution_count + 1
    assert after.inference_stats.success.count == old.inference_stats.success.count + 1
    assert after.inference_stats.success.ns > old.inference_stats.success.ns
    assert after.inference_stats.fail.count == old.inference_stats.fail.count + 1
    expect_code(grpc.StatusCode.NOT_FOUND, client.ModelStatistics, name="nope")


def test_repository_index(client, degraded_client):
    index = {m.name: m for m in client.RepositoryIndex().models}
    assert set(index) == {"regressor", "classifier", "multiclass"}
    assert all(m.state == "READY" and m.version == "1" and m.reason == "" for m in index.values())
    degraded = {m.name: m for m in degraded_client.RepositoryIndex().models}
    assert degraded["missing"].state == "UNAVAILABLE"
    assert degraded["missing"].version == ""
    assert "does not exist" in degraded["missing"].reason
    assert [m.name for m in degraded_client.RepositoryIndex(ready=True).models] == ["regressor"]


def test_load_and_unload(tmp_path, models, protos, pb):
    proc = ServeProcess(tmp_path, {"regressor": models.dirs["regressor"]}).start()
    c = _client(proc, protos)
    rows = request_rows(3)
    try:
        assert c.RepositoryModelUnload(model_name="regressor") == pb.RepositoryModelUnloadResponse()
        assert c.ModelReady(name="regressor").ready is False
        assert c.ServerReady().ready is False
        expect_code(grpc.StatusCode.UNAVAILABLE, c.ModelInfer, infer_request(pb, "regressor", rows))
        (entry,) = c.RepositoryIndex().models
        assert (entry.state, entry.reason) == ("UNAVAILABLE", "unloaded")
        _wait_for(lambda: c.health("").status == NOT_SERVING, "health NOT_SERVING")

        assert c.RepositoryModelLoad(model_name="regressor") == pb.RepositoryModelLoadResponse()
        assert c.ModelReady(name="regressor").ready is True
        assert_close(decode_outputs(c.ModelInfer(infer_request(pb, "regressor", rows)))["output-0"],
                     models.expected("regressor", rows))
        # A load of a loaded model is a reload; it keeps serving.
        c.RepositoryModelLoad(model_name="regressor")
        assert c.RepositoryIndex().models[0].state == "READY"
        _wait_for(lambda: c.health("").status == SERVING, "health SERVING")

        expect_code(grpc.StatusCode.NOT_FOUND, c.RepositoryModelLoad, model_name="other")
        expect_code(grpc.StatusCode.NOT_FOUND, c.RepositoryModelUnload, model_name="other")
        expect_code(grpc.StatusCode.INVALID_ARGUMENT, c.RepositoryModelLoad, model_name="")
        # Triton's model-override parameters would load something else: refused, not ignored.
        override = pb.RepositoryModelLoadRequest(model_name="regressor")
        override.parameters["config"].string_param = '{"max_batch_size": 8}'
        expect_code(grpc.StatusCode.UNIMPLEMENTED, c.RepositoryModelLoad, override,
                    contains="'config'")
        assert c.ModelReady(name="regressor").ready is True
    finally:
        c.close()
        assert proc.terminate() == 0, proc.log()


def test_load_failure_is_reported(degraded_client):
    # A known model that cannot load is a failed precondition (NOT_FOUND is for unknown names).
    expect_code(grpc.StatusCode.FAILED_PRECONDITION, degraded_client.RepositoryModelLoad,
                model_name="missing", contains="does not exist")
    (entry,) = [m for m in degraded_client.RepositoryIndex().models if m.name == "missing"]
    assert entry.state == "UNAVAILABLE" and "does not exist" in entry.reason
    assert degraded_client.ModelReady(name="regressor").ready is True


# -- Startup and shutdown --------------------------------------------------------------------------


def test_startup_fails_when_the_grpc_port_is_taken(tmp_path, models):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        proc = ServeProcess(tmp_path, {"regressor": models.dirs["regressor"]})
        proc.grpc_port = holder.getsockname()[1]
        proc.spawn()
        assert proc.proc.wait(20) == 1, proc.log()
        assert "gRPC server cannot listen on 127.0.0.1:" in proc.log()
    finally:
        holder.close()


def test_shutdown_answers_in_flight_calls(tmp_path, models, protos, pb):
    """SIGTERM under load: every call the server took gets its right answer, the others fail
    without hanging, and the process exits 0. A call gRPC had received but not yet handed to a
    handler fails CANCELLED in gRPC 1.51 (grpc/grpc#41785; later releases say UNAVAILABLE); one
    that had not reached the server fails UNAVAILABLE. Neither ran on the model."""
    proc = ServeProcess(tmp_path, {"regressor": models.dirs["regressor"]}).start()
    c = _client(proc, protos)
    rows = request_rows(20_000, seed=4)
    expected = models.expected("regressor", rows)
    try:
        futures = [c.future("ModelInfer", infer_request(pb, "regressor", rows, request_id=str(i)))
                   for i in range(32)]
        futures[0].result(timeout=30)  # the server is busy with them now
        proc.proc.terminate()
        for i, future in enumerate(futures):
            try:
                response = future.result(timeout=30)
            except grpc.RpcError as e:
                assert e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), (
                    i, e.code(), e.details())
                continue
            assert response.id == str(i)
            assert_close(decode_outputs(response)["output-0"], expected)
    finally:
        c.close()
        assert proc.proc.wait(30) == 0, proc.log()
