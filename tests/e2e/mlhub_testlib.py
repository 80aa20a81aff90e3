# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the mlhub end-to-end suite: launching a server process and a thin
HTTP client that speaks the MLflow REST conventions (JSON bodies for POST, query strings for GET).

Every helper here is strict on purpose: a 5xx answer, a non-JSON body on a JSON route or a JSON
document using the non-standard NaN/Infinity tokens fails the calling test immediately.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid

import pytest
from concurrent.futures import ThreadPoolExecutor

import requests

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
PREFIXES = (API, AJAX)

DEFAULT_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "src", "mlhub")
HTTP_TIMEOUT = 60
MIB = 1 << 20


def mlhub_bin() -> str:
    return os.environ.get("MLHUB_BIN", DEFAULT_BIN)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms() -> int:
    return int(time.time() * 1000)


def unique(prefix: str = "x") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _reject_constant(name):
    raise ValueError(f"non-standard JSON token {name!r} in response (must be a quoted string)")


def strict_json(text: str):
    """Parses JSON, refusing bare NaN / Infinity / -Infinity tokens."""
    return json.loads(text, parse_constant=_reject_constant)


# ---------------------------------------------------------------------------------------------
# server process


def process_env(overrides=None):
    """The environment for a child process: ours with `overrides` applied (a None value removes
    the variable). None for no overrides (inherit ours unchanged)."""
    if overrides is None:
        return None
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def s3_env(rgw, **overrides):
    """The variables MLflow's S3 client reads, pointing at the test RGW `rgw` (an RgwCluster):
    MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION. Other
    AWS_* settings the caller's shell may have (a session token, AWS_REGION) are removed so they
    cannot change the signature. `overrides` replace (None: remove) single variables."""
    env = {
        "MLFLOW_S3_ENDPOINT_URL": rgw.endpoint,
        "AWS_ACCESS_KEY_ID": rgw.access_key,
        "AWS_SECRET_ACCESS_KEY": rgw.secret_key,
        "AWS_DEFAULT_REGION": rgw.region,
        "AWS_REGION": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "MLFLOW_S3_IGNORE_TLS": None,
    }
    env.update(overrides)
    return env


