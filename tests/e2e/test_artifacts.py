# SPDX-License-Identifier: Apache-2.0
"""Proxied artifacts (/api/2.0/mlflow-artifacts/artifacts): upload, download (incl. Range), list,
delete, path safety, big directories, interrupted uploads and a 1 GB streamed round trip with
bounded server memory.

Every test on `server` runs once per (metadata backend, artifact store): the store is a local
folder (`local`) or an S3 bucket on the test Ceph RGW (`s3`, configured through MLflow's
MLFLOW_S3_ENDPOINT_URL / AWS_* variables). What a test checks behind the API's back, it reads
through `server.backing`: the folder, or the bucket with botocore. S3-only behaviour (1 GB on S3,
credentials, missing buckets, `mlhub storage init`, direct mode) is in test_s3.py.
"""
import hashlib
import os
import random
import socket
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mlhub_testlib import (
    ARTIFACTS, MIB, Client, DeterministicStream, FileLike, RssMonitor, ServerProcess, raw_request, s3_env,
    stop_shared_server, strict_json,
)

STORES = ("local", "s3")
S3_PREFIX = "store/root"  # the --artifacts-destination is s3://<bucket of the server>/store/root


def _json(r):
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    return strict_json(r.text)


# --- what the store holds, read behind the server's back ----------------------------------------


class LocalBacking:
    """The artifact folder of a local-store server; paths are relative to it."""

    def __init__(self, root):
        self.root = root

    def read(self, rel):
        try:
            with open(os.path.join(self.root, rel), "rb") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def keys(self, rel=""):
        """Every file (temporary ones included) under directory `rel`, relative to the root."""
        out = []
        for dirpath, _, files in os.walk(os.path.join(self.root, rel)):
            out += [os.path.relpath(os.path.join(dirpath, f), self.root) for f in files]
        return sorted(out)

    def all_keys(self):
        return self.keys()

    def partial(self, rel):
        """Uploads in progress under `rel`: the store's temporary files."""
        return [k for k in self.keys(rel) if ".mlhub-tmp-" in k]


class S3Backing:
    """The bucket of an S3-store server (botocore, the test user's keys); paths are relative to
    the destination's prefix."""

    def __init__(self, client, bucket, prefix):
        self.s3, self.bucket, self.prefix = client, bucket, prefix

    def key(self, rel):
        return f"{self.prefix}/{rel}"

    def read(self, rel):
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=self.key(rel))["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None

    def head(self, rel):
        """The object's size, None when head_object answers 404."""
        from botocore.exceptions import ClientError
        try:
            return self.s3.head_object(Bucket=self.bucket, Key=self.key(rel))["ContentLength"]
        except ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return None
            raise

    def _list(self, prefix):
        out, kw = [], {}
        while True:
            page = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, **kw)
            out += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return out
            kw = {"ContinuationToken": page["NextContinuationToken"]}

    def keys(self, rel=""):
        """Every object under directory `rel` (all pages), relative to the prefix."""
        prefix = self.prefix + "/" + (rel.rstrip("/") + "/" if rel else "")
        return sorted(k[len(self.prefix) + 1:] for k in self._list(prefix))

    def all_keys(self):
        """Every key of the bucket, as stored."""
        return sorted(self._list(""))

    def partial(self, rel):
        """Multipart uploads in progress under `rel` (their keys)."""
        out, kw = [], {}
        while True:
            page = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=self.key(rel), **kw)
            out += [u["Key"] for u in page.get("Uploads", [])]
            if not page.get("IsTruncated"):
                return out
            kw = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}


# --- one server per (backend, store) -------------------------------------------------------------


@pytest.fixture(scope="module", params=STORES, ids=STORES)
def artifact_store(request):
    return request.param


