# SPDX-License-Identifier: Apache-2.0
"""Proxied artifacts (/api/2.0/mlflow-artifacts/artifacts): upload, download, list, delete, path
safety and a 1 GB streamed round trip with bounded server memory."""
import hashlib
import os
import threading
import time
import urllib.parse
import uuid

import pytest
import requests

from mlhub_testlib import ARTIFACTS, MIB, Client, DeterministicStream, raw_request, strict_json

def _json(r):
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    return strict_json(r.text)


@pytest.fixture
def art(server, run):
    """(base URL of the run's artifact dir, relative path, on-disk dir)"""
    exp, rid = run["info"]["experiment_id"], run["info"]["run_id"]
    rel = f"{exp}/{rid}/artifacts"
    return f"{server.url}{ARTIFACTS}/{rel}", rel, os.path.join(server.artifacts, exp, rid, "artifacts")


def _put(url, data, ctype="application/octet-stream"):
    return requests.put(url, data=data, headers={"Content-Type": ctype}, timeout=120)


def _list(server, path=None):
    params = {} if path is None else {"path": path}
    r = requests.get(f"{server.url}{ARTIFACTS}", params=params, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)
    return _json(r)


def test_upload_download_list_delete(server, art):
    base, rel, disk = art
    payload = b"hello artifact\n" * 100
    r = _put(f"{base}/dir/file.txt", payload, "text/plain")
    assert r.status_code == 200, r.text
    assert _json(r) == {}
    with open(os.path.join(disk, "dir", "file.txt"), "rb") as f:
        assert f.read() == payload, "artifact not stored under --artifacts-destination/<path>"

    r = requests.get(f"{base}/dir/file.txt", timeout=30)
    assert r.status_code == 200 and r.content == payload
    cd = r.headers.get("Content-Disposition", "")
    assert cd.startswith("attachment") and "filename=file.txt" in cd.replace('"', ""), cd
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers

    js = _list(server, f"{rel}/dir")
    assert js["files"] == [{"path": "file.txt", "is_dir": False, "file_size": len(payload)}]
    js = _list(server, rel)
    assert js["files"] == [{"path": "dir", "is_dir": True}]

    r = requests.delete(f"{base}/dir/file.txt", timeout=30)
    assert r.status_code == 200, r.text
    assert not os.path.exists(os.path.join(disk, "dir", "file.txt"))
    assert requests.get(f"{base}/dir/file.txt", timeout=30).status_code == 404
    assert _list(server, f"{rel}/dir").get("files", []) == []


def test_overwrite_nested_empty_and_binary(server, art):
    base, rel, disk = art
    assert _put(f"{base}/a/b/c/deep.bin", b"v1").status_code == 200
    assert _put(f"{base}/a/b/c/deep.bin", b"version-2").status_code == 200
    assert requests.get(f"{base}/a/b/c/deep.bin", timeout=30).content == b"version-2"
    assert _put(f"{base}/empty.txt", b"", "text/plain").status_code == 200
    r = requests.get(f"{base}/empty.txt", timeout=30)
    assert r.status_code == 200 and r.content == b""
    allbytes = bytes(range(256)) * 64
    assert _put(f"{base}/all.bin", allbytes).status_code == 200
    assert requests.get(f"{base}/all.bin", timeout=30).content == allbytes
    files = {f["path"]: f for f in _list(server, rel)["files"]}
    assert files["empty.txt"] == {"path": "empty.txt", "is_dir": False, "file_size": 0}
    assert files["all.bin"]["file_size"] == len(allbytes)
    assert files["a"]["is_dir"] is True
    assert [f["path"] for f in _list(server, f"{rel}/a/b")["files"]] == ["c"]


def test_json_artifact_gets_json_mime_type(art):
    base, _, _ = art
    assert _put(f"{base}/input_example.json", b'{"a": 1}', "application/json").status_code == 200
    r = requests.get(f"{base}/input_example.json", timeout=30)
    assert r.status_code == 200 and r.content == b'{"a": 1}'
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers


def test_special_characters_in_names(server, art):
    base, rel, disk = art
    name = "my file ü+&=.txt"
    assert _put(f"{base}/sp/{urllib.parse.quote(name)}", b"x").status_code == 200
    assert os.path.exists(os.path.join(disk, "sp", name))
    assert [f["path"] for f in _list(server, f"{rel}/sp")["files"]] == [name]
    assert requests.get(f"{base}/sp/{urllib.parse.quote(name)}", timeout=30).content == b"x"


def test_missing_dir_lists_empty(server):
    js = _list(server, f"0/{uuid.uuid4().hex}/artifacts/nothing")
    assert js.get("files", []) == []


def test_delete_directory(server, art):
    base, rel, disk = art
    for n in ("d/x.txt", "d/sub/y.txt", "keep.txt"):
        assert _put(f"{base}/{n}", b"1").status_code == 200
    assert requests.delete(f"{base}/d", timeout=30).status_code == 200
    assert not os.path.exists(os.path.join(disk, "d"))
    assert [f["path"] for f in _list(server, rel)["files"]] == ["keep.txt"]


def test_download_missing_file_is_404(art):
    base, _, _ = art
    r = requests.get(f"{base}/no/such/file.txt", timeout=30)
    assert r.status_code == 404, (r.status_code, r.text[:300])


def test_put_does_not_need_json_content_type(art):
    base, _, _ = art
    for ctype in ("image/png", "text/csv", "application/x-yaml"):
        assert _put(f"{base}/f.{ctype.split('/')[1]}", b"data", ctype).status_code == 200


def test_mpu_on_local_destination_is_501(server, art):
    _, rel, _ = art
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
    _, rel, _ = art
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
    # nothing written anywhere near the server's directories
    basetemp = os.path.dirname(os.path.dirname(server.workdir))
    for dirpath, dirs, files in os.walk(basetemp):
        assert not any(marker in n for n in files + dirs), f"traversal wrote {dirpath}/{marker}"
    for p in (f"/tmp/{marker}", f"/{marker}", os.path.join(os.path.dirname(server.artifacts), marker)):
        assert not os.path.exists(p), p


def test_double_slash_stays_inside_destination(server):
    """`artifacts//tmp/x` is either refused or read as the relative path tmp/x (Flask merges the
    slashes); it must never reach the real /tmp."""
    marker = f"pwned-{uuid.uuid4().hex[:10]}"
    st, _, body = raw_request(server.url, "PUT", f"{ARTIFACTS}//tmp/{marker}", body=b"x",
                              headers={"Content-Type": "application/octet-stream"})
    assert st in (200, 400), (st, body[:300])
    assert not os.path.exists(f"/tmp/{marker}")
    if st == 200:
        assert os.path.exists(os.path.join(server.artifacts, "tmp", marker))
        assert requests.delete(f"{server.url}{ARTIFACTS}/tmp/{marker}", timeout=30).status_code == 200


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


def test_nothing_outside_destination(server):
    """After all the traffic above, the server's work dir holds only the db, logs and artifacts."""
    for entry in os.listdir(server.workdir):
        assert entry == "artifacts" or entry.startswith(("mlhub.db", "server-")), entry


# --- big streamed round trip --------------------------------------------------------------------


class FileLike:
    """A read()-able body with a length: requests sends it with Content-Length, as the MLflow
    client does with real files."""

    def __init__(self, stream):
        self.stream, self.i, self.cur, self.pos = stream, 0, b"", 0

    def __len__(self):
        return self.stream.n_chunks * MIB

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


def test_artifact_service_on_ajax_prefix(server, art):
    """The artifact service is mounted under /ajax-api/2.0 too (the web UI uses it)."""
    base, rel, disk = art
    ajax = f"{server.url}/ajax-api/2.0/mlflow-artifacts/artifacts"
    assert _put(f"{ajax}/{rel}/ui/f.txt", b"from-ui", "text/plain").status_code == 200
    assert requests.get(f"{base}/ui/f.txt", timeout=30).content == b"from-ui"
    r = requests.get(ajax, params={"path": f"{rel}/ui"}, timeout=30)
    assert r.status_code == 200
    assert _json(r)["files"] == [{"path": "f.txt", "is_dir": False, "file_size": 7}]
    assert requests.get(f"{ajax}/{rel}/ui/f.txt", timeout=30).content == b"from-ui"
