# SPDX-License-Identifier: Apache-2.0
"""Helpers for the hardening suites (test_hardening_*.py): a raw HTTP/1.1 client that writes a
request byte for byte (NUL bytes, `%zz`, non-UTF-8, 100 MB bodies, lying headers) and tells an
answered request from a dropped connection, and the checks every malformed request must pass.

requests and http.client both refuse or rewrite much of what these suites send (control bytes in
the path, '..' segments, bodies the server stops reading), so the requests are written on a plain
socket here.
"""
from __future__ import annotations

import json
import os
import select
import socket
import time
from dataclasses import dataclass, field

HTTP_TIMEOUT = 30


@dataclass
class RawResponse:
    status: int
    reason: str
    headers: dict = field(default_factory=dict)  # lower-case names; the last value of each wins
    body: bytes = b""

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AssertionError(f"the answer is not valid UTF-8 (JSON must be): {self.body[:300]!r} ({e})")
        return json.loads(text)

    def describe(self):
        return f"HTTP {self.status} {self.reason}: {self.body[:300]!r}"


class DroppedConnection(AssertionError):
    """The server closed (or reset) the connection without a complete HTTP answer."""


def _host_port(base_url):
    hostport = base_url.split("//", 1)[1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    return host, int(port)


def _target_bytes(target):
    if isinstance(target, bytes):
        return target
    return target.encode("latin-1") if all(ord(c) < 256 for c in target) else target.encode()


def raw_http(base_url, method, target, body=b"", headers=None, *, content_length=True,
             body_chunks=None, timeout=HTTP_TIMEOUT) -> RawResponse:
    """Sends one request verbatim on a fresh connection (Connection: close) and reads the answer.

    `target` is the request target, str (latin-1 when it fits, so '\\xff' is one byte) or bytes.
    `headers` a dict or a list of (name, value) pairs, written as given. Content-Length is added
    for a non-empty body unless `content_length` is False or the caller gave one. `body_chunks`
    (an iterable of bytes) replaces `body` for big uploads; sending stops as soon as the server
    answers (a server that refuses a 100 MB body early may close before reading it all).
    Raises DroppedConnection if no complete status line + headers arrive."""
    host, port = _host_port(base_url)
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in pairs}
    if "host" not in names:
        pairs.insert(0, ("Host", f"{host}:{port}"))
    if "connection" not in names:
        pairs.append(("Connection", "close"))
    if content_length and "content-length" not in names and "transfer-encoding" not in names:
        if body_chunks is None and (body or method in ("POST", "PUT", "PATCH")):
            pairs.append(("Content-Length", str(len(body))))
    head = _target_bytes(method) + b" " + _target_bytes(target) + b" HTTP/1.1\r\n"
    for k, v in pairs:
        head += _target_bytes(k) + b": " + _target_bytes(str(v) if not isinstance(v, bytes) else v) + b"\r\n"
    head += b"\r\n"

    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        received = bytearray()
        try:
            sock.sendall(head)
            chunks = body_chunks if body_chunks is not None else ([body] if body else [])
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable:
                        raise _ServerAnswered()
                    n = sock.send(view[:1 << 20])
                    view = view[n:]
        except _ServerAnswered:
            pass
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer (if any) is read below
        return _read_response(sock, received, method, timeout)
    finally:
        sock.close()


class _ServerAnswered(Exception):
    pass