@pytest.fixture(scope="module")
def server(backend, artifact_store, tmp_path_factory, request):
    """Overrides conftest's shared server for this module: one per (backend, artifact store)."""
    kw, db_name = {}, None
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        db_name = f"art_{uuid.uuid4().hex[:12]}"
        kw["backend_uri"] = cluster.create_database(db_name)
    if artifact_store == "s3":
        rgw = request.getfixturevalue("s3_server")
        bucket = rgw.create_bucket(f"mlhub-art-{uuid.uuid4().hex[:12]}")
        kw["artifacts"] = f"s3://{bucket}/{S3_PREFIX}"
        kw["env"] = s3_env(rgw)
    srv = ServerProcess(tmp_path_factory.mktemp(f"mlhub-art-{backend}-{artifact_store}"), **kw)
    srv.backing = (S3Backing(rgw.s3_client(), bucket, S3_PREFIX) if artifact_store == "s3"
                   else LocalBacking(srv.artifacts))
    srv.start()
    yield srv
    stop_shared_server(srv, "module",
                       cleanup=(lambda: cluster.drop_database(db_name)) if db_name else None)


@pytest.fixture
def art(server, run):
    """(base URL of the run's artifact dir, its path relative to the artifact root)"""
    exp, rid = run["info"]["experiment_id"], run["info"]["run_id"]
    rel = f"{exp}/{rid}/artifacts"
    return f"{server.url}{ARTIFACTS}/{rel}", rel


def _put(url, data, ctype="application/octet-stream"):
    return requests.put(url, data=data, headers={"Content-Type": ctype}, timeout=120)


def _list(server, path=None):
    params = {} if path is None else {"path": path}
    r = requests.get(f"{server.url}{ARTIFACTS}", params=params, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)
    return _json(r)


