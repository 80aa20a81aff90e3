# SPDX-License-Identifier: Apache-2.0
"""Proxied artifacts (/api/2.0/mlflow-artifacts/artifacts): upload, download, list, delete,
names, big directories and path safety, once per (metadata backend, artifact store): see
artifact_testlib.py. Range, part-size edges, interrupted uploads and the 1 GB round trip are in
test_artifacts_transfer.py; S3-only behaviour (1 GB on S3, credentials, missing buckets,
`mlhub storage init`, direct mode) in test_s3.py.
"""
import os
import threading
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mlhub_testlib import ARTIFACTS, raw_request, strict_json
from artifact_testlib import (  # noqa: F401  (fixtures among them)
    _json,
    artifact_store,
    server,
    art,
    _put,
    _list,
    S3_PREFIX,
)


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


def test_json_artifact_gets_json_mime_type(art):
    base, _ = art
    assert _put(f"{base}/input_example.json", b'{"a": 1}', "application/json").status_code == 200
    r = requests.get(f"{base}/input_example.json", timeout=30)
    assert r.status_code == 200 and r.content == b'{"a": 1}'
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers


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