class ManagedProcess:
    """A child process of a test with its stdout and stderr in a log file: the plumbing that
    ServerProcess and serving_testlib.ServeProcess share. `proc` is the subprocess.Popen (None
    before the first launch), `log_path` the current log; `name` names the process in failures
    and `terminate_timeout` is how long terminate() waits by default."""

    name = "mlhub"
    terminate_timeout = 10.0

    def __init__(self):
        self.proc = None
        self.log_path = None

    def launch(self, command, log_path, env=None):
        """Starts `command` (its first word the binary) with stdout and stderr in `log_path` and
        `env` applied to our environment as process_env reads it; returns at once."""
        binary = command[0]
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            pytest.fail(f"mlhub binary not found or not executable: {binary} (set MLHUB_BIN)")
        self.log_path = log_path
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=process_env(env))
        return self

    def wait_http_ok(self, url, timeout, interval):
        """Polls GET `url` until it answers 200; fails the test (after killing the process) if
        the process exits first or the time runs out."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} while waiting for "
                            f"GET {url}; output:\n{self.log()}")
            try:
                r = requests.get(url, timeout=2)
                if r.status_code == 200:
                    return self
                last = f"HTTP {r.status_code} {r.text[:200]}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(interval)
        self.kill()
        pytest.fail(f"{self.name} did not answer GET {url} with 200 within {timeout}s "
                    f"(last: {last}); output:\n{self.log()}")

    def log(self) -> str:
        """The last 20000 bytes of the current log ("" before the first launch)."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read()[-20000:].decode("utf-8", "replace")

    def terminate(self, timeout: float = None) -> int:
        """SIGTERM and wait; returns the exit status (fails the test if it does not exit)."""
        if timeout is None:
            timeout = self.terminate_timeout
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"{self.name} did not exit within {timeout}s of SIGTERM; output:\n{self.log()}")

    def kill(self):
        """SIGKILL and reap, if it is still running."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class ServerProcess(ManagedProcess):
    """One mlhub server process on a free port with its own artifact root. The metadata store is
    `backend_uri` when given (e.g. a PostgreSQL database), else a sqlite file in `workdir`.
    `artifacts` is the --artifacts-destination (a folder, default `workdir`/artifacts, or an
    s3://bucket/prefix URI); `env` holds environment variables set for the process on top of
    ours (a None value removes one; see s3_env)."""

    name = "mlhub server"

    def __init__(self, workdir, *, db_path=None, backend_uri=None, artifacts=None, workers=2, port=None,
                 extra_args=(), env=None):
        if db_path is not None and backend_uri is not None:
            raise ValueError("give db_path or backend_uri, not both")
        super().__init__()
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        if backend_uri is None:
            self.db_path = str(db_path or os.path.join(self.workdir, "mlhub.db"))
            self.backend_uri = f"sqlite:///{self.db_path}"
        else:
            self.db_path = None
            self.backend_uri = backend_uri
        self.artifacts = artifacts or os.path.join(self.workdir, "artifacts")
        self.workers = workers
        self.port = port
        self.extra_args = list(extra_args)
        self.env = dict(env) if env is not None else None
        self._starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def command(self):
        return [
            mlhub_bin(), "server",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--backend-store-uri", self.backend_uri,
            "--artifacts-destination", self.artifacts,
            "--workers", str(self.workers),
            *self.extra_args,
        ]

    def spawn(self, new_port: bool = True):
        """Starts the process and returns at once (see wait_ready)."""
        if new_port or self.port is None:
            self.port = free_port()
        self._starts += 1
        return self.launch(self.command(), os.path.join(self.workdir, f"server-{self._starts}.log"),
                           self.env)

    def wait_ready(self, timeout: float = 20.0):
        """Waits until GET /health answers 200; fails the test if the process exits or never does."""
        return self.wait_http_ok(self.url + "/health", timeout, interval=0.1)

    def start(self, timeout: float = 20.0, new_port: bool = True):
        self.spawn(new_port=new_port)
        return self.wait_ready(timeout)

    def rss_kb(self):
        """(VmRSS, VmHWM) of the server process in kB."""
        vals = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":", 1)
                    vals[k] = int(v.split()[0])
        return vals.get("VmRSS", 0), vals.get("VmHWM", 0)


def private_postgres(purpose):
    """Generator for fixtures: starts a PostgreSQL cluster of its own, yields it and removes it
    afterwards; a cluster that cannot start fails the test (never skips it)."""
    from pg_cluster import ClusterError, PostgresCluster
    cluster = PostgresCluster()
    try:
        cluster.start()
    except (ClusterError, OSError) as e:
        cluster.destroy()
        pytest.fail(f"cannot start a PostgreSQL cluster {purpose}: {e}")
    yield cluster
    cluster.destroy()


# ---------------------------------------------------------------------------------------------
# client


class Client:
    """post/get return (status, json). Any 5xx fails; error bodies must be MLflow JSON errors."""

    def __init__(self, base_url: str, prefix: str = API):
        self.base_url = base_url
        self.prefix = prefix
        self.session = requests.Session()

    def url(self, route: str) -> str:
        return f"{self.base_url}{self.prefix}/{route.lstrip('/')}"

    def _finish(self, method, route, r: requests.Response):
        where = f"{method} {self.prefix}/{route}"
        assert r.status_code < 500, f"{where} answered {r.status_code} (5xx is never acceptable): {r.text[:2000]}"
        ctype = r.headers.get("Content-Type", "")
        try:
            body = strict_json(r.text) if r.content else None
        except ValueError as e:
            raise AssertionError(f"{where} answered {r.status_code} with a non-JSON body "
                                 f"({ctype!r}): {r.text[:500]!r} ({e})")
        assert ctype.startswith("application/json"), f"{where}: Content-Type {ctype!r}"
        if r.status_code != 200:
            check_error_body(body, where, r.status_code)
        else:
            assert isinstance(body, dict), f"{where}: 200 body is not a JSON object: {r.text[:500]!r}"
        return r.status_code, body

    def post(self, route: str, body=None, *, data=None, headers=None):
        if data is not None:
            r = self.session.post(self.url(route), data=data, headers=headers or {}, timeout=HTTP_TIMEOUT)
        else:
            r = self.session.post(self.url(route), json=body if body is not None else {},
                                  headers=headers, timeout=HTTP_TIMEOUT)
        return self._finish("POST", route, r)

    def get(self, route: str, params=None):
        r = self.session.get(self.url(route), params=params, timeout=HTTP_TIMEOUT)
        return self._finish("GET", route, r)

    def request(self, method: str, route: str, body=None):
        """Any method, with a JSON body."""
        r = self.session.request(method, self.url(route), json=body if body is not None else {},
                                 timeout=HTTP_TIMEOUT)
        return self._finish(method, route, r)

    def get_raw_query(self, route: str, query: str):
        """GET with a query string written verbatim (for k[0]=v / k[]=v forms)."""
        r = self.session.get(self.url(route) + "?" + query, timeout=HTTP_TIMEOUT)
        return self._finish("GET", route, r)

    # -- checked conveniences (assert 200) --------------------------------------------------

    def ok_post(self, route, body=None):
        st, js = self.post(route, body)
        assert st == 200, f"POST {route} {body!r} → {st} {js}"
        return js

    def ok_get(self, route, params=None):
        st, js = self.get(route, params)
        assert st == 200, f"GET {route} {params!r} → {st} {js}"
        return js

    def create_experiment(self, name=None, **extra) -> str:
        body = {"name": name or unique("exp")}
        body.update(extra)
        js = self.ok_post("experiments/create", body)
        exp_id = js["experiment_id"]
        assert isinstance(exp_id, str) and exp_id, js
        return exp_id

    def create_run(self, experiment_id, **extra) -> dict:
        body = {"experiment_id": experiment_id, "start_time": now_ms()}
        body.update(extra)
        return self.ok_post("runs/create", body)["run"]

    def get_run(self, run_id) -> dict:
        return self.ok_get("runs/get", {"run_id": run_id})["run"]

    def log_metric(self, run_id, key, value, step=0, timestamp=None):
        return self.ok_post("runs/log-metric", {
            "run_id": run_id, "key": key, "value": value, "step": step,
            "timestamp": now_ms() if timestamp is None else timestamp})

    def history(self, run_id, key) -> list:
        return self.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": key}).get("metrics", [])

    def search_runs(self, experiment_ids, **kw) -> dict:
        body = {"experiment_ids": list(experiment_ids)}
        body.update(kw)
        return self.ok_post("runs/search", body)

    def search_all_runs(self, experiment_ids, page_size, **kw) -> list:
        runs, token, pages = [], None, 0
        while True:
            body = dict(kw, max_results=page_size)
            if token:
                body["page_token"] = token
            js = self.search_runs(experiment_ids, **body)
            page = js.get("runs", [])
            assert len(page) <= page_size
            runs.extend(page)
            token = js.get("next_page_token")
            pages += 1
            assert pages < 1000, "paging does not terminate"
            if not token:
                return runs


def check_error_body(body, where, status):
    assert isinstance(body, dict), f"{where}: error body is not a JSON object: {body!r}"
    assert isinstance(body.get("error_code"), str) and body["error_code"], \
        f"{where}: error body without error_code: {body!r}"
    assert isinstance(body.get("message"), str), f"{where}: error body without message: {body!r}"
    expected = ERROR_STATUS.get(body["error_code"])
    assert expected is None or expected == status, \
        f"{where}: error_code {body['error_code']} travels with HTTP {expected}, got {status}"


ERROR_STATUS = {
    "INVALID_PARAMETER_VALUE": 400, "RESOURCE_ALREADY_EXISTS": 400, "BAD_REQUEST": 400,
    "RESOURCE_DOES_NOT_EXIST": 404, "ENDPOINT_NOT_FOUND": 404, "NOT_FOUND": 404,
    "PERMISSION_DENIED": 403, "UNAUTHENTICATED": 401, "CUSTOMER_UNAUTHORIZED": 401,
    "ABORTED": 409, "RESOURCE_CONFLICT": 409, "ALREADY_EXISTS": 409,
    "REQUEST_LIMIT_EXCEEDED": 429, "RESOURCE_EXHAUSTED": 429,
    "INTERNAL_ERROR": 500, "INVALID_STATE": 500, "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501, "TEMPORARILY_UNAVAILABLE": 503,
}


def assert_error(result, code, status=None, contains=None):
    """Asserts that a (status, json) pair is the MLflow error `code` with its HTTP status."""
    st, body = result
    want = status if status is not None else ERROR_STATUS[code]
    assert st == want, f"expected HTTP {want} {code}, got {st}: {body}"
    assert isinstance(body, dict) and body.get("error_code") == code, f"expected {code}, got {st}: {body}"
    if contains is not None:
        assert contains in body.get("message", ""), f"message {body.get('message')!r} lacks {contains!r}"
    return body


def raw_request(base_url, method, path, body=b"", headers=None, timeout=HTTP_TIMEOUT):
    """Sends a request with the path written verbatim (requests normalises '..' and %2e%2e away).
    Returns (status, headers, body bytes)."""
    host, port = base_url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if body is not None and method in ("PUT", "POST"):
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body and method in ("PUT", "POST"):
            conn.send(body)
        r = conn.getresponse()
        data = r.read()
        return r.status, dict(r.getheaders()), data
    finally:
        conn.close()


def tags_dict(entity) -> dict:
    return {t["key"]: t.get("value", "") for t in entity.get("tags", [])}


def params_dict(run) -> dict:
    return {p["key"]: p.get("value", "") for p in run.get("data", {}).get("params", [])}


def metrics_dict(run) -> dict:
    return {m["key"]: m for m in run.get("data", {}).get("metrics", [])}


def run_tags(run) -> dict:
    return {t["key"]: t.get("value", "") for t in run.get("data", {}).get("tags", [])}


class DeterministicStream:
    """n_chunks MiB of reproducible pseudo-random bytes; chunk i = 8-byte index + fixed 1 MiB block."""

    def __init__(self, n_chunks):
        self.n_chunks = n_chunks
        self.block = random.Random(20231215).randbytes(MIB)
        self.sha = hashlib.sha256()

    def chunk(self, i):
        return struct.pack(">Q", i) + self.block[8:]

    def generator(self):
        for i in range(self.n_chunks):
            c = self.chunk(i)
            self.sha.update(c)
            yield c


class SizedStream:
    """Exactly `total` bytes of reproducible pseudo-random data (DeterministicStream's 1 MiB
    chunks, the last one cut short), never held in memory as a whole; any byte range can be
    recomputed with expected(first, last). generator() and FileLike(stream) feed the SHA-256 in
    .sha as they hand the bytes out."""

    def __init__(self, total):
        self.total = total
        self.n_chunks = -(-total // MIB)
        self._base = DeterministicStream(self.n_chunks)
        self.sha = hashlib.sha256()

    def chunk(self, i):
        return self._base.chunk(i)[:min(MIB, self.total - i * MIB)]

    def generator(self):
        for i in range(self.n_chunks):
            c = self.chunk(i)
            self.sha.update(c)
            yield c

    def expected(self, first, last):
        """Bytes first..last (inclusive) of the stream."""
        out = []
        for i in range(first // MIB, last // MIB + 1):
            c = self.chunk(i)
            lo = max(first - i * MIB, 0)
            hi = min(last - i * MIB + 1, len(c))
            out.append(c[lo:hi])
        return b"".join(out)


class FileLike:
    """A read()-able body with a length over a DeterministicStream or SizedStream: requests sends
    it with Content-Length, as the MLflow client does with real files."""

    def __init__(self, stream):
        self.stream, self.i, self.cur, self.pos = stream, 0, b"", 0

    def __len__(self):
        return getattr(self.stream, "total", self.stream.n_chunks * MIB)

    def __iter__(self):
        return iter(lambda: self.read(MIB), b"")

    def read(self, n=-1):
        if self.pos >= len(self.cur):
            if self.i >= self.stream.n_chunks:
                return b""
            self.cur, self.pos = self.stream.chunk(self.i), 0
            self.stream.sha.update(self.cur)
            self.i += 1
        end = len(self.cur) if n < 0 else min(len(self.cur), self.pos + n)
        out = self.cur[self.pos:end]
        self.pos = end
        return out


class RssMonitor(threading.Thread):
    """Samples a ServerProcess's VmRSS every 0.1 s until .stop is set; .max_rss in kB."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv, self.max_rss, self.stop = srv, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.max_rss = max(self.max_rss, self.srv.rss_kb()[0])
            except OSError:
                return
            time.sleep(0.1)


def stop_shared_server(srv, what: str, cleanup=None):
    """Stops a server shared by many tests and fails if it died while they ran or did not exit
    cleanly on SIGTERM; `cleanup` (e.g. dropping its database) runs in between, either way."""
    alive = srv.proc.poll() is None
    rc = srv.terminate(timeout=10)
    if cleanup is not None:
        cleanup()
    assert alive, f"{what} server died (rc={srv.proc.returncode}); output:\n{srv.log()}"
    assert rc == 0, f"{what} server exited with {rc} after SIGTERM; output:\n{srv.log()}"


def run_parallel(n, fn):
    """Runs fn(i) on n threads released together; returns the results in order, re-raising."""
    barrier = threading.Barrier(n)

    def body(i):
        barrier.wait(30)
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return [f.result() for f in [pool.submit(body, i) for i in range(n)]]