def _poll(condition, timeout=10.0):
    """Waits (at most `timeout` s) until condition() is true; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_upload_download_list_delete(server, client, art, run):
    base, rel = art
    payload = b"hello artifact\n" * 100
    r = _put(f"{base}/dir/file.txt", payload, "text/plain")
    assert r.status_code == 200, r.text
    assert _json(r) == {}
    assert server.backing.read(f"{rel}/dir/file.txt") == payload, \
        "artifact not stored under --artifacts-destination/<path>"

    r = requests.get(f"{base}/dir/file.txt", timeout=30)
    assert r.status_code == 200 and r.content == payload
    cd = r.headers.get("Content-Disposition", "")
    assert cd.startswith("attachment") and "filename=file.txt" in cd.replace('"', ""), cd
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    assert r.headers.get("Accept-Ranges") == "bytes", r.headers

    js = _list(server, f"{rel}/dir")
    assert js["files"] == [{"path": "file.txt", "is_dir": False, "file_size": len(payload)}]
    js = _list(server, rel)
    assert js["files"] == [{"path": "dir", "is_dir": True}]
    # the tracking API's artifacts/list reads the same store
    js = client.ok_get("artifacts/list", {"run_id": run["info"]["run_id"], "path": "dir"})
    assert js["root_uri"] == run["info"]["artifact_uri"]
    assert js["files"] == [{"path": "dir/file.txt", "is_dir": False, "file_size": len(payload)}]

    r = requests.delete(f"{base}/dir/file.txt", timeout=30)
    assert r.status_code == 200, r.text
    assert server.backing.read(f"{rel}/dir/file.txt") is None
    assert requests.get(f"{base}/dir/file.txt", timeout=30).status_code == 404
    assert _list(server, f"{rel}/dir").get("files", []) == []


def test_overwrite_nested_empty_and_binary(server, art):
    base, rel = art
    assert _put(f"{base}/a/b/c/deep.bin", b"v1").status_code == 200
    assert _put(f"{base}/a/b/c/deep.bin", b"version-2").status_code == 200
    assert requests.get(f"{base}/a/b/c/deep.bin", timeout=30).content == b"version-2"
    assert server.backing.read(f"{rel}/a/b/c/deep.bin") == b"version-2"
    assert _put(f"{base}/empty.txt", b"", "text/plain").status_code == 200
    r = requests.get(f"{base}/empty.txt", timeout=30)
    assert r.status_code == 200 and r.content == b""
    assert server.backing.read(f"{rel}/empty.txt") == b""
    allbytes = bytes(range(256)) * 64
    assert _put(f"{base}/all.bin", allbytes).status_code == 200
    assert requests.get(f"{base}/all.bin", timeout=30).content == allbytes
    files = {f["path"]: f for f in _list(server, rel)["files"]}
    assert files["empty.txt"] == {"path": "empty.txt", "is_dir": False, "file_size": 0}
    assert files["all.bin"]["file_size"] == len(allbytes)
    assert files["a"]["is_dir"] is True
    assert [f["path"] for f in _list(server, f"{rel}/a/b")["files"]] == ["c"]


def test_sizes_around_the_s3_part_size(server, art):
    """Sizes around the S3 store's 8 MiB part (one PUT below it, a multipart upload from it on),
    sent with Content-Length and chunked: every one reads back byte for byte."""
    base, rel = art
    part = 8 * MIB
    rng = random.Random(7)
    for size in (1, part - 1, part, part + 1, 3 * part + 3):
        data = rng.randbytes(size)
        assert _put(f"{base}/sizes/{size}.bin", data).status_code == 200, size
        r = requests.get(f"{base}/sizes/{size}.bin", timeout=120)
        assert r.status_code == 200 and len(r.content) == size and r.content == data, size
    data = rng.randbytes(part + 1)
    chunks = (data[i:i + 65536] for i in range(0, len(data), 65536))
    r = requests.put(f"{base}/sizes/chunked.bin", data=chunks, timeout=120)
    assert r.status_code == 200, r.text[:300]
    assert hashlib.sha256(requests.get(f"{base}/sizes/chunked.bin", timeout=120).content).digest() == \
        hashlib.sha256(data).digest()
    sizes = {f["path"]: f["file_size"] for f in _list(server, f"{rel}/sizes")["files"]}
    assert sizes == {"1.bin": 1, f"{part - 1}.bin": part - 1, f"{part}.bin": part, f"{part + 1}.bin": part + 1,
                     f"{3 * part + 3}.bin": 3 * part + 3, "chunked.bin": part + 1}
    assert server.backing.partial(f"{rel}/sizes") == [], "an upload was left unfinished"
    assert len(server.backing.keys(f"{rel}/sizes")) == 6


def test_json_artifact_gets_json_mime_type(art):
    base, _ = art
    assert _put(f"{base}/input_example.json", b'{"a": 1}', "application/json").status_code == 200
    r = requests.get(f"{base}/input_example.json", timeout=30)
    assert r.status_code == 200 and r.content == b'{"a": 1}'
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers


# --- Range ---------------------------------------------------------------------------------------


def _range(url, spec):
    r = requests.get(url, headers={"Range": spec}, timeout=120)
    assert r.status_code < 500, (spec, r.status_code, r.text[:300])
    return r


def test_range_requests_small_file(art):
    base, _ = art
    url = f"{base}/r/hello.txt"
    assert _put(url, b"hello world", "text/plain").status_code == 200
    cases = {  # Range → (status, body, Content-Range)
        "bytes=2-4": (206, b"llo", "bytes 2-4/11"),
        "bytes=0-0": (206, b"h", "bytes 0-0/11"),
        "bytes=-3": (206, b"rld", "bytes 8-10/11"),
        "bytes=-100": (206, b"hello world", "bytes 0-10/11"),  # suffix longer than the file
        "bytes=6-": (206, b"world", "bytes 6-10/11"),
        "bytes=10-": (206, b"d", "bytes 10-10/11"),
        "bytes=8-1000": (206, b"rld", "bytes 8-10/11"),  # end past the end: clipped
        "bytes=0-1,4-5": (200, b"hello world", None),  # several ranges: the whole file
    }
    for spec, (status, body, content_range) in cases.items():
        r = _range(url, spec)
        assert (r.status_code, r.content) == (status, body), (spec, r.status_code, r.content)
        assert r.headers.get("Content-Range") == content_range, (spec, r.headers)
        assert r.headers.get("Content-Length") == str(len(body)), (spec, r.headers)
        assert r.headers.get("Accept-Ranges") == "bytes", (spec, r.headers)
    for spec in ("bytes=11-", "bytes=11-20", "bytes=500-600", "bytes=-0"):
        r = _range(url, spec)
        assert r.status_code == 416, (spec, r.status_code, r.content)
        assert r.headers.get("Content-Range") == "bytes */11", (spec, r.headers)


def test_range_requests_across_read_windows(server, art):
    """Ranges of a 20 MiB file that start, end and cross the S3 store's 8 MiB read windows."""
    base, rel = art
    size = 20 * MIB + 12345
    data = random.Random(11).randbytes(size)
    url = f"{base}/r/big.bin"
    assert _put(url, data).status_code == 200
    w = 8 * MIB
    for first, last in ((0, 0), (w - 100, w + 100), (w - 5, 2 * w + 5), (w, 2 * w - 1), (2 * w, size - 1),
                        (size - 1, size - 1), (123, size - 1)):
        r = _range(url, f"bytes={first}-{last}")
        assert r.status_code == 206, (first, last, r.status_code)
        assert r.headers.get("Content-Range") == f"bytes {first}-{last}/{size}", r.headers
        assert r.content == data[first:last + 1], (first, last, len(r.content))
    r = _range(url, "bytes=-1000")
    assert (r.status_code, r.content) == (206, data[-1000:])
    assert r.headers.get("Content-Range") == f"bytes {size - 1000}-{size - 1}/{size}"
    r = _range(url, f"bytes={w + 7}-")
    assert (r.status_code, r.headers.get("Content-Range")) == (206, f"bytes {w + 7}-{size - 1}/{size}")
    assert r.content == data[w + 7:]
    r = _range(url, f"bytes={size}-")
    assert r.status_code == 416 and r.headers.get("Content-Range") == f"bytes */{size}", r.headers
    r = _range(url, "bytes=0-9,100-109")
    assert r.status_code == 200 and r.content == data and "Content-Range" not in r.headers
    assert server.backing.read(f"{rel}/r/big.bin") == data


