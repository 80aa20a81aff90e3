# SPDX-License-Identifier: Apache-2.0
"""Hardening: a 100-way concurrent mixed workload must finish with consistent counts.

100 threads, released together, each on its own connection, each doing a mix of: create an
experiment, create a run (in a shared experiment or its own), log-metric, log-batch, log-param,
set-tag (several times: the last write wins), search, get-history, an artifact upload and
download, a point on one shared run, a new version of one shared registered model and an alias
to it. Then the final state must be exactly what was written: every run once, every metric
history exactly its points, params and last tags, versions 1..N without gaps or duplicates, each
alias on its thread's version, artifacts byte-identical. Both backends.

No 5xx is acceptable, with one exception: a 503 TEMPORARILY_UNAVAILABLE ("try again", what MLflow
clients retry) is retried here, and the retried request must then succeed; the number of retries
is reported but not limited.
"""
from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mlhub_testlib import API, ARTIFACTS, now_ms, params_dict, run_tags, strict_json, unique

THREADS = 100
POINTS = 10       # log-metric calls per thread
BATCH_POINTS = 20  # metric points in the thread's log-batch
TAG_WRITES = 3
ARTIFACT_BYTES = 48 * 1024


class RetryingClient:
    """A connection of its own; retries 503 (and only 503) with a short backoff."""

    def __init__(self, base_url, stats):
        self.base = base_url
        self.s = requests.Session()
        self.stats = stats

    def _send(self, method, url, **kw):
        for attempt in range(30):
            r = self.s.request(method, url, timeout=60, **kw)
            if r.status_code != 503:
                assert r.status_code < 500, f"{method} {url} → {r.status_code}: {r.text[:500]}"
                return r
            with self.stats["lock"]:
                self.stats["retries_503"] += 1
            time.sleep(min(0.05 * (attempt + 1), 0.5) * random.random() + 0.01)
        raise AssertionError(f"{method} {url}: still 503 after 30 tries: {r.text[:300]}")

    def post(self, route, body):
        r = self._send("POST", f"{self.base}{API}/{route}", json=body)
        assert r.status_code == 200, f"POST {route} {str(body)[:300]} → {r.status_code} {r.text[:500]}"
        return strict_json(r.text)

    def get(self, route, params):
        r = self._send("GET", f"{self.base}{API}/{route}", params=params)
        assert r.status_code == 200, f"GET {route} {params} → {r.status_code} {r.text[:500]}"
        return strict_json(r.text)

    def put_artifact(self, path, data):
        r = self._send("PUT", f"{self.base}{ARTIFACTS}/{path}", data=data,
                       headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200, (path, r.status_code, r.text[:300])

    def get_artifact(self, path):
        r = self._send("GET", f"{self.base}{ARTIFACTS}/{path}")
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r.content


def payload(i):
    return random.Random(1000 + i).randbytes(ARTIFACT_BYTES)


@pytest.mark.timeout_s(240)
def test_hundred_way_mixed_workload(server, client):
    tag = uuid.uuid4().hex[:8]
    shared_exp = client.create_experiment(unique(f"conc-shared-{tag}"))
    shared_run = client.create_run(shared_exp, run_name="shared")["info"]["run_id"]
    model = f"conc-model-{tag}"
    client.ok_post("registered-models/create", {"name": model})
    source_run = client.create_run(shared_exp, run_name="model-source")["info"]["run_id"]
    stats = {"lock": threading.Lock(), "retries_503": 0}
    barrier = threading.Barrier(THREADS)

    def work(i):
        c = RetryingClient(server.url, stats)
        barrier.wait(60)
        own_exp = None
        if i % 2 == 0:
            own_exp = c.post("experiments/create", {"name": f"conc-own-{tag}-{i}",
                                                    "tags": [{"key": "owner", "value": str(i)}]})["experiment_id"]
        exp = own_exp if own_exp is not None else shared_exp
        run = c.post("runs/create", {"experiment_id": exp, "start_time": now_ms(), "run_name": f"r{i}",
                                     "tags": [{"key": "thread", "value": str(i)}]})["run"]
        rid = run["info"]["run_id"]
        for step in range(POINTS):
            c.post("runs/log-metric", {"run_id": rid, "key": "loss", "value": i * 1000.0 + step,
                                       "timestamp": 1000 + step, "step": step})
            if step == POINTS // 2:
                # a read in the middle of the writes: whatever it sees is a prefix of the truth
                hist = c.get("metrics/get-history", {"run_id": rid, "metric_key": "loss"}).get("metrics", [])
                assert sorted(m["step"] for m in hist) == list(range(len(hist))), hist
        c.post("runs/log-batch", {
            "run_id": rid,
            "metrics": [{"key": "loss", "value": i * 1000.0 + s, "timestamp": 1000 + s, "step": s}
                        for s in range(POINTS, POINTS + BATCH_POINTS)]
                       + [{"key": "acc", "value": i / 100.0, "timestamp": 5, "step": 0}],
            "params": [{"key": "thread", "value": str(i)}, {"key": "lr", "value": f"0.{i}"}],
            "tags": [{"key": "batch", "value": f"b{i}"}]})
        c.post("runs/log-parameter", {"run_id": rid, "key": "single", "value": f"s{i}"})
        for w in range(TAG_WRITES):
            c.post("runs/set-tag", {"run_id": rid, "key": "last", "value": f"t{i}-{w}"})
        # the shared run: one point per thread, plus a param of its own
        c.post("runs/log-metric", {"run_id": shared_run, "key": "shared", "value": float(i),
                                   "timestamp": 2000 + i, "step": i})
        c.post("runs/log-parameter", {"run_id": shared_run, "key": f"p{i}", "value": str(i)})
        c.post("runs/set-tag", {"run_id": shared_run, "key": f"t{i}", "value": str(i)})
        # searches while everything is being written
        found = c.post("runs/search", {"experiment_ids": [exp], "filter": f"params.thread = '{i}'"})
        assert [r["info"]["run_id"] for r in found.get("runs", [])] == [rid], found
        c.post("runs/search", {"experiment_ids": [shared_exp], "filter": "metrics.loss >= 0",
                               "order_by": ["metrics.loss DESC"], "max_results": 50})
        c.post("experiments/search", {"filter": f"name LIKE 'conc-own-{tag}-%'", "max_results": 200})
        # artifacts
        art = f"{exp}/{rid}/artifacts/data/blob-{i}.bin"
        c.put_artifact(art, payload(i))
        assert c.get_artifact(art) == payload(i)
        # registry: a version of the shared model, an alias to it
        mv = c.post("model-versions/create", {"name": model, "source": f"runs:/{source_run}/model",
                                              "run_id": source_run, "description": f"v-of-{i}"})["model_version"]
        version = mv["version"]
        c.post("registered-models/alias", {"name": model, "alias": f"a{i}", "version": version})
        got = c.get("model-versions/get", {"name": model, "version": version})["model_version"]
        assert got["description"] == f"v-of-{i}", got
        return {"i": i, "exp": exp, "own_exp": own_exp, "run": rid, "version": version, "artifact": art}

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        results = [f.result() for f in [pool.submit(work, i) for i in range(THREADS)]]
    elapsed = time.monotonic() - started
    print(f"100-way workload: {elapsed:.1f}s, {stats['retries_503']} retried 503s")

    # -- every run exists, once, where it was created
    own_exps = {r["own_exp"] for r in results if r["own_exp"] is not None}
    assert len(own_exps) == THREADS // 2
    all_runs = client.search_all_runs([shared_exp, *own_exps], 1000)
    ids = [r["info"]["run_id"] for r in all_runs]
    assert len(ids) == len(set(ids)), "a run is listed twice"
    expected_ids = {r["run"] for r in results} | {shared_run, source_run}
    assert set(ids) == expected_ids, f"{len(set(ids) - expected_ids)} unexpected, {len(expected_ids - set(ids))} missing"
    exps = client.ok_post("experiments/search", {"filter": f"name LIKE 'conc-own-{tag}-%'", "max_results": 1000})
    assert sorted(e["experiment_id"] for e in exps["experiments"]) == sorted(own_exps)
    by_id = {r["info"]["run_id"]: r for r in all_runs}

    # -- each run's data is exactly what its thread wrote
    for res in results:
        i, rid = res["i"], res["run"]
        run = client.get_run(rid)
        assert run["info"]["experiment_id"] == res["exp"]
        assert by_id[rid]["info"]["experiment_id"] == res["exp"]
        hist = client.history(rid, "loss")
        got = sorted((m["step"], m["value"], m["timestamp"]) for m in hist)
        want = [(s, i * 1000.0 + s, 1000 + s) for s in range(POINTS + BATCH_POINTS)]
        assert got == want, f"run of thread {i}: {len(got)} loss points, expected {len(want)}"
        assert [m["value"] for m in client.history(rid, "acc")] == [i / 100.0]
        assert params_dict(run) == {"thread": str(i), "lr": f"0.{i}", "single": f"s{i}"}
        tags = {k: v for k, v in run_tags(run).items() if not k.startswith("mlflow.")}
        assert tags == {"thread": str(i), "batch": f"b{i}", "last": f"t{i}-{TAG_WRITES - 1}"}, tags
        latest = {m["key"]: m for m in run["data"]["metrics"]}
        assert latest["loss"]["step"] == POINTS + BATCH_POINTS - 1
        assert latest["loss"]["value"] == i * 1000.0 + POINTS + BATCH_POINTS - 1

    # -- the shared run got exactly one point, param and tag per thread
    hist = client.history(shared_run, "shared")
    assert sorted((m["step"], m["value"]) for m in hist) == [(i, float(i)) for i in range(THREADS)]
    shared = client.get_run(shared_run)
    assert params_dict(shared) == {f"p{i}": str(i) for i in range(THREADS)}
    stags = {k: v for k, v in run_tags(shared).items() if not k.startswith("mlflow.")}
    assert stags == {f"t{i}": str(i) for i in range(THREADS)}

    # -- registry: versions 1..N, no gaps, no duplicates, each alias on its thread's version
    versions = sorted(int(r["version"]) for r in results)
    assert versions == list(range(1, THREADS + 1)), f"version numbers handed out: {versions}"
    listed = []
    token = None
    while True:
        params = {"filter": f"name = '{model}'", "max_results": 200}
        if token:
            params["page_token"] = token
        js = client.ok_get("model-versions/search", params)
        listed += [int(v["version"]) for v in js.get("model_versions", [])]
        token = js.get("next_page_token")
        if not token:
            break
    assert sorted(listed) == list(range(1, THREADS + 1)), "model-versions/search disagrees"
    rm = client.ok_get("registered-models/get", {"name": model})["registered_model"]
    aliases = {a["alias"]: a["version"] for a in rm.get("aliases", [])}
    assert aliases == {f"a{r['i']}": r["version"] for r in results}
    for res in results[:: 10]:
        mv = client.ok_get("registered-models/alias", {"name": model, "alias": f"a{res['i']}"})["model_version"]
        assert mv["version"] == res["version"] and mv["description"] == f"v-of-{res['i']}"
    latest = client.ok_post("registered-models/get-latest-versions", {"name": model})["model_versions"]
    assert [v["version"] for v in latest] == [str(THREADS)]

    # -- artifacts: byte-identical, and each run's listing holds exactly its file
    s = requests.Session()
    for res in results:
        r = s.get(f"{server.url}{ARTIFACTS}/{res['artifact']}", timeout=60)
        assert r.status_code == 200
        assert hashlib.sha256(r.content).digest() == hashlib.sha256(payload(res["i"])).digest(), res["artifact"]
        listing = client.ok_get("artifacts/list", {"run_id": res["run"], "path": "data"})
        assert [(f["path"], f.get("file_size")) for f in listing.get("files", [])] == \
            [(f"data/blob-{res['i']}.bin", ARTIFACT_BYTES)], listing

    # -- and the server is still fine
    assert server.proc.poll() is None, server.log()
    assert s.get(f"{server.url}/health", timeout=10).status_code == 200
