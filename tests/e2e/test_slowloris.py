# SPDX-License-Identifier: Apache-2.0
"""Slow and greedy clients (issue 10): a request head trickling in a byte at a time is cut off by
the idle timeout, and while many such clients hang on, normal requests are still answered (no
worker is held: connections are served asynchronously); past --max-connections a new connection is
answered 503 and closed, and once connections go, new ones are served again; a head over
--max-header-kb is refused with 431. Both servers."""
import socket
import time

import pytest
import requests

from mlhub_testlib import ServerProcess
from serving_testlib import Models, ServeProcess

IDLE_S = 2
SLOW_CLIENTS = 12
LIMIT = 20


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def trickle_until_closed(sockets, deadline_s):
    """Sends one more header byte on every socket each 0.5 s; returns the sockets the server
    closed before `deadline_s`."""
    closed = set()
    end = time.monotonic() + deadline_s
    while len(closed) < len(sockets) and time.monotonic() < end:
        for i, s in enumerate(sockets):
            if i in closed:
                continue
            try:
                s.sendall(b"X")
                s.setblocking(False)
                try:
                    if s.recv(4096) == b"":
                        closed.add(i)
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
            except OSError:  # reset by the server
                closed.add(i)
        time.sleep(0.5)
    return closed


def check_slow_heads_and_limits(port, health_path):
    url = f"http://127.0.0.1:{port}{health_path}"
    slow = [connect(port) for _ in range(SLOW_CLIENTS)]
    for s in slow:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    # The slow clients hang on; the server still answers everyone else.
    with requests.Session() as session:
        for _ in range(20):
            assert session.get(url, timeout=10).status_code == 200
    # Bytes keep trickling in, but a head that never completes is cut off by the idle timeout.
    closed = trickle_until_closed(slow, deadline_s=IDLE_S * 10)
    assert len(closed) == SLOW_CLIENTS, f"{SLOW_CLIENTS - len(closed)} slow clients still connected"
    for s in slow:
        s.close()

    # Fill the connection limit with idle connections: the next one is refused with a 503.
    time.sleep(0.2)
    held = [connect(port) for _ in range(LIMIT)]
    time.sleep(0.2)
    extra = connect(port)
    extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    try:
        while True:
            chunk = extra.recv(4096)
            if not chunk:
                break
            answer += chunk
    except ConnectionResetError:
        pass
    extra.close()
    assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
    for s in held:
        s.close()
    # Free again: served.
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "the server did not take connections again"
        time.sleep(0.1)


def test_tracking_server(tmp_path):
    srv = ServerProcess(tmp_path, workers=1, extra_args=[
        "--idle-timeout", str(IDLE_S), "--max-connections", str(LIMIT), "--handler-threads", "2"])
    srv.start()
    try:
        check_slow_heads_and_limits(srv.port, "/health")
        assert srv.proc.poll() is None
    finally:
        srv.terminate()


def test_inference_server(tmp_path):
    models = Models(str(tmp_path / "models"))
    srv = ServeProcess(tmp_path / "serve", {"regressor": models.dirs["regressor"]}, grpc=False,
                       extra_args=["--idle-timeout", str(IDLE_S), "--max-connections", str(LIMIT),
                                   "--workers", "1", "--max-header-kb", "1"])
    srv.start()
    try:
        check_slow_heads_and_limits(srv.http_port, "/v2/health/live")
        # --max-header-kb: a head over 1 KiB is refused with 431, a smaller one served.
        big = requests.get(f"{srv.url}/v2/health/live", headers={"X-Big": "b" * 2000}, timeout=10)
        assert big.status_code == 431, big.text
        assert requests.get(f"{srv.url}/v2/health/live", headers={"X-Small": "s" * 500},
                            timeout=10).status_code == 200
        assert srv.proc.poll() is None
    finally:
        srv.terminate()