# --- names ---------------------------------------------------------------------------------------

SPECIAL_NAMES = [
    "my file ü+&=.txt", "日本語/データ.csv", "emoji-🚀.bin", "semi;colon,comma@at$.txt", "tilde~_-.txt",
    "quote'apos(paren)!*.txt", "brackets[1]{2}.txt", 'dq"x.txt', "colon:x.txt", "a  b/c  d.txt",
    "plus+plus.txt", "<lt>gt|pipe^.txt", ".hidden", "..dots..txt", "trailing.", "q?x=1&y.txt",
]


def test_special_characters_in_names(server, art):
    base, rel = art
    for name in SPECIAL_NAMES:
        r = _put(f"{base}/sp/{urllib.parse.quote(name)}", name.encode())
        assert r.status_code == 200, (name, r.status_code, r.text[:300])
        assert server.backing.read(f"{rel}/sp/{name}") == name.encode(), name
        r = requests.get(f"{base}/sp/{urllib.parse.quote(name)}", timeout=30)
        assert r.status_code == 200 and r.content == name.encode(), name
    top = {n.split("/")[0]: "/" in n for n in SPECIAL_NAMES}
    listed = {f["path"]: f["is_dir"] for f in _list(server, f"{rel}/sp")["files"]}
    assert listed == top
    assert [f["path"] for f in _list(server, f"{rel}/sp/日本語")["files"]] == ["データ.csv"]
    assert [f["path"] for f in _list(server, f"{rel}/sp/a  b")["files"]] == ["c  d.txt"]
    assert server.backing.keys(f"{rel}/sp") == sorted(f"{rel}/sp/{n}" for n in SPECIAL_NAMES)
    for name in SPECIAL_NAMES:
        assert requests.delete(f"{base}/sp/{urllib.parse.quote(name)}", timeout=30).status_code == 200, name
    assert server.backing.keys(f"{rel}/sp") == []


@pytest.mark.parametrize("name", ["per%cent.txt", "hash#x.txt", "back\\slash.txt", "ctl\x01.txt"])
def test_names_the_path_rules_refuse(server, art, name):
    """Names the artifact path rules refuse are refused the same on every store; nothing is written."""
    base, rel = art
    r = _put(f"{base}/bad/{urllib.parse.quote(name)}", b"x")
    assert r.status_code == 400, (name, r.status_code, r.text[:300])
    assert _json(r)["error_code"] == "INVALID_PARAMETER_VALUE"
    assert server.backing.keys(f"{rel}/bad") == []


def test_missing_dir_lists_empty(server):
    js = _list(server, f"0/{uuid.uuid4().hex}/artifacts/nothing")
    assert js.get("files", []) == []


# --- directories ---------------------------------------------------------------------------------


