# SPDX-License-Identifier: Apache-2.0
"""`mlhub serve --model NAME=models:/<name>@champion` follows the registry: when the alias moves,
the new version loads in the background and traffic flips to it once it is ready, with no failed
request under steady load; a version that cannot load leaves the old one serving and says why
(repository index, mlhub_model_load_failures_total). Runs against a real `mlhub server` (SQLite,
artifacts through its proxy). And 100 reload cycles leave the resident memory within 10 % of
its level after the first."""
from __future__ import annotations

import os
import threading
import uuid
import time

import numpy as np
import pytest
import requests
import xgboost

from mlhub_testlib import Client, ServerProcess, unique
from serving_testlib import (
    ServeProcess, register_model_version, request_rows, training_data, v2_input, write_mlflow_model,
)

POLL_S = "0.2"


def trained(tmp, name, trees, seed):
    x, y = training_data(seed=seed)
    model = xgboost.XGBRegressor(n_estimators=trees, max_depth=3, random_state=seed)
    model.fit(x, y)
    return model, write_mlflow_model(os.path.join(tmp, name), model, "model.xgb", "xgb", None)


@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("tracking"))
    srv.start()
    yield srv
    srv.terminate()


def served_version(proc, model="m"):
    r = requests.get(f"{proc.url}/v2/models/{model}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["versions"]


def predict(proc, rows, model="m"):
    r = requests.post(f"{proc.url}/v2/models/{model}/infer", json={"inputs": [v2_input(rows)]},
                      timeout=30)
    return r.status_code, r.json()


def counter(proc, series):
    """The value of one series (name plus labels, as exposed) in GET /metrics."""
    for line in requests.get(f"{proc.url}/metrics", timeout=10).text.splitlines():
        if line.startswith(series + " "):
            return int(float(line.split()[-1]))
    raise AssertionError(f"{series} not in /metrics")


def wait_for_checks(proc, rounds):
    """Waits until the registry has been checked `rounds` more times (each round looks at every
    followed model, so anything a check would do has been done)."""
    start = counter(proc, "mlhub_registry_checks_total")
    wait_until(lambda: counter(proc, "mlhub_registry_checks_total") >= start + rounds,
               f"{rounds} rounds of registry checks")


def wait_until(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_alias_move_swaps_versions_without_failing_requests(tracking, tmp_path):
    name = unique("swap model")
    first, first_dir = trained(str(tmp_path), "first", trees=10, seed=1)
    second, second_dir = trained(str(tmp_path), "second", trees=30, seed=2)
    v1 = register_model_version(tracking.url, name, first_dir)
    v2 = register_model_version(tracking.url, name, second_dir)
    client = Client(tracking.url)
    client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": v1})

    cache = tmp_path / "cache"
    cache.mkdir()
    proc = ServeProcess(tmp_path / "serve", {"m": f"models:/{name}@champion"}, grpc=False,
                        extra_args=["--tracking-uri", tracking.url,
                                    "--registry-poll-interval", POLL_S,
                                    "--model-cache-dir", str(cache)])
    proc.start()
    try:
        rows = request_rows(4, seed=5)
        want = {v1: first.predict(rows), v2: second.predict(rows)}
        assert not np.allclose(want[v1], want[v2])
        assert served_version(proc) == [v1]

        # Steady load from 4 threads while the alias moves: every answer must be a 200 equal to
        # one of the two versions' predictions, and the version it names must match the values.
        stop = threading.Event()
        answers, problems = [], []

        def load():
            while not stop.is_set():
                status, body = predict(proc, rows)
                if status != 200:
                    problems.append((status, body))
                    continue
                got = np.asarray(body["outputs"][0]["data"], dtype=np.float32)
                version = body["model_version"]
                if version not in want or not np.allclose(got, want[version], rtol=1e-6):
                    problems.append(("wrong answer", version, got.tolist()))
                answers.append(version)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        wait_until(lambda: len(answers) > 50, "answers from the first version")
        client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": v2})
        wait_until(lambda: served_version(proc) == [v2], "the alias move to be served")
        seen = len(answers)
        wait_until(lambda: len(answers) > seen + 50, "answers from the second version")
        stop.set()
        for t in threads:
            t.join()
        assert problems == [], problems[:5]
        assert answers[0] == v1 and answers[-1] == v2, (answers[0], answers[-1])
        # Traffic flipped once: after the first answer of the second version, only requests
        # already in flight on the other three threads may still come back from the first.
        flip = answers.index(v2)
        assert answers[flip:].count(v1) <= 3, answers[flip:flip + 20]
        index = {m["name"]: m for m in requests.post(f"{proc.url}/v2/repository/index",
                                                     json={}, timeout=10).json()}
        assert index["m"]["state"] == "READY" and index["m"]["version"] == v2, index
        # Downloads go once their version is loaded: swaps do not pile up copies.
        assert list(cache.iterdir()) == [], list(cache.iterdir())
    finally:
        assert proc.terminate() == 0


def test_a_version_that_cannot_load_leaves_the_old_one_serving(tracking, tmp_path):
    name = unique("broken next")
    good, good_dir = trained(str(tmp_path), "good", trees=10, seed=3)
    v1 = register_model_version(tracking.url, name, good_dir)
    broken_dir = os.path.join(str(tmp_path), "broken")
    os.makedirs(broken_dir)
    with open(os.path.join(broken_dir, "MLmodel"), "w") as f:
        f.write("flavors:\n  xgboost:\n    data: model.xgb\n")  # and no model.xgb
    v2 = register_model_version(tracking.url, name, broken_dir)
    client = Client(tracking.url)
    client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": v1})

    proc = ServeProcess(tmp_path / "serve", {"m": f"models:/{name}@champion"}, grpc=False,
                        extra_args=["--tracking-uri", tracking.url,
                                    "--registry-poll-interval", POLL_S])
    proc.start()
    try:
        client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": v2})

        wait_until(lambda: counter(proc, 'mlhub_model_load_failures_total{model="m"}') == 1,
                   "the failed load to be counted")
        index = {m["name"]: m for m in requests.post(f"{proc.url}/v2/repository/index",
                                                     json={}, timeout=10).json()}
        assert index["m"]["state"] == "READY" and index["m"]["version"] == v1, index
        assert "model.xgb" in index["m"]["reason"], index["m"]
        rows = request_rows(3, seed=9)
        status, body = predict(proc, rows)
        assert status == 200 and body["model_version"] == v1, body
        np.testing.assert_allclose(body["outputs"][0]["data"], good.predict(rows), rtol=1e-6)
        loads = counter(proc, 'mlhub_model_loads_total{model="m"}')
        assert loads == 1, loads
        # The broken version is not retried on every check: after three more rounds of registry
        # checks the failure count is still 1.
        wait_for_checks(proc, 3)
        assert counter(proc, 'mlhub_model_load_failures_total{model="m"}') == 1
        # Moving the alias back to the served version needs no load at all.
        client.ok_post("registered-models/alias", {"name": name, "alias": "champion", "version": v1})
        wait_for_checks(proc, 3)
        assert served_version(proc) == [v1]
        assert counter(proc, 'mlhub_model_loads_total{model="m"}') == loads
        assert counter(proc, 'mlhub_model_load_failures_total{model="m"}') == 1
    finally:
        assert proc.terminate() == 0


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_100_reload_cycles_keep_memory_flat(tmp_path):
    model, model_dir = trained(str(tmp_path), "local", trees=30, seed=4)
    proc = ServeProcess(tmp_path / "serve", {"m": model_dir}, grpc=False)
    proc.start()
    try:
        rows = request_rows(2, seed=6)

        def cycle():
            r = requests.post(f"{proc.url}/v2/repository/models/m/load", timeout=30)
            assert r.status_code == 200, r.text
            status, body = predict(proc, rows)
            assert status == 200, body
            np.testing.assert_allclose(body["outputs"][0]["data"], model.predict(rows), rtol=1e-6)

        cycle()
        after_first = rss_kb(proc.proc.pid)
        for _ in range(99):
            cycle()
        after_all = rss_kb(proc.proc.pid)
        assert after_all <= after_first * 1.10, (after_first, after_all)
    finally:
        assert proc.terminate() == 0


def test_serve_alias_serves_every_model_that_has_the_alias(tracking, tmp_path):
    """`--serve-alias A` (what `mlhub server --serve-models` runs): every registered model with
    alias A is served under its own name; one that gains the alias is added, one that loses it is
    removed; models given with --model are left alone."""
    alias = f"live{uuid.uuid4().hex[:10]}"  # no other test's models have it
    first, first_dir = trained(str(tmp_path), "first", trees=10, seed=5)
    second, second_dir = trained(str(tmp_path), "second", trees=12, seed=6)
    fixed, fixed_dir = trained(str(tmp_path), "fixed", trees=8, seed=7)
    a, b = unique("aliased"), unique("aliased")
    va = register_model_version(tracking.url, a, first_dir)
    vb = register_model_version(tracking.url, b, second_dir)
    client = Client(tracking.url)
    client.ok_post("registered-models/alias", {"name": a, "alias": alias, "version": va})

    proc = ServeProcess(tmp_path / "serve", {"fixed": fixed_dir}, grpc=False,
                        extra_args=["--tracking-uri", tracking.url, "--serve-alias", alias,
                                    "--registry-poll-interval", POLL_S])
    proc.start()

    def index():
        answer = requests.post(f"{proc.url}/v2/repository/index", json={}, timeout=10).json()
        return {m["name"]: m for m in answer}

    def ready(name):
        return lambda: index().get(name, {}).get("state") == "READY"

    try:
        rows = request_rows(3, seed=10)
        wait_until(ready(a), f"{a} to be served")
        status, body = predict(proc, rows, model=a)
        assert status == 200 and body["model_version"] == va, body
        np.testing.assert_allclose(body["outputs"][0]["data"], first.predict(rows), rtol=1e-6)
        assert b not in index()

        client.ok_post("registered-models/alias", {"name": b, "alias": alias, "version": vb})
        wait_until(ready(b), f"{b} to be served once it has the alias")
        status, body = predict(proc, rows, model=b)
        assert status == 200, body
        np.testing.assert_allclose(body["outputs"][0]["data"], second.predict(rows), rtol=1e-6)

        r = requests.delete(f"{tracking.url}/api/2.0/mlflow/registered-models/alias",
                            json={"name": a, "alias": alias}, timeout=10)
        assert r.status_code == 200, r.text
        wait_until(lambda: a not in index(), f"{a} to be removed once it lost the alias")
        assert requests.get(f"{proc.url}/v2/models/{a}", timeout=10).status_code == 404
        assert index()["fixed"]["state"] == "READY" and index()[b]["state"] == "READY"
        status, body = predict(proc, rows, model="fixed")
        np.testing.assert_allclose(body["outputs"][0]["data"], fixed.predict(rows), rtol=1e-6)
    finally:
        assert proc.terminate() == 0
