# SPDX-License-Identifier: Apache-2.0
"""The artifact suites' server (test_artifacts.py, test_artifacts_transfer.py): one per (metadata
backend, artifact store), where the store is a local folder (`local`) or an S3 bucket on the test
Ceph RGW (`s3`, configured through MLflow's MLFLOW_S3_ENDPOINT_URL / AWS_* variables), and what
the store holds read behind the server's back (`server.backing`: the folder, or the bucket with
botocore). A module imports the fixtures `artifact_store`, `server` and `art` from here."""
import os
import time
import uuid

import pytest
import requests

from mlhub_testlib import ARTIFACTS, ServerProcess, s3_env, stop_shared_server, strict_json

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