def test_delete_directory(server, art):
    base, rel = art
    for n in ("d/x.txt", "d/sub/y.txt", "keep.txt", "dx.txt"):
        assert _put(f"{base}/{n}", b"1").status_code == 200
    assert requests.delete(f"{base}/d", timeout=30).status_code == 200
    assert server.backing.keys(f"{rel}/d") == []
    assert server.backing.keys(rel) == [f"{rel}/dx.txt", f"{rel}/keep.txt"], "a sibling was deleted too"
    assert [f["path"] for f in _list(server, rel)["files"]] == ["dx.txt", "keep.txt"]


def test_delete_missing_is_404(art):
    base, _ = art
    r = requests.delete(f"{base}/no/such/thing", timeout=30)
    assert r.status_code == 404, (r.status_code, r.text[:300])
    assert _json(r)["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.timeout_s(240)
def test_directory_with_1100_files(server, client, art, run):
    """More entries than one S3 listing page (1000): listing follows the continuation tokens and
    returns all of them; deleting the directory removes every key (several batch deletes)."""
    base, rel = art
    n = 1100
    local = threading.local()

    def put(i):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        r = local.s.put(f"{base}/many/f{i:04d}.txt", data=b"%d" % i, timeout=60)
        assert r.status_code == 200, (i, r.status_code, r.text[:300])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(n)))
    assert _put(f"{base}/many/sub/inner.txt", b"inner").status_code == 200
    assert _put(f"{base}/many.txt", b"beside").status_code == 200

    want = [{"path": f"f{i:04d}.txt", "is_dir": False, "file_size": len(b"%d" % i)} for i in range(n)]
    want.append({"path": "sub", "is_dir": True})
    assert _list(server, f"{rel}/many")["files"] == want
    js = client.ok_get("artifacts/list", {"run_id": run["info"]["run_id"], "path": "many"})
    assert js["files"] == [dict(f, path="many/" + f["path"]) for f in want]
    assert len(server.backing.keys(f"{rel}/many")) == n + 1

    r = requests.delete(f"{base}/many", timeout=120)
    assert r.status_code == 200, r.text[:300]
    assert server.backing.keys(f"{rel}/many") == []
    assert _list(server, f"{rel}/many").get("files", []) == []
    assert server.backing.keys(rel) == [f"{rel}/many.txt"]
    assert requests.get(f"{base}/many.txt", timeout=30).content == b"beside"


# --- interrupted uploads -------------------------------------------------------------------------