def _read_response(sock, buf, method, timeout):
    deadline = time.monotonic() + timeout
    sock.settimeout(timeout)

    def more():
        if time.monotonic() > deadline:
            raise DroppedConnection(f"no complete answer within {timeout}s: {bytes(buf[:300])!r}")
        try:
            data = sock.recv(1 << 16)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            raise DroppedConnection(f"no complete answer within {timeout}s: {bytes(buf[:300])!r}")
        return data

    while b"\r\n\r\n" not in buf:
        data = more()
        if not data:
            raise DroppedConnection(f"connection closed before the answer's headers: {bytes(buf[:300])!r}")
        buf += data
    head, rest = bytes(buf).split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise DroppedConnection(f"not an HTTP status line: {lines[0]!r}")
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    body = bytearray(rest)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return RawResponse(status, reason, headers, b"")
    if "content-length" in headers:
        want = int(headers["content-length"])
        while len(body) < want:
            data = more()
            if not data:
                raise DroppedConnection(f"body cut at {len(body)} of {want} bytes")
            body += data
        return RawResponse(status, reason, headers, bytes(body[:want]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out = bytearray()
        while True:
            while b"\r\n" not in body:
                data = more()
                if not data:
                    raise DroppedConnection("chunked body cut")
                body += data
            size_line, _, body = bytes(body).partition(b"\r\n")
            body = bytearray(body)
            size = int(size_line.split(b";")[0], 16)
            while len(body) < size + 2:
                data = more()
                if not data:
                    raise DroppedConnection("chunked body cut")
                body += data
            if size == 0:
                return RawResponse(status, reason, headers, bytes(out))
            out += body[:size]
            body = body[size + 2:]
    while True:  # until close
        data = more()
        if not data:
            return RawResponse(status, reason, headers, bytes(body))
        body += data


# -- the checks ------------------------------------------------------------------------------------


def _json_4xx(r: RawResponse, where, statuses):
    """`r` is a 4xx (one of `statuses` when given) with a JSON body; returns the body."""
    assert 400 <= r.status < 500, f"{where}: expected a 4xx, got {r.describe()}"
    if statuses is not None:
        assert r.status in statuses, f"{where}: expected HTTP {statuses}, got {r.describe()}"
    ctype = r.header("content-type", "")
    assert ctype.startswith("application/json"), f"{where}: Content-Type {ctype!r}: {r.describe()}"
    return r.json()


def mlflow_error(r: RawResponse, where, statuses=None):
    """`r` is a 4xx with an MLflow error body {"error_code": str, "message": str}; returns it."""
    body = _json_4xx(r, where, statuses)
    assert isinstance(body, dict) and isinstance(body.get("error_code"), str) and body["error_code"], \
        f"{where}: not an MLflow error body: {r.describe()}"
    assert isinstance(body.get("message"), str), f"{where}: error without message: {r.describe()}"
    return body


def v2_error(r: RawResponse, where, statuses=None):
    """`r` is a 4xx with a V2 error body {"error": non-empty str}; returns the message."""
    body = _json_4xx(r, where, statuses)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], \
        f"{where}: not a V2 error body: {r.describe()}"
    return body["error"]


def any_4xx(r: RawResponse, where, statuses=None):
    """A 4xx of any body (answers the HTTP layer gives before a route sees the request)."""
    assert 400 <= r.status < 500, f"{where}: expected a 4xx, got {r.describe()}"
    if statuses is not None:
        assert r.status in statuses, f"{where}: expected HTTP {statuses}, got {r.describe()}"
    return r


def assert_alive(proc, base_url, health_path="/health"):
    """The process still runs and answers its health route."""
    assert proc.proc.poll() is None, f"{proc.name} died (rc={proc.proc.returncode}):\n{proc.log()}"
    r = raw_http(base_url, "GET", health_path)
    assert r.status == 200, f"{health_path} after the malformed requests: {r.describe()}"


def tree_snapshot(root, skip=()):
    """{relative path: (size, mtime_ns)} of every file and folder under `root`, skipping names
    in `skip` (e.g. the sqlite database and the server log, which change anyway)."""
    snap = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if any(rel == s or rel.startswith(s) for s in skip):
                continue
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            snap[rel] = (st.st_size if name in files else -1, st.st_mtime_ns if name in files else 0)
    return snap


class Failures:
    """Collects the failed cases of one list so a test reports all of them at once."""

    def __init__(self):
        self.items = []

    def check(self, label, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (AssertionError, DroppedConnection, ValueError, OSError) as e:
            self.items.append(f"{label}: {type(e).__name__}: {str(e)[:400]}")
            return None

    def assert_none(self):
        assert not self.items, f"{len(self.items)} malformed request(s) mishandled:\n" + "\n".join(self.items)


def body_bytes(obj):
    """A request body: bytes as they are, anything else as JSON."""
    if isinstance(obj, bytes):
        return obj
    return json.dumps(obj).encode()
