# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the mlhub end-to-end suite.

The binary comes from $MLHUB_BIN (default /work/main/build/src/mlhub). Every test that uses the
shared `server` (or `make_server`) runs twice: once on a sqlite file and once on a PostgreSQL
database (ids `sqlite` / `postgres`). One server per backend is shared by the whole session; tests
that kill or restart a server start their own via `make_server`, each on a fresh store.

PostgreSQL: under ctest one cluster serves the whole run (the fixture tests pg_cluster_start /
pg_cluster_stop; $MLHUB_PG_STATE names its state directory); a pytest run by hand starts a private
cluster for its session. Every PostgreSQL server gets a database of its own on that cluster.

S3: `s3_server` is a Ceph RGW, shared the same way (ctest fixture tests rgw_start / rgw_stop,
$MLHUB_RGW_STATE), else private to the pytest session.
"""
from __future__ import annotations

import os
import signal
import tempfile
import uuid

import pytest

from mlhub_testlib import (  # noqa: F401  (re-exported for convenience)
    AJAX, API, PREFIXES, Client, ServerProcess, unique,
)
from mlhub_testlib import private_postgres, stop_shared_server
from pg_cluster import ClusterError, PostgresCluster
from rgw_cluster import RgwCluster, RgwError

BACKENDS = ("sqlite", "postgres")

DEFAULT_TEST_TIMEOUT_S = 150


@pytest.fixture(autouse=True)
def _per_test_timeout(request):
    """A hung request must fail the test, not the whole run (no pytest-timeout available)."""
    marker = request.node.get_closest_marker("timeout_s")
    limit = int(marker.args[0]) if marker else DEFAULT_TEST_TIMEOUT_S

    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded {limit}s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# -- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster():
    """The PostgreSQL cluster of this session: the one ctest started for the whole run when
    $MLHUB_PG_STATE names its state directory, else a private one started here (and removed at
    the end). Never skipped: no PostgreSQL is a failure."""
    state_dir = os.environ.get("MLHUB_PG_STATE")
    if state_dir:
        try:
            cluster = PostgresCluster.from_state_dir(state_dir)
            cluster.psql("SELECT 1")
        except (ClusterError, OSError) as e:
            pytest.fail(f"the shared PostgreSQL cluster of $MLHUB_PG_STATE={state_dir} is not usable"
                        f" (did the ctest fixture pg_cluster_start run?): {e}")
        yield cluster
        return
    yield from private_postgres("for this session")


@pytest.fixture
def pg_database(pg_cluster):
    """Factory: pg_database(prefix) creates a fresh empty database on the session's cluster and
    returns its URI; every database made is dropped at the end of the test."""
    made = []

    def make(prefix="t"):
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        uri = pg_cluster.create_database(name)
        made.append(name)
        return uri

    yield make
    for name in made:
        pg_cluster.drop_database(name)


# -- S3 (Ceph RGW) --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """The S3 server (a single-node Ceph RGW, see rgw_cluster.py) of this session: the one ctest
    started for the whole run when $MLHUB_RGW_STATE names its state directory, else a private one
    started here (and removed at the end). Yields the RgwCluster: .endpoint, .access_key,
    .secret_key, .region, .create_bucket(name), .s3_client(). Never skipped: no RGW is a failure."""
    state_dir = os.environ.get("MLHUB_RGW_STATE")
    if state_dir:
        try:
            rgw = RgwCluster.from_state_dir(state_dir)
            rgw.s3_client().list_buckets()  # a signed request: it serves, and the user exists
        except Exception as e:  # RgwError, OSError, botocore's errors
            pytest.fail(f"the shared Ceph RGW of $MLHUB_RGW_STATE={state_dir} is not usable"
                        f" (did the ctest fixture rgw_start run?): {e}")
        yield rgw
        return
    rgw = RgwCluster(tempfile.mkdtemp(prefix="mlhub-rgw-", dir="/tmp"))
    try:
        rgw.start()
    except (RgwError, OSError, ImportError) as e:
        rgw.stop()
        pytest.fail(f"cannot start a Ceph RGW for this session: {e}")
    yield rgw
    rgw.stop()


# -- servers -------------------------------------------------------------------------------------


@pytest.fixture(scope="session", params=BACKENDS, ids=BACKENDS)
def backend(request):
    """The metadata store the tests run on: every test using `server` or `make_server` runs once
    per backend."""
    return request.param


@pytest.fixture(scope="session")
def server(backend, tmp_path_factory, request):
    db_name = None
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        db_name = f"shared_{uuid.uuid4().hex[:12]}"
        srv = ServerProcess(tmp_path_factory.mktemp(f"mlhub-shared-{backend}"),
                            backend_uri=cluster.create_database(db_name))
    else:
        srv = ServerProcess(tmp_path_factory.mktemp(f"mlhub-shared-{backend}"))
    srv.start()
    yield srv
    stop_shared_server(srv, "shared",
                       cleanup=(lambda: cluster.drop_database(db_name)) if db_name else None)


@pytest.fixture
def server_factory(tmp_path):
    """Factory for private servers on stores the test names itself (backend_uri=..., db_path=...,
    or nothing for a fresh sqlite file); all are killed at the end."""
    started = []

    def make(**kw):
        srv = ServerProcess(tmp_path / f"srv{len(started)}", **kw)
        started.append(srv)
        return srv

    def kill_all():
        for srv in started:
            srv.kill()

    make.kill_all = kill_all
    yield make
    kill_all()


@pytest.fixture
def make_server(backend, server_factory, request):
    """Factory for private servers (crash / restart / shutdown tests) of the current backend, each
    on a fresh store unless the test passes backend_uri= (or db_path=) to share one; a server
    restarted with .start() keeps its store. All are killed at the end."""
    new_database = request.getfixturevalue("pg_database") if backend == "postgres" else None

    def make(**kw):
        if new_database is not None and "backend_uri" not in kw and "db_path" not in kw:
            kw["backend_uri"] = new_database("srv")
        return server_factory(**kw)

    yield make
    server_factory.kill_all()  # before pg_database drops the databases


@pytest.fixture
def client(server):
    return Client(server.url, API)


@pytest.fixture
def ajax_client(server):
    return Client(server.url, AJAX)


@pytest.fixture(params=PREFIXES, ids=["api", "ajax-api"])
def any_client(request, server):
    """Smoke tests run over both mounts of the service."""
    return Client(server.url, request.param)


@pytest.fixture
def exp(client):
    """A fresh experiment id for the test."""
    return client.create_experiment(unique("exp"))


@pytest.fixture
def run(client, exp):
    """A fresh RUNNING run (dict as returned by runs/create)."""
    return client.create_run(exp)