@pytest.mark.timeout_s(120)
def test_client_disconnect_mid_upload_leaves_nothing(server, art):
    """A client that announces 100 MB, sends 30 MB and hangs up leaves no artifact, no temporary
    file and (S3) no open multipart upload."""
    base, rel = art
    url = urllib.parse.urlsplit(f"{base}/cut/partial.bin")
    sock = socket.create_connection((url.hostname, url.port), timeout=60)
    try:
        sock.sendall((f"PUT {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                      f"Content-Type: application/octet-stream\r\nContent-Length: {100 * MIB}\r\n\r\n").encode())
        block = random.Random(3).randbytes(MIB)
        for _ in range(30):
            sock.sendall(block)
        # the upload is under way in the store: a temporary file / a multipart upload
        assert _poll(lambda: server.backing.partial(f"{rel}/cut")), \
            f"no upload in progress after 30 MB were sent; store holds {server.backing.keys(f'{rel}/cut')}"
    finally:
        sock.close()
    # the server notices the hang-up and aborts the upload (no timing asserted: poll up to 10 s)
    _poll(lambda: not server.backing.partial(f"{rel}/cut"))
    assert server.backing.partial(f"{rel}/cut") == [], "the interrupted upload was not cleaned up"
    assert server.backing.keys(f"{rel}/cut") == []
    if isinstance(server.backing, S3Backing):
        assert server.backing.head(f"{rel}/cut/partial.bin") is None
    assert requests.get(f"{base}/cut/partial.bin", timeout=30).status_code == 404
    assert _list(server, f"{rel}/cut").get("files", []) == []
    assert _put(f"{base}/cut/after.bin", b"fine").status_code == 200  # the server serves on


def test_download_missing_file_is_404(art):
    base, _ = art
    r = requests.get(f"{base}/no/such/file.txt", timeout=30)
    assert r.status_code == 404, (r.status_code, r.text[:300])


def test_put_does_not_need_json_content_type(art):
    base, _ = art
    for ctype in ("image/png", "text/csv", "application/x-yaml"):
        assert _put(f"{base}/f.{ctype.split('/')[1]}", b"data", ctype).status_code == 200


@pytest.mark.parametrize("artifact_store", ["local"], indirect=True)
def test_mpu_on_local_destination_is_501(server, art):
    _, rel = art
    r = requests.post(f"{server.url}/api/2.0/mlflow-artifacts/mpu/create/{rel}/big.bin",
                      json={"path": "big.bin", "num_parts": 2}, timeout=30)
    assert r.status_code == 501, (r.status_code, r.text)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    assert strict_json(r.text)["error_code"] == "NOT_IMPLEMENTED"


# --- path safety --------------------------------------------------------------------------------

TRAVERSALS = [
    "{d}/../../{m}",
    "../{m}",
    "{d}/%2e%2e/%2e%2e/{m}",
    "%2e%2e/{m}",
    "%2E%2E%2F{m}",
    "..%2F{m}",
    "{d}/..%2f..%2f..%2f{m}",
    "%2Ftmp%2F{m}",
    "%2F{m}",
    "{d}/a%00b/{m}",
    "{d}/{m}%00.txt",
]


@pytest.mark.parametrize("template", TRAVERSALS)
def test_traversal_rejected(server, art, template):
    _, rel = art
    marker = f"pwned-{uuid.uuid4().hex[:10]}"
    path = f"{ARTIFACTS}/" + template.format(d=rel, m=marker)
    st, hdrs, body = raw_request(server.url, "PUT", path, body=b"pwned",
                                 headers={"Content-Type": "application/octet-stream"})
    assert st == 400, (path, st, body[:300])
    err = strict_json(body.decode())
    assert err["error_code"] == "INVALID_PARAMETER_VALUE", err
    st, _, body = raw_request(server.url, "GET", path)
    assert st == 400, ("GET", path, st, body[:300])
    st, _, body = raw_request(server.url, "DELETE", path)
    assert st == 400, ("DELETE", path, st, body[:300])
    # nothing written anywhere near the server's directories, nor anywhere in its bucket
    basetemp = os.path.dirname(os.path.dirname(server.workdir))
    for dirpath, dirs, files in os.walk(basetemp):
        assert not any(marker in n for n in files + dirs), f"traversal wrote {dirpath}/{marker}"
    for p in (f"/tmp/{marker}", f"/{marker}", os.path.join(os.path.dirname(server.artifacts), marker)):
        assert not os.path.exists(p), p
    assert not [k for k in server.backing.all_keys() if marker in k]


def test_double_slash_stays_inside_destination(server):
    """`artifacts//tmp/x` is either refused or read as the relative path tmp/x (Flask merges the
    slashes); it must never reach the real /tmp."""
    marker = f"pwned-{uuid.uuid4().hex[:10]}"
    st, _, body = raw_request(server.url, "PUT", f"{ARTIFACTS}//tmp/{marker}", body=b"x",
                              headers={"Content-Type": "application/octet-stream"})
    assert st in (200, 400), (st, body[:300])
    assert not os.path.exists(f"/tmp/{marker}")
    if st == 200:
        assert server.backing.read(f"tmp/{marker}") == b"x"
        assert requests.delete(f"{server.url}{ARTIFACTS}/tmp/{marker}", timeout=30).status_code == 200
    assert server.backing.read(f"tmp/{marker}") is None


def test_traversal_read_of_system_file(server):
    for path in (f"{ARTIFACTS}/%2Fetc%2Fpasswd", f"{ARTIFACTS}/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                 f"{ARTIFACTS}/0/../../../../../../etc/passwd"):
        st, _, body = raw_request(server.url, "GET", path)
        assert st == 400, (path, st)
        assert b"root:" not in body


@pytest.mark.parametrize("bad", ["../..", "/etc", "0/../../x", "a\x00b", "0/..", ".."])
def test_listing_traversal_rejected(server, bad):
    r = requests.get(f"{server.url}{ARTIFACTS}", params={"path": bad}, timeout=30)
    assert r.status_code == 400, (bad, r.status_code, r.text[:300])
    assert _json(r)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_artifact_service_on_ajax_prefix(server, art):
    """The artifact service is mounted under /ajax-api/2.0 too (the web UI uses it)."""
    base, rel = art
    ajax = f"{server.url}/ajax-api/2.0/mlflow-artifacts/artifacts"
    assert _put(f"{ajax}/{rel}/ui/f.txt", b"from-ui", "text/plain").status_code == 200
    assert requests.get(f"{base}/ui/f.txt", timeout=30).content == b"from-ui"
    r = requests.get(ajax, params={"path": f"{rel}/ui"}, timeout=30)
    assert r.status_code == 200
    assert _json(r)["files"] == [{"path": "f.txt", "is_dir": False, "file_size": 7}]
    assert requests.get(f"{ajax}/{rel}/ui/f.txt", timeout=30).content == b"from-ui"
    r = requests.get(f"{ajax}/{rel}/ui/f.txt", headers={"Range": "bytes=5-"}, timeout=30)
    assert (r.status_code, r.content) == (206, b"ui")


def test_nothing_outside_destination(server, artifact_store):
    """After all the traffic above, the server's work dir holds only the db, logs and (local)
    artifacts; on S3 every key of its bucket is under the destination's prefix."""
    for entry in os.listdir(server.workdir):
        if artifact_store == "local":
            assert entry == "artifacts" or entry.startswith(("mlhub.db", "server-")), entry
        else:
            assert entry.startswith(("mlhub.db", "server-")), entry
    keys = server.backing.all_keys()
    if artifact_store == "s3":
        assert keys, "the S3 server stored nothing in its bucket"
        assert [k for k in keys if not k.startswith(S3_PREFIX + "/")] == []


# --- big streamed round trip (local folder; S3: test_s3.py) --------------------------------------


def _download_sha(url):
    sha, n = hashlib.sha256(), 0
    with requests.get(url, stream=True, timeout=120) as r:
        assert r.status_code == 200, r.status_code
        for c in r.iter_content(MIB):
            sha.update(c)
            n += len(c)
    return sha.hexdigest(), n


@pytest.mark.timeout_s(300)
def test_one_gigabyte_streamed_round_trip(make_server):
    srv = make_server().start()
    c = Client(srv.url)
    exp = c.create_experiment()
    rid = c.create_run(exp)["info"]["run_id"]
    url = f"{srv.url}{ARTIFACTS}/{exp}/{rid}/artifacts/big/blob.bin"
    mon = RssMonitor(srv)
    mon.start()
    try:
        # chunked transfer encoding (generator body), 1 GiB
        stream = DeterministicStream(1024)
        r = requests.put(url, data=stream.generator(), headers={"Content-Type": "application/octet-stream"},
                         timeout=300)
        assert r.status_code == 200, r.text[:300]
        files = strict_json(requests.get(f"{srv.url}{ARTIFACTS}", params={"path": f"{exp}/{rid}/artifacts/big"},
                                         timeout=30).text)["files"]
        assert files == [{"path": "blob.bin", "is_dir": False, "file_size": 1024 * MIB}]
        digest, n = _download_sha(url)
        assert n == 1024 * MIB
        assert digest == stream.sha.hexdigest()
        # Content-Length upload of a file-like body (what the MLflow client sends), 64 MiB
        s2 = DeterministicStream(64)
        url2 = url.replace("blob.bin", "sized.bin")
        r = requests.put(url2, data=FileLike(s2), headers={"Content-Type": "application/octet-stream"}, timeout=120)
        assert r.status_code == 200, r.text[:300]
        assert r.request.headers.get("Content-Length") == str(64 * MIB)
        assert _download_sha(url2) == (s2.sha.hexdigest(), 64 * MIB)
    finally:
        mon.stop.set()
        mon.join()
    rss, hwm = srv.rss_kb()
    limit_kb = 200 * 1024
    assert mon.max_rss < limit_kb, f"server RSS reached {mon.max_rss} kB during the transfer"
    assert hwm < limit_kb, f"server peak RSS (VmHWM) {hwm} kB"
    assert requests.delete(url, timeout=60).status_code == 200
    assert srv.terminate() == 0
