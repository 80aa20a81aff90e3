# SPDX-License-Identifier: Apache-2.0
"""`mlhub serve --api-key-file FILE`: every HTTP route and gRPC call needs `Authorization: Bearer
<key>` with one of the file's keys (401 `{"error"}` + `WWW-Authenticate: Bearer`, gRPC
UNAUTHENTICATED), except the health probes and /metrics, which stay open; a missing or empty key
file stops the server at startup."""
import subprocess

import grpc
import numpy as np
import pytest
import requests

from grpc_testlib import InferenceClient, compile_protos, infer_request
from mlhub_testlib import mlhub_bin
from serving_testlib import Models, ServeProcess, infer, v2_input

KEYS = ["k-first-0123456789", "k-second-abcdef"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys")
    key_file = root / "keys.txt"
    key_file.write_text(f"# inference clients\n{KEYS[0]}\n\n  {KEYS[1]}  \n")
    models = Models(str(root / "models"))
    proc = ServeProcess(root / "serve", {"regressor": models.dirs["regressor"]},
                        extra_args=["--api-key-file", str(key_file)])
    proc.spawn()
    proc.wait_ready()  # /v2/health/ready is open
    proc.models_lib = models
    yield proc
    proc.kill()


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_health_and_metrics_stay_open(srv):
    for path in ("/v2/health/live", "/v2/health/ready", "/health", "/ready", "/ping", "/metrics"):
        assert requests.get(srv.url + path, timeout=10).status_code == 200, path


def test_http_routes_need_a_key(srv):
    rows = np.random.default_rng(1).normal(size=(2, 13)).astype(np.float32)
    body = {"inputs": [v2_input(rows)]}
    for headers in ({}, bearer("wrong"), {"Authorization": KEYS[0]}, {"Authorization": f"Basic {KEYS[0]}"}):
        r = infer(srv.url, "regressor", body, headers=headers)
        assert r.status_code == 401, (headers, r.status_code)
        assert r.headers["WWW-Authenticate"] == "Bearer" and r.json()["error"]
        assert requests.get(f"{srv.url}/v2/models/regressor", headers=headers, timeout=10).status_code == 401
        assert requests.post(f"{srv.url}/predict", json={"features": rows.tolist()},
                             headers=headers, timeout=10).status_code == 401
        assert requests.post(f"{srv.url}/v2/repository/index", headers=headers, timeout=10).status_code == 401
    for key in KEYS:
        r = infer(srv.url, "regressor", body, headers=bearer(key))
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["outputs"][0]["data"],
                                   srv.models_lib.expected("regressor", rows), rtol=1e-6)
    lower = requests.get(f"{srv.url}/v2/models/regressor",
                         headers={"Authorization": f"bearer {KEYS[1]}"}, timeout=10)
    assert lower.status_code == 200  # the scheme is case-insensitive


def test_grpc_calls_need_a_key(srv, tmp_path):
    (tmp_path / "protos").mkdir()
    pb, health_pb = compile_protos(tmp_path / "protos")
    client = InferenceClient(srv.grpc_target, pb, health_pb)
    try:
        assert client.ServerLive().live  # probes stay open
        assert client.ServerReady().ready
        rows = np.ones((1, 13), np.float32)
        request = infer_request(pb, "regressor", rows)
        with pytest.raises(grpc.RpcError) as refused:
            client.ModelInfer(request)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        call = client._calls["ModelInfer"]
        with pytest.raises(grpc.RpcError) as wrong:
            call(request, metadata=[("authorization", "Bearer nope")], timeout=10)
        assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
        answer = call(request, metadata=[("authorization", f"Bearer {KEYS[0]}")], timeout=10)
        assert answer.model_name == "regressor"
        with pytest.raises(grpc.RpcError) as metadata_refused:
            client.ModelMetadata(name="regressor")
        assert metadata_refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        client.close()


@pytest.mark.parametrize("content", [None, "# only a comment\n\n"])
def test_a_missing_or_empty_key_file_stops_the_server(tmp_path, content):
    key_file = tmp_path / "keys.txt"
    if content is not None:
        key_file.write_text(content)
    done = subprocess.run([mlhub_bin(), "serve", "--model", f"m={tmp_path}", "--http-port", "0",
                           "--grpc-port", "-1", "--api-key-file", str(key_file)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "key" in done.stdout + done.stderr
