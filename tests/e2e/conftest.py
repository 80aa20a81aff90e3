# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the mlhub end-to-end suite.

The binary comes from $MLHUB_BIN (default /work/main/build/src/mlhub). One server is shared by
the whole session; tests that kill or restart a server start their own via `make_server`.
"""
from __future__ import annotations

import signal

import pytest

from mlhub_testlib import (  # noqa: F401  (re-exported for convenience)
    AJAX, API, PREFIXES, Client, ServerProcess, unique,
)

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


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("mlhub-shared"))
    srv.start()
    yield srv
    alive = srv.proc.poll() is None
    rc = srv.terminate(timeout=10)
    assert alive, f"shared server died during the session (rc={srv.proc.returncode}); output:\n{srv.log()}"
    assert rc == 0, f"shared server exited with {rc} after SIGTERM; output:\n{srv.log()}"


@pytest.fixture
def make_server(tmp_path):
    """Factory for private servers (crash / restart / shutdown tests); all are stopped at the end."""
    started = []

    def make(**kw):
        srv = ServerProcess(tmp_path / f"srv{len(started)}", **kw)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.kill()


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
