# SPDX-License-Identifier: Apache-2.0
"""Proxied artifact transfers: sizes around the S3 part size, Range requests (also across the S3
store's read windows), a client that disconnects mid-upload, and a 1 GB streamed round trip on
the local store with bounded server memory (on S3: test_s3.py). Servers as in artifact_testlib.py.
"""
import hashlib
import random
import socket
import urllib.parse

import pytest
import requests

from mlhub_testlib import ARTIFACTS, MIB, Client, DeterministicStream, FileLike, RssMonitor, strict_json
from artifact_testlib import (  # noqa: F401  (fixtures among them)
    S3Backing,
    artifact_store,
    server,
    art,
    _put,
    _list,
    _poll,
)


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
