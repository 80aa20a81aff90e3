# SPDX-License-Identifier: Apache-2.0
"""The S3 artifact store against a real S3 server (the test Ceph RGW, see rgw_cluster.py), beyond
what test_artifacts.py runs on every store: a 1 GB object with bounded server memory, refused
credentials, missing buckets and `mlhub storage init`, an unreachable endpoint, MLflow's direct
mode (--default-artifact-root s3://... --no-serve-artifacts) and the environment variables
MLflow's S3 client reads (MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION).

The RGW keeps objects in memory (~2.2 GB of RAM per GB stored, deletes freed only hours later):
the whole suite stores one 1 GB object, everything else is small.
"""
import hashlib
import http.client
import http.server
import re
import socket
import subprocess
import threading
import urllib.parse
import uuid

import pytest
import requests

from mlhub_testlib import (
    ARTIFACTS, MIB, Client, FileLike, RssMonitor, ServerProcess, SizedStream, free_port, mlhub_bin,
    process_env, s3_env, strict_json,
)

CREDENTIALS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def bucket(s3_server):
    """A fresh, empty bucket of the test user."""
    return s3_server.create_bucket(f"mlhub-s3-{uuid.uuid4().hex[:12]}")


def _bucket_name():
    """A bucket name nobody created."""
    return f"mlhub-none-{uuid.uuid4().hex[:12]}"


def _bucket_exists(rgw, name):
    from botocore.exceptions import ClientError
    try:
        rgw.s3_client().head_bucket(Bucket=name)
        return True
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return False
        raise


