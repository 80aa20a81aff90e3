# SPDX-License-Identifier: Apache-2.0
"""TLS on both servers (`--tls-cert` / `--tls-key`): `mlhub server` speaks HTTPS (the MLflow REST
API and the UI's files), `mlhub serve` HTTPS and gRPC over TLS; clients that trust the certificate
get answers, a plaintext client on a TLS port gets none and leaves the server healthy, and a
missing key stops the server at startup. The certificate is made at test time with Debian's
openssl."""
import socket
import subprocess
import time

import grpc
import numpy as np
import pytest
import requests

from grpc_testlib import InferenceClient, compile_protos, infer_request
from mlhub_testlib import API, ServerProcess, mlhub_bin
from serving_testlib import Models, ServeProcess, v2_input


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, crt = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(crt), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return str(crt), str(key)


def wait_https(url, crt, timeout=30):
    """Waits until `url` answers 200 over HTTPS (the process helpers wait over plain HTTP)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, verify=crt, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer over HTTPS"
        time.sleep(0.05)


def plaintext_gets_no_answer(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(10)
        try:
            data = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = b""
    return not data.startswith(b"HTTP/1.1 200")


def test_tracking_server_over_https(tmp_path, cert):
    crt, key = cert
    srv = ServerProcess(tmp_path, extra_args=["--tls-cert", crt, "--tls-key", key])
    srv.spawn()
    url = f"https://127.0.0.1:{srv.port}"
    try:
        wait_https(url + "/health", crt)
        r = requests.post(f"{url}{API}/experiments/create", json={"name": "over-tls"},
                          verify=crt, timeout=10)
        assert r.status_code == 200, r.text
        got = requests.get(f"{url}{API}/experiments/get", verify=crt, timeout=10,
                           params={"experiment_id": r.json()["experiment_id"]})
        assert got.json()["experiment"]["name"] == "over-tls"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url + "/health", timeout=10)  # a certificate the client does not trust
        assert plaintext_gets_no_answer(srv.port)
        assert requests.get(url + "/health", verify=crt, timeout=10).status_code == 200
    finally:
        srv.kill()


def test_inference_server_over_tls(tmp_path, cert):
    crt, key = cert
    models = Models(str(tmp_path / "models"))
    srv = ServeProcess(tmp_path / "serve", {"regressor": models.dirs["regressor"]},
                       extra_args=["--tls-cert", crt, "--tls-key", key])
    srv.spawn()
    url = f"https://127.0.0.1:{srv.http_port}"
    try:
        wait_https(url + "/v2/health/ready", crt)
        rows = np.random.default_rng(3).normal(size=(2, 13)).astype(np.float32)
        r = requests.post(f"{url}/v2/models/regressor/infer", json={"inputs": [v2_input(rows)]},
                          verify=crt, timeout=10)
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["outputs"][0]["data"],
                                   models.expected("regressor", rows), rtol=1e-6)
        assert plaintext_gets_no_answer(srv.http_port)

        (tmp_path / "protos").mkdir()
        pb, health_pb = compile_protos(tmp_path / "protos")
        with open(crt, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel(srv.grpc_target, credentials)
        call = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer",
                                   request_serializer=pb.ModelInferRequest.SerializeToString,
                                   response_deserializer=pb.ModelInferResponse.FromString)
        answer = call(infer_request(pb, "regressor", rows), timeout=20)
        assert answer.model_name == "regressor"
        channel.close()
        plain = InferenceClient(srv.grpc_target, pb, health_pb)
        with pytest.raises(grpc.RpcError):
            plain.ServerLive(timeout=5)  # plaintext gRPC to a TLS port fails
        plain.close()
    finally:
        srv.kill()


def test_tls_needs_both_files_that_exist(tmp_path, cert):
    crt, _ = cert
    for extra in (["--tls-cert", crt], ["--tls-cert", crt, "--tls-key", str(tmp_path / "none.pem")]):
        done = subprocess.run([mlhub_bin(), "server", "--port", "0", "--backend-store-uri",
                               f"sqlite:///{tmp_path}/t.db", *extra],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode != 0 and "TLS" in done.stdout + done.stderr, done.stderr
