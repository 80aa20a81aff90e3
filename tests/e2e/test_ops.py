# SPDX-License-Identifier: Apache-2.0
"""Operational routes (/health, /version, /metrics), unknown routes, startup and graceful shutdown."""
import hashlib
import re
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

from mlhub_testlib import AJAX, API, ARTIFACTS, MIB, Client, DeterministicStream, mlhub_bin


def test_health(server):
    r = requests.get(f"{server.url}/health", timeout=10)
    assert r.status_code == 200
    assert r.text == "OK"


def test_version(server):
    r = requests.get(f"{server.url}/version", timeout=10)
    assert r.status_code == 200
    assert re.match(r"^\d+\.\d+(\.\d+)?\S*$", r.text.strip()), r.text


def _parse_prometheus(text):
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$", line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def test_metrics_counts_requests(server, client):
    for _ in range(3):
        client.ok_get("experiments/get", {"experiment_id": "0"})
    client.get("experiments/get", {"experiment_id": "987654321"})  # a 404
    r = requests.get(f"{server.url}/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    assert any(line.startswith("mlhub_http_requests_total{") for line in r.text.splitlines()), r.text[:2000]
    samples = _parse_prometheus(r.text)
    totals = [(lb, v) for name, lb, v in samples if name == "mlhub_http_requests_total"]
    ok = [v for lb, v in totals if lb.get("route", "").endswith("/experiments/get") and lb.get("status") == "200"]
    assert ok and sum(ok) >= 3, totals
    nf = [v for lb, v in totals if lb.get("route", "").endswith("/experiments/get") and lb.get("status") == "404"]
    assert nf and sum(nf) >= 1, totals
    assert all(v >= 0 for _, v in totals)
    lat = [(name, lb, v) for name, lb, v in samples if name.startswith("mlhub_http_request_duration_seconds")]
    assert lat, "no latency series"
    counts = [v for name, lb, v in lat if name == "mlhub_http_request_duration_seconds_count"
              and lb.get("route", "").endswith("/experiments/get")]
    assert counts and sum(counts) >= 4, lat[:20]
    buckets = [(lb, v) for name, lb, v in lat if name == "mlhub_http_request_duration_seconds_bucket"
               and lb.get("route", "").endswith("/experiments/get")]
    assert any(lb.get("le") == "+Inf" and v >= 4 for lb, v in buckets), buckets


def test_metrics_counter_increases(server, client):
    def count():
        text = requests.get(f"{server.url}/metrics", timeout=10).text
        return sum(v for name, lb, v in _parse_prometheus(text)
                   if name == "mlhub_http_requests_total" and lb.get("route", "").endswith("/runs/search")
                   and lb.get("status") == "200")
    before = count()
    for _ in range(5):
        client.ok_post("runs/search", {"experiment_ids": ["0"], "max_results": 1})
    assert count() >= before + 5


def test_metrics_route_labels_are_patterns_not_paths(server, client):
    """Label cardinality must stay bounded: unknown paths and artifact paths are not labels."""
    token = uuid.uuid4().hex
    requests.get(f"{server.url}/nope/{token}", timeout=10)
    requests.put(f"{server.url}{ARTIFACTS}/0/{token}/artifacts/f.txt", data=b"1",
                 headers={"Content-Type": "text/plain"}, timeout=10)
    client.get("runs/get", {"run_id": token})
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    assert token not in text
    samples = _parse_prometheus(text)
    assert any(name == "mlhub_http_requests_total" and lb.get("status") == "404" for name, lb, _ in samples)


@pytest.mark.parametrize("method,path", [
    ("GET", "/no/such/route"),
    ("GET", f"{API}/no-such-route"),
    ("POST", f"{API}/experiments/no-such-verb"),
    ("GET", f"{AJAX}/nothing-here"),
    ("GET", "/api/2.0/preview/mlflow/experiments/get?experiment_id=0"),
    ("GET", "/api/2.1/mlflow/experiments/get?experiment_id=0"),
])
def test_unknown_routes_are_404(server, method, path):
    r = requests.request(method, f"{server.url}{path}", json={} if method == "POST" else None, timeout=10)
    assert r.status_code == 404, (method, path, r.status_code, r.text[:300])


def test_server_survives_garbage(server):
    """Raw protocol garbage must not take the server down."""
    for payload in (b"\x00\x01\x02garbage\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                    b"POST " + API.encode() + b"/runs/search HTTP/1.1\r\nHost: x\r\nContent-Length: 999\r\n\r\n{"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(4096)
            except OSError:
                pass
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


def test_startup_line_and_idle_sigterm(make_server):
    srv = make_server().start()
    assert f"127.0.0.1:{srv.port}" in srv.log(), srv.log()
    t0 = time.monotonic()
    assert srv.terminate(timeout=10) == 0, srv.log()
    assert time.monotonic() - t0 < 5, "idle shutdown took too long"


def test_bad_command_line_fails_fast():
    p = subprocess.run([mlhub_bin(), "server", "--no-such-option"], capture_output=True, timeout=20)
    assert p.returncode != 0


def test_sigterm_waits_for_inflight_upload(make_server):
    srv = make_server().start()
    c = Client(srv.url)
    exp = c.create_experiment()
    rid = c.create_run(exp)["info"]["run_id"]
    rel = f"{exp}/{rid}/artifacts/slow.bin"
    url = f"{srv.url}{ARTIFACTS}/{rel}"
    stream = DeterministicStream(48)
    started = threading.Event()

    def slow_body():
        for i, chunk in enumerate(stream.generator()):
            if i == 2:
                started.set()
            time.sleep(0.06)
            yield chunk

    result = {}

    def upload():
        try:
            result["r"] = requests.put(url, data=slow_body(), headers={"Content-Type": "application/octet-stream"},
                                       timeout=60)
        except requests.RequestException as e:
            result["e"] = e

    t = threading.Thread(target=upload)
    t.start()
    assert started.wait(10)
    time.sleep(0.3)
    srv.proc.send_signal(15)
    time.sleep(0.3)
    assert srv.proc.poll() is None, "server exited while a request was in flight"
    t.join(60)
    assert "e" not in result, f"in-flight upload failed after SIGTERM: {result.get('e')}"
    assert result["r"].status_code == 200, result["r"].text[:300]
    try:
        rc = srv.proc.wait(10)
    except Exception:
        pytest.fail("server did not exit after the in-flight request finished")
    assert rc == 0, srv.log()
    # the upload was committed completely
    srv.start()
    sha = hashlib.sha256()
    with requests.get(f"{srv.url}{ARTIFACTS}/{rel}", stream=True, timeout=60) as r:
        assert r.status_code == 200
        for part in r.iter_content(MIB):
            sha.update(part)
    assert sha.hexdigest() == stream.sha.hexdigest()
    assert srv.terminate() == 0


def test_sigterm_waits_for_inflight_download(make_server):
    srv = make_server().start()
    c = Client(srv.url)
    exp = c.create_experiment()
    rid = c.create_run(exp)["info"]["run_id"]
    url = f"{srv.url}{ARTIFACTS}/{exp}/{rid}/artifacts/dl.bin"
    stream = DeterministicStream(64)
    assert requests.put(url, data=stream.generator(), headers={"Content-Type": "application/octet-stream"},
                        timeout=60).status_code == 200
    sha, n = hashlib.sha256(), 0
    with requests.get(url, stream=True, timeout=60) as r:
        assert r.status_code == 200
        for i, part in enumerate(r.iter_content(MIB)):
            sha.update(part)
            n += len(part)
            if i == 1:
                srv.proc.send_signal(15)
            time.sleep(0.03)
    assert n == 64 * MIB and sha.hexdigest() == stream.sha.hexdigest()
    try:
        rc = srv.proc.wait(10)
    except Exception:
        pytest.fail("server did not exit after the in-flight download finished")
    assert rc == 0, srv.log()
