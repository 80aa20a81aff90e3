# SPDX-License-Identifier: Apache-2.0
"""TLS on both servers (`--tls-cert` / `--tls-key`): `mlhub server` speaks HTTPS (the MLflow REST
API and the UI's files), `mlhub serve` HTTPS and gRPC over TLS; clients that trust the certificate
get answers, a plaintext client on a TLS port gets none and leaves the server healthy, and a
missing key stops the server at startup; a certificate rotated in place (as Kubernetes updates a
mounted Secret) is served without a restart, and a broken rotation keeps the old one. The
certificates are made at test time with Debian's openssl."""
import os
import shutil
import socket
import ssl
import subprocess
import time

import grpc
import numpy as np
import pytest
import requests

from grpc_testlib import InferenceClient, compile_protos, infer_request
from mlhub_testlib import API, ServerProcess, mlhub_bin
from serving_testlib import Models, ServeProcess, v2_input


def make_cert(folder, name="cert"):
    key, crt = folder / f"{name}-key.pem", folder / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(crt), "-subj", f"/CN=127.0.0.1/O={name}",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return str(crt), str(key)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("tls"))


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


def served_certificate(port):
    """The certificate (DER) a TLS handshake with 127.0.0.1:port gets, trusting anything."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def der_of(pem_file):
    with open(pem_file) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def install(source, target):
    """Replaces `target` with a copy of `source` in one rename, as the kubelet swaps a Secret."""
    shutil.copyfile(source, target + ".new")
    os.replace(target + ".new", target)


def wait_for(condition, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def grpc_live(pb, target, root_pem, client=None):
    """ServerLive over TLS to `target`, trusting `root_pem`, showing `client` ((cert, key) files)
    if given; False when the handshake or the call fails."""
    with open(root_pem, "rb") as f:
        root = f.read()
    if client:
        with open(client[0], "rb") as c, open(client[1], "rb") as k:
            credentials = grpc.ssl_channel_credentials(root, private_key=k.read(),
                                                       certificate_chain=c.read())
    else:
        credentials = grpc.ssl_channel_credentials(root)
    channel = grpc.secure_channel(target, credentials)
    try:
        call = channel.unary_unary("/inference.GRPCInferenceService/ServerLive",
                                   request_serializer=pb.ServerLiveRequest.SerializeToString,
                                   response_deserializer=pb.ServerLiveResponse.FromString)
        return call(pb.ServerLiveRequest(), timeout=5).live
    except grpc.RpcError:
        return False
    finally:
        channel.close()


def test_rotated_certificate_is_served_without_a_restart(tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    old_crt, old_key = make_cert(tmp_path, "old")
    new_crt, new_key = make_cert(tmp_path, "new")
    crt, key = str(live / "tls.crt"), str(live / "tls.key")
    install(old_crt, crt)
    install(old_key, key)
    models = Models(str(tmp_path / "models"))
    tracking = ServerProcess(tmp_path / "server", extra_args=["--tls-cert", crt, "--tls-key", key])
    serving = ServeProcess(tmp_path / "serve", {"regressor": models.dirs["regressor"]},
                           extra_args=["--tls-cert", crt, "--tls-key", key])
    tracking.spawn()
    serving.spawn()
    ports = [tracking.port, serving.http_port]
    (tmp_path / "protos").mkdir()
    pb, _ = compile_protos(tmp_path / "protos")

    def grpc_live_with(root_pem):
        return grpc_live(pb, serving.grpc_target, root_pem)

    try:
        wait_https(f"https://127.0.0.1:{tracking.port}/health", old_crt)
        wait_https(f"https://127.0.0.1:{serving.http_port}/v2/health/live", old_crt)
        assert all(served_certificate(p) == der_of(old_crt) for p in ports)
        assert grpc_live_with(old_crt)
        # A half-done rotation (the new certificate, the old key) is not taken: the old pair stays.
        install(new_crt, crt)
        time.sleep(1.5)
        assert all(served_certificate(p) == der_of(old_crt) for p in ports)
        assert requests.get(f"https://127.0.0.1:{tracking.port}/health", verify=old_crt,
                            timeout=10).status_code == 200
        # The key follows: new handshakes get the new certificate, on both servers and gRPC.
        install(new_key, key)
        for port in ports:
            wait_for(lambda: served_certificate(port) == der_of(new_crt),
                     f"port {port} still serves the old certificate")
        wait_for(lambda: grpc_live_with(new_crt), "gRPC still serves the old certificate")
        r = requests.post(f"https://127.0.0.1:{tracking.port}{API}/experiments/create",
                          json={"name": "after-rotation"}, verify=new_crt, timeout=10)
        assert r.status_code == 200, r.text
        # Garbage in the files: logged, the last good pair kept.
        with open(crt, "w") as f:
            f.write("not a certificate\n")
        time.sleep(1.5)
        assert all(served_certificate(p) == der_of(new_crt) for p in ports)
        assert "keeping the current certificate" in tracking.log()
    finally:
        tracking.kill()
        serving.kill()


def make_client_ca(folder, name):
    """A CA and a client certificate it signed: (ca, (cert, key))."""
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    ca_key, ca = folder / f"{name}-ca-key.pem", folder / f"{name}-ca.pem"
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(ca_key),
        "-out", str(ca), "-subj", f"/CN={name}-client-ca")
    key, csr, crt = folder / f"{name}-key.pem", folder / f"{name}.csr", folder / f"{name}.pem"
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
        "-subj", f"/CN={name}-client")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-out", str(crt))
    return str(ca), (str(crt), str(key))


def test_client_certificates_are_required_with_a_client_ca(tmp_path, cert):
    crt, key = cert
    first_ca, client = make_client_ca(tmp_path, "first")
    next_ca, next_client = make_client_ca(tmp_path, "next")
    stranger = make_cert(tmp_path, "stranger")
    ca = str(tmp_path / "client-ca.pem")
    install(first_ca, ca)
    tls_args = ["--tls-cert", crt, "--tls-key", key, "--tls-client-ca", ca]
    models = Models(str(tmp_path / "models"))
    tracking = ServerProcess(tmp_path / "server", extra_args=tls_args)
    serving = ServeProcess(tmp_path / "serve", {"regressor": models.dirs["regressor"]},
                           extra_args=tls_args)
    tracking.spawn()
    serving.spawn()
    (tmp_path / "protos").mkdir()
    pb, _ = compile_protos(tmp_path / "protos")

    def live(client_cert):
        return grpc_live(pb, serving.grpc_target, crt, client_cert)

    try:
        for url in (f"https://127.0.0.1:{tracking.port}/health",
                    f"https://127.0.0.1:{serving.http_port}/v2/health/live"):
            deadline = time.monotonic() + 30
            while True:  # up once a handshake with the trusted client's certificate answers
                try:
                    r = requests.get(url, verify=crt, cert=client, timeout=5)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline, f"{url} did not answer"
                    time.sleep(0.05)
            assert r.status_code == 200
            for wrong in (None, stranger):  # no certificate, or one the CA did not sign
                with pytest.raises((requests.exceptions.SSLError, requests.ConnectionError)):
                    requests.get(url, verify=crt, cert=wrong, timeout=5)
        wait_for(lambda: live(client), "gRPC refuses the trusted client")
        assert not live(None)
        assert not live(stranger)
        assert requests.get(f"https://127.0.0.1:{tracking.port}/health", verify=crt, cert=client,
                            timeout=5).status_code == 200  # still serving

        # The client CA rotates like the server's certificate: clients of the new CA get in.
        install(next_ca, ca)

        def https_ok(port, path, who):
            try:
                return requests.get(f"https://127.0.0.1:{port}{path}", verify=crt, cert=who,
                                    timeout=5).status_code == 200
            except (requests.exceptions.SSLError, requests.ConnectionError):
                return False
        for port, path in ((tracking.port, "/health"), (serving.http_port, "/v2/health/live")):
            wait_for(lambda: https_ok(port, path, next_client), f"port {port} refuses the new CA")
            assert not https_ok(port, path, client)
        wait_for(lambda: live(next_client), "gRPC refuses the new CA")
        assert not live(client)
    finally:
        tracking.kill()
        serving.kill()