def _keys(rgw, bucket):
    out, kw, s3 = [], {}, rgw.s3_client()
    while True:
        page = s3.list_objects_v2(Bucket=bucket, **kw)
        out += [o["Key"] for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return sorted(out)
        kw = {"ContinuationToken": page["NextContinuationToken"]}


def _uploads(rgw, bucket):
    """Keys of the multipart uploads open in the bucket."""
    return [u["Key"] for u in rgw.s3_client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def _head(rgw, bucket, key):
    from botocore.exceptions import ClientError
    try:
        return rgw.s3_client().head_object(Bucket=bucket, Key=key)["ContentLength"]
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return None
        raise


def _s3_server(server_factory, rgw, destination, extra_args=(), **env):
    """A server whose --artifacts-destination is `destination`, S3 configured by s3_env(rgw, **env)."""
    return server_factory(artifacts=destination, env=s3_env(rgw, **env), extra_args=extra_args)


def _run_paths(srv):
    """(artifact URL base, artifact path) of a fresh run on `srv`."""
    c = Client(srv.url)
    exp = c.create_experiment()
    rid = c.create_run(exp)["info"]["run_id"]
    rel = f"{exp}/{rid}/artifacts"
    return f"{srv.url}{ARTIFACTS}/{rel}", rel


def _error(r):
    """(status, error_code, message) of an MLflow JSON error answer."""
    assert r.headers.get("Content-Type", "").startswith("application/json"), (r.status_code, r.headers, r.text[:300])
    body = strict_json(r.text)
    return r.status_code, body.get("error_code"), body.get("message", "")


def _mlhub(args, env):
    r = subprocess.run([mlhub_bin(), *args], env=process_env(env), capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout + r.stderr


class _Answer:
    def __init__(self, status, headers, body):
        self.status_code, self.headers, self.content = status, headers, body
        self.text = body.decode("utf-8", "replace")


def _put_reading_early_answer(url, total):
    """PUTs `total` bytes with Content-Length while reading the answer at the same time, so an
    answer the server gives before the body is all sent (and its close) is still seen."""
    u = urllib.parse.urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=60)
    try:
        sock.sendall((f"PUT {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/octet-stream\r\n"
                      f"Content-Length: {total}\r\n\r\n").encode())

        def send():
            block = b"\x5a" * MIB
            try:
                for off in range(0, total, MIB):
                    sock.sendall(block[:min(MIB, total - off)])
            except OSError:
                pass  # the server answered and closed early

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        resp = http.client.HTTPResponse(sock, method="PUT")
        resp.begin()
        answer = _Answer(resp.status, {k: v for k, v in resp.getheaders()}, resp.read())
        sender.join(60)
        return answer
    finally:
        sock.close()


# --- 1 GB -----------------------------------------------------------------------------------------


@pytest.mark.timeout_s(480)
def test_one_gigabyte_round_trip_with_bounded_memory(server_factory, s3_server, bucket):
    """10^9 bytes from a generator up through the proxy into S3 (multipart) and back down (ranged
    GETs), SHA-256 checked, while the server's RSS grows by less than 64 MB."""
    srv = _s3_server(server_factory, s3_server, f"s3://{bucket}/big").start()
    base, rel = _run_paths(srv)
    url = f"{base}/big/blob.bin"
    key = f"big/{rel}/big/blob.bin"
    total = 10 ** 9
    # warm up (connections, handles) before taking the baseline
    assert requests.put(f"{base}/warm.txt", data=b"w" * 1000, timeout=60).status_code == 200
    assert requests.get(f"{base}/warm.txt", timeout=60).content == b"w" * 1000
    baseline_kb = srv.rss_kb()[0]
    limit_kb = 64 * 1000 * 1000 // 1024  # 64 MB
    growth = {}  # phase → kB of RSS above the baseline at its peak
    try:
        stream = SizedStream(total)
        mon = RssMonitor(srv)
        mon.start()
        try:
            r = requests.put(url, data=stream.generator(), headers={"Content-Type": "application/octet-stream"},
                             timeout=600)
        finally:
            mon.stop.set()
            mon.join()
        growth["upload"] = mon.max_rss - baseline_kb
        assert r.status_code == 200, r.text[:500]
        assert _head(s3_server, bucket, key) == total
        assert _uploads(s3_server, bucket) == [], "the multipart upload was left open"
        js = strict_json(requests.get(f"{srv.url}{ARTIFACTS}", params={"path": f"{rel}/big"}, timeout=60).text)
        assert js["files"] == [{"path": "blob.bin", "is_dir": False, "file_size": total}]

        sha, n = hashlib.sha256(), 0
        mon = RssMonitor(srv)
        mon.start()
        try:
            with requests.get(url, stream=True, timeout=600) as r:
                assert r.status_code == 200, r.status_code
                assert r.headers.get("Content-Length") == str(total)
                for c in r.iter_content(MIB):
                    sha.update(c)
                    n += len(c)
        finally:
            mon.stop.set()
            mon.join()
        growth["download"] = mon.max_rss - baseline_kb
        assert n == total
        assert sha.hexdigest() == stream.sha.hexdigest(), "downloaded bytes differ from the uploaded ones"

        part, last_part = 8 * MIB, (total // (8 * MIB)) * 8 * MIB
        for first, last in ((part - 3, part + 3), (last_part - 5, last_part + 5), (total - 10, total - 1),
                            (123456789, 123456789 + 3 * MIB)):
            r = requests.get(url, headers={"Range": f"bytes={first}-{last}"}, timeout=120)
            assert r.status_code == 206, (first, last, r.status_code)
            assert r.headers.get("Content-Range") == f"bytes {first}-{last}/{total}"
            assert r.content == stream.expected(first, last), (first, last)

        hwm_kb = srv.rss_kb()[1]
        over = {phase: kb for phase, kb in growth.items() if kb >= limit_kb}
        assert not over, (f"server RSS grew by more than 64 MB ({limit_kb} kB) over its baseline of {baseline_kb} kB:"
                          f" {growth} kB per phase (VmHWM {hwm_kb} kB)")
        assert hwm_kb - baseline_kb < limit_kb, f"server peak RSS (VmHWM) {hwm_kb} kB, baseline {baseline_kb} kB"
    finally:  # the RGW keeps the gigabyte in RAM: never leave it behind
        deleted = requests.delete(url, timeout=120)
    assert deleted.status_code == 200, deleted.text[:300]
    assert _head(s3_server, bucket, key) is None
    assert srv.terminate() == 0


# --- credentials ------------------------------------------------------------------------------------


def _assert_credentials_refused(r, what):
    st, code, message = _error(r)
    assert (st, code) == (403, "PERMISSION_DENIED"), f"{what}: {st} {code} {message}"
    for var in CREDENTIALS_VARS:
        assert var in message, f"{what}: message does not name {var}: {message!r}"


def test_wrong_secret_key_is_403_and_writes_nothing(server_factory, s3_server, bucket):
    srv = _s3_server(server_factory, s3_server, f"s3://{bucket}/root",
                     AWS_SECRET_ACCESS_KEY=s3_server.secret_key[::-1]).start()
    base, rel = _run_paths(srv)
    existing = f"root/{rel}/there.txt"
    s3_server.s3_client().put_object(Bucket=bucket, Key=existing, Body=b"written with the right keys")

    _assert_credentials_refused(requests.put(f"{base}/small.txt", data=b"x" * 100, timeout=60), "small upload")
    _assert_credentials_refused(_put_reading_early_answer(f"{base}/big.bin", 20 * MIB), "20 MiB upload")
    _assert_credentials_refused(requests.get(f"{base}/there.txt", timeout=60), "download")
    _assert_credentials_refused(requests.get(f"{base}/there.txt", headers={"Range": "bytes=0-3"}, timeout=60),
                                "ranged download")
    _assert_credentials_refused(requests.get(f"{srv.url}{ARTIFACTS}", params={"path": rel}, timeout=60), "listing")
    _assert_credentials_refused(requests.delete(f"{base}/there.txt", timeout=60), "delete")
    # the right keys see exactly what was there before
    assert _keys(s3_server, bucket) == [existing]
    assert _uploads(s3_server, bucket) == []
    assert s3_server.s3_client().get_object(Bucket=bucket, Key=existing)["Body"].read() == \
        b"written with the right keys"


def test_missing_credentials_are_a_clear_error(server_factory, s3_server, bucket):
    """No AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: the server either refuses to start or answers
    a clear 4xx naming the variables - never a 500."""
    srv = _s3_server(server_factory, s3_server, f"s3://{bucket}/root",
                     AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None).spawn()
    try:
        srv.proc.wait(3)
    except subprocess.TimeoutExpired:
        pass
    if srv.proc.poll() is not None:
        assert srv.proc.returncode != 0
        assert "AWS_ACCESS_KEY_ID" in srv.log(), srv.log()
        return
    srv.wait_ready()
    base, _ = _run_paths(srv)
    r = requests.put(f"{base}/f.txt", data=b"x", timeout=60)
    st, code, message = _error(r)
    assert 400 <= st < 500 and "AWS_ACCESS_KEY_ID" in message, \
        f"PUT {base}/f.txt without S3 credentials → {st} {code} {message!r}"
    assert _keys(s3_server, bucket) == []


# --- missing bucket, storage init --------------------------------------------------------------------


@pytest.mark.parametrize("op", ["upload", "download", "list", "delete"])
def test_missing_bucket_is_400_with_storage_init_hint(server_factory, s3_server, op):
    name = _bucket_name()
    srv = _s3_server(server_factory, s3_server, f"s3://{name}/root").start()
    base, rel = _run_paths(srv)
    r = {
        "upload": lambda: requests.put(f"{base}/f.txt", data=b"x", timeout=60),
        "download": lambda: requests.get(f"{base}/f.txt", timeout=60),
        "list": lambda: requests.get(f"{srv.url}{ARTIFACTS}", params={"path": rel}, timeout=60),
        "delete": lambda: requests.delete(f"{base}/f.txt", timeout=60),
    }[op]()
    st, code, message = _error(r)
    assert (st, code) == (400, "INVALID_PARAMETER_VALUE"), f"{op} on missing bucket {name}: {st} {code} {message!r}"
    assert f"mlhub storage init s3://{name}" in message, message
    assert not _bucket_exists(s3_server, name), "the server created the bucket itself"


def test_storage_init_creates_buckets_idempotently(server_factory, s3_server):
    a, b = _bucket_name(), _bucket_name()
    rc, out = _mlhub(["storage", "init", f"s3://{a}", f"s3://{b}/some/prefix"], s3_env(s3_server))
    assert rc == 0, out
    assert _bucket_exists(s3_server, a) and _bucket_exists(s3_server, b), out
    s3_server.s3_client().put_object(Bucket=a, Key="keep/me.txt", Body=b"kept")
    rc, out = _mlhub(["storage", "init", f"s3://{a}", f"s3://{b}/some/prefix"], s3_env(s3_server))
    assert rc == 0, f"second storage init failed: {out}"
    assert _keys(s3_server, a) == ["keep/me.txt"], "storage init touched an existing bucket's objects"
    # a server on the new bucket works at once
    srv = _s3_server(server_factory, s3_server, f"s3://{b}/some/prefix").start()
    base, rel = _run_paths(srv)
    assert requests.put(f"{base}/f.txt", data=b"ok", timeout=60).status_code == 200
    assert _keys(s3_server, b) == [f"some/prefix/{rel}/f.txt"]


def test_storage_init_fixes_a_missing_bucket(server_factory, s3_server):
    """The hint works: after `mlhub storage init` the same server (no restart) stores artifacts."""
    name = _bucket_name()
    srv = _s3_server(server_factory, s3_server, f"s3://{name}/root").start()
    base, rel = _run_paths(srv)
    st, code, message = _error(requests.put(f"{base}/f.txt", data=b"x", timeout=60))
    assert (st, code) == (400, "INVALID_PARAMETER_VALUE") and "mlhub storage init" in message, (st, message)
    rc, out = _mlhub(["storage", "init", f"s3://{name}"], s3_env(s3_server))
    assert rc == 0, out
    assert requests.put(f"{base}/f.txt", data=b"now", timeout=60).status_code == 200
    assert requests.get(f"{base}/f.txt", timeout=60).content == b"now"
    assert _keys(s3_server, name) == [f"root/{rel}/f.txt"]


def test_storage_init_with_wrong_secret_fails(s3_server):
    name = _bucket_name()
    rc, out = _mlhub(["storage", "init", f"s3://{name}"],
                     s3_env(s3_server, AWS_SECRET_ACCESS_KEY=s3_server.secret_key[::-1]))
    assert rc != 0, out
    assert name in out and "AWS_SECRET_ACCESS_KEY" in out, f"unclear failure message: {out!r}"
    assert not _bucket_exists(s3_server, name)


@pytest.mark.parametrize("uri", ["s3://Bad_Bucket", "s3://ab", "file:///tmp/x", "bucket-without-scheme"])
def test_storage_init_rejects_bad_uris(s3_server, uri):
    rc, out = _mlhub(["storage", "init", uri], s3_env(s3_server))
    assert rc != 0, out
    assert uri in out or "s3://" in out, f"unclear failure message: {out!r}"


# --- unreachable S3 ---------------------------------------------------------------------------------


def test_unreachable_endpoint_is_503(server_factory, s3_server):
    port = free_port()  # nothing listens there
    srv = _s3_server(server_factory, s3_server, "s3://mlhub-unreachable/root",
                     MLFLOW_S3_ENDPOINT_URL=f"http://127.0.0.1:{port}").start()
    base, rel = _run_paths(srv)
    for what, r in (("upload", requests.put(f"{base}/f.txt", data=b"x", timeout=60)),
                    ("download", requests.get(f"{base}/f.txt", timeout=60)),
                    ("list", requests.get(f"{srv.url}{ARTIFACTS}", params={"path": rel}, timeout=60))):
        st, code, message = _error(r)
        assert (st, code) == (503, "TEMPORARILY_UNAVAILABLE"), f"{what}: {st} {code} {message!r}"
        assert f"127.0.0.1:{port}" in message, f"{what}: message does not name the endpoint: {message!r}"


# --- MLflow's direct mode ------------------------------------------------------------------------------


def test_direct_mode_default_artifact_root(make_server, s3_server, bucket):
    """--default-artifact-root s3://bucket/root --no-serve-artifacts: the server only hands out
    s3:// locations (it needs no S3 access itself) and the client writes there directly."""
    srv = make_server(extra_args=["--default-artifact-root", f"s3://{bucket}/root", "--no-serve-artifacts"]).start()
    c = Client(srv.url)
    assert c.ok_get("experiments/get", {"experiment_id": "0"})["experiment"]["artifact_location"] == \
        f"s3://{bucket}/root/0"
    exp = c.create_experiment()
    assert c.ok_get("experiments/get", {"experiment_id": exp})["experiment"]["artifact_location"] == \
        f"s3://{bucket}/root/{exp}"
    run = c.create_run(exp)["info"]
    assert run["artifact_uri"] == f"s3://{bucket}/root/{exp}/{run['run_id']}/artifacts"
    run0 = c.create_run("0")["info"]
    assert run0["artifact_uri"] == f"s3://{bucket}/root/0/{run0['run_id']}/artifacts"
    own = c.create_experiment(artifact_location=f"s3://{bucket}/elsewhere")
    assert c.ok_get("experiments/get", {"experiment_id": own})["experiment"]["artifact_location"] == \
        f"s3://{bucket}/elsewhere"

    # what the MLflow client does with that URI: write the objects itself
    uri = urllib.parse.urlsplit(run["artifact_uri"])
    assert uri.scheme == "s3" and uri.netloc == bucket
    key = uri.path.lstrip("/") + "/model/MLmodel"
    s3 = s3_server.s3_client()
    s3.put_object(Bucket=bucket, Key=key, Body=b"flavors: {}\n")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"flavors: {}\n"
    # the proxy is off, as in MLflow
    r = requests.put(f"{srv.url}{ARTIFACTS}/{exp}/{run['run_id']}/artifacts/x.txt", data=b"x", timeout=30)
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert _keys(s3_server, bucket) == [key]


# --- the environment, as MLflow reads it -------------------------------------------------------------


class RecordingProxy:
    """An HTTP proxy in front of the RGW that records every request (method, path, Host,
    Authorization) and forwards it unchanged, Host header included, so signatures still hold."""

    def __init__(self, upstream):
        up = urllib.parse.urlsplit(upstream)
        self.requests, lock = [], threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with lock:
                    proxy.requests.append({"method": self.command, "path": self.path,
                                           "host": self.headers.get("Host"),
                                           "authorization": self.headers.get("Authorization", "")})
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                try:
                    conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for k, v in self.headers.items():
                        if k.lower() not in ("connection", "keep-alive", "transfer-encoding"):
                            conn.putheader(k, v)
                    conn.endheaders(body if body else None)
                    resp = conn.getresponse()
                    data = resp.read()
                    self.send_response_only(resp.status, resp.reason)
                    for k, v in resp.getheaders():
                        if k.lower() in ("connection", "keep-alive", "transfer-encoding"):
                            continue
                        if k.lower() == "content-length" and self.command != "HEAD":
                            continue
                        self.send_header(k, v)
                    if self.command != "HEAD":
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_environment_as_mlflow_reads_it(server_factory, s3_server, bucket):
    """MLFLOW_S3_ENDPOINT_URL (a trailing '/' allowed): path-style requests to that host;
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY sign them; AWS_DEFAULT_REGION is the region of the
    signature's scope (the RGW accepts any region, so the scope is read off the wire)."""
    proxy = RecordingProxy(s3_server.endpoint)
    try:
        srv = _s3_server(server_factory, s3_server, f"s3://{bucket}/env",
                         MLFLOW_S3_ENDPOINT_URL=proxy.endpoint + "/", AWS_DEFAULT_REGION="eu-central-1").start()
        base, rel = _run_paths(srv)
        big = SizedStream(9 * MIB)  # one part more than fits a single PUT: a multipart upload
        assert requests.put(f"{base}/small.txt", data=b"small", timeout=60).status_code == 200
        assert requests.put(f"{base}/big.bin", data=FileLike(big), timeout=120).status_code == 200
        assert requests.get(f"{base}/small.txt", timeout=60).content == b"small"
        assert hashlib.sha256(requests.get(f"{base}/big.bin", timeout=120).content).hexdigest() == \
            big.sha.hexdigest()
        js = strict_json(requests.get(f"{srv.url}{ARTIFACTS}", params={"path": rel}, timeout=60).text)
        assert [f["path"] for f in js["files"]] == ["big.bin", "small.txt"]
        assert requests.delete(f"{base}/small.txt", timeout=60).status_code == 200
    finally:
        proxy.close()
    assert _keys(s3_server, bucket) == [f"env/{rel}/big.bin"]
    seen = proxy.requests
    assert {r["method"] for r in seen} >= {"PUT", "POST", "GET", "HEAD"}, seen
    host = urllib.parse.urlsplit(proxy.endpoint).netloc
    scope = re.compile(rf"^AWS4-HMAC-SHA256 Credential={re.escape(s3_server.access_key)}/\d{{8}}/eu-central-1/"
                       r"s3/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$")
    for r in seen:
        assert r["host"] == host, r
        assert r["path"] == f"/{bucket}" or r["path"].startswith((f"/{bucket}/", f"/{bucket}?")), \
            f"not a path-style request for bucket {bucket}: {r}"
        m = scope.match(r["authorization"])
        assert m, f"Authorization does not carry the configured key and region: {r}"
        assert "host" in m.group(1).split(";"), r


def test_destination_from_mlflow_artifacts_destination(tmp_path, s3_server, bucket):
    """MLFLOW_ARTIFACTS_DESTINATION, as `mlflow server` reads it, stands in for the flag."""

    class EnvDestinationServer(ServerProcess):
        def command(self):
            cmd = super().command()
            i = cmd.index("--artifacts-destination")
            return cmd[:i] + cmd[i + 2:]

    srv = EnvDestinationServer(tmp_path / "srv",
                               env=s3_env(s3_server, MLFLOW_ARTIFACTS_DESTINATION=f"s3://{bucket}/from-env"))
    try:
        srv.start()
        base, rel = _run_paths(srv)
        assert requests.put(f"{base}/f.txt", data=b"env", timeout=60).status_code == 200
        assert _keys(s3_server, bucket) == [f"from-env/{rel}/f.txt"]
        assert srv.terminate() == 0
    finally:
        srv.kill()


@pytest.mark.parametrize("endpoint", ["127.0.0.1:9000", "ftp://127.0.0.1:9000", "http://"])
def test_malformed_endpoint_url_stops_the_server(server_factory, s3_server, bucket, endpoint):
    srv = _s3_server(server_factory, s3_server, f"s3://{bucket}/root", MLFLOW_S3_ENDPOINT_URL=endpoint).spawn()
    try:
        rc = srv.proc.wait(20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"server started with MLFLOW_S3_ENDPOINT_URL={endpoint!r}; output:\n{srv.log()}")
    assert rc != 0
    assert "MLFLOW_S3_ENDPOINT_URL" in srv.log(), srv.log()
