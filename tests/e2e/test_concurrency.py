# SPDX-License-Identifier: Apache-2.0
"""Concurrent writers against one server: nothing lost, nothing duplicated, no spurious errors."""
import threading
from concurrent.futures import ThreadPoolExecutor

from mlhub_testlib import API, Client, params_dict, run_tags, unique

THREADS = 8


def _parallel(server, fn):
    """Runs fn(thread_index, client) on THREADS threads, each with its own connection; re-raises."""
    barrier = threading.Barrier(THREADS)

    def body(t):
        c = Client(server.url, API)
        barrier.wait(10)
        return fn(t, c)

    with ThreadPoolExecutor(THREADS) as pool:
        return [f.result() for f in [pool.submit(body, t) for t in range(THREADS)]]


def test_parallel_log_metric_one_run(server, client, run):
    rid = run["info"]["run_id"]
    n = 60

    def work(t, c):
        for i in range(n):
            step = t * n + i
            c.log_metric(rid, "shared", float(step), step=step, timestamp=1000 + step)

    _parallel(server, work)
    hist = client.history(rid, "shared")
    steps = sorted(m["step"] for m in hist)
    assert len(hist) == THREADS * n, f"{len(hist)} points instead of {THREADS * n}"
    assert steps == list(range(THREADS * n)), "lost or duplicated points"
    assert all(m["value"] == float(m["step"]) and m["timestamp"] == 1000 + m["step"] for m in hist)
    latest = {m["key"]: m for m in client.get_run(rid)["data"]["metrics"]}["shared"]
    assert latest["step"] == THREADS * n - 1


def test_parallel_log_batch_one_run(server, client, run):
    rid = run["info"]["run_id"]
    batches = 10

    def work(t, c):
        for b in range(batches):
            base = (t * batches + b) * 50
            c.ok_post("runs/log-batch", {"run_id": rid, "metrics": [
                {"key": "bm", "value": float(base + j), "timestamp": 1, "step": base + j} for j in range(50)],
                "params": [{"key": f"t{t}b{b}", "value": str(base)}]})

    _parallel(server, work)
    steps = sorted(m["step"] for m in client.history(rid, "bm"))
    assert steps == list(range(THREADS * batches * 50))
    assert len(params_dict(client.get_run(rid))) == THREADS * batches


def test_parallel_params_and_tags(server, client, run):
    rid = run["info"]["run_id"]
    per = 15

    def work(t, c):
        for i in range(per):
            c.ok_post("runs/log-parameter", {"run_id": rid, "key": f"p{t}_{i}", "value": f"{t}:{i}"})
            c.ok_post("runs/set-tag", {"run_id": rid, "key": f"tag{t}_{i}", "value": f"{t}:{i}"})
            # the same param with the same value from every thread: always a no-op, never an error
            c.ok_post("runs/log-parameter", {"run_id": rid, "key": "common", "value": "same"})
            c.ok_post("runs/set-tag", {"run_id": rid, "key": "contended", "value": f"{t}"})

    _parallel(server, work)
    got = client.get_run(rid)
    params = params_dict(got)
    expected = {f"p{t}_{i}": f"{t}:{i}" for t in range(THREADS) for i in range(per)}
    expected["common"] = "same"
    assert params == expected
    tags = run_tags(got)
    for t in range(THREADS):
        for i in range(per):
            assert tags[f"tag{t}_{i}"] == f"{t}:{i}"
    assert tags["contended"] in {str(t) for t in range(THREADS)}
    assert len(got["data"]["params"]) == len(expected), "duplicate param entries"
    assert len(got["data"]["tags"]) == len({t["key"] for t in got["data"]["tags"]}), "duplicate tag entries"


def test_parallel_conflicting_param_exactly_one_wins(server, client, run):
    rid = run["info"]["run_id"]

    def work(t, c):
        return c.post("runs/log-parameter", {"run_id": rid, "key": "race", "value": f"v{t}"})

    results = _parallel(server, work)
    oks = [t for t, (st, _) in enumerate(results) if st == 200]
    assert len(oks) == 1, results
    assert all(st == 400 and js["error_code"] == "INVALID_PARAMETER_VALUE" for st, js in results if st != 200)
    assert params_dict(client.get_run(rid)) == {"race": f"v{oks[0]}"}


def test_parallel_create_runs(server, client, exp):
    def work(t, c):
        return [c.create_run(exp)["info"]["run_id"] for _ in range(10)]

    ids = [rid for chunk in _parallel(server, work) for rid in chunk]
    assert len(set(ids)) == THREADS * 10
    found = [r["info"]["run_id"] for r in client.search_all_runs([exp], 25)]
    assert sorted(found) == sorted(ids)


def test_parallel_create_same_experiment_name(server, client):
    name = unique("race")

    def work(t, c):
        return c.post("experiments/create", {"name": name})

    results = _parallel(server, work)
    oks = [js for st, js in results if st == 200]
    assert len(oks) == 1, results
    assert all(st == 400 and js["error_code"] == "RESOURCE_ALREADY_EXISTS" for st, js in results if st != 200), results
    exp = client.ok_get("experiments/get-by-name", {"experiment_name": name})["experiment"]
    assert exp["experiment_id"] == oks[0]["experiment_id"]


def test_parallel_readers_and_writers(server, client, run):
    rid = run["info"]["run_id"]

    def work(t, c):
        for i in range(20):
            if t % 2:
                c.log_metric(rid, f"rw{t}", float(i), step=i, timestamp=i)
            else:
                c.get_run(rid)
                c.search_runs([run["info"]["experiment_id"]])
                c.ok_get("metrics/get-history", {"run_id": rid, "metric_key": f"rw{t + 1}"})

    _parallel(server, work)
    for t in range(1, THREADS, 2):
        assert len(client.history(rid, f"rw{t}")) == 20
