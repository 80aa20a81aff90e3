# SPDX-License-Identifier: Apache-2.0
"""Dynamic batching in `mlhub serve`: many concurrent requests, each with its own rows, must each
get exactly their own answer whatever the batcher merges; /metrics tells how many rows and model
executions there were. Nothing here asserts anything about time: the queue delay only makes
batching likely, the assertions hold for any interleaving except `exec_count < requests` with a
queue delay, which needs the requests to overlap (a barrier releases them together).
"""
from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests

from serving_e2e_fixtures import (  # noqa: F401  (models and serve are pytest fixtures)
    error_of, model_counters, models, serve,
)
from serving_testlib import assert_close, infer, request_rows, v2_input

REQUESTS = 96
WIDTH = {"regressor": None, "multiclass": 3}


def make_requests(count=REQUESTS, seed=100, names=("regressor", "multiclass")):
    """`count` distinct requests: (model, rows) with 1..4 random rows each, models alternating."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        rows = int(rng.integers(1, 5))
        out.append((names[i % len(names)], request_rows(rows, seed=seed * 1000 + i)))
    return out


def check_answer(models, name, x, r):
    assert r.status_code == 200, r.text[:300]
    (out,) = r.json()["outputs"]
    rows = x.shape[0]
    expected_shape = [rows] if WIDTH[name] is None else [rows, WIDTH[name]]
    assert out["shape"] == expected_shape, out
    assert_close(np.asarray(out["data"]).reshape(expected_shape), models.expected(name, x))


def fire_together(srv, reqs, threads=REQUESTS):
    """Sends every request from its own thread, all released at once; returns the responses."""
    barrier = threading.Barrier(min(threads, len(reqs)))

    def send(item):
        name, x = item
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        return infer(srv.url, name, {"inputs": [v2_input(x)]})

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(send, reqs))


def run_and_check(srv, models, reqs):
    responses = fire_together(srv, reqs)
    for (name, x), r in zip(reqs, responses):
        check_answer(models, name, x, r)
    return {name: model_counters(srv, name) for name in {name for name, _ in reqs}}


def totals(reqs, name):
    mine = [x for n, x in reqs if n == name]
    return len(mine), sum(x.shape[0] for x in mine)


@pytest.mark.timeout_s(120)
def test_concurrent_requests_max_batch_8(serve, models):
    srv = serve(names=("regressor", "multiclass"), extra_args=["--max-batch-size", "8"])
    reqs = make_requests(seed=1)
    counters = run_and_check(srv, models, reqs)
    for name, c in counters.items():
        count, rows = totals(reqs, name)
        assert c["mlhub_inference_request_success"] == count
        assert c["mlhub_inference_request_failure"] == 0
        assert c["mlhub_inference_count"] == rows
        # No execution holds more than 8 rows, and none is empty.
        assert math.ceil(rows / 8) <= c["mlhub_inference_exec_count"] <= count, c


@pytest.mark.timeout_s(120)
def test_concurrent_requests_with_queue_delay_are_batched(serve, models):
    srv = serve(names=("regressor", "multiclass"), extra_args=["--max-queue-delay-us", "2000"])
    reqs = make_requests(seed=2)
    counters = run_and_check(srv, models, reqs)
    for name, c in counters.items():
        count, rows = totals(reqs, name)
        assert c["mlhub_inference_request_success"] == count
        assert c["mlhub_inference_count"] == rows
        assert 1 <= c["mlhub_inference_exec_count"] < count, c  # batching happened
        assert c["mlhub_inference_queue_duration_us"] >= 0


@pytest.mark.timeout_s(120)
def test_max_batch_size_1_runs_every_request_alone(serve, models):
    srv = serve(names=("regressor", "multiclass"),
                extra_args=["--max-batch-size", "1", "--max-queue-delay-us", "2000"])
    reqs = make_requests(count=48, seed=3)
    counters = run_and_check(srv, models, reqs)
    for name, c in counters.items():
        count, rows = totals(reqs, name)
        assert c["mlhub_inference_count"] == rows
        assert c["mlhub_inference_exec_count"] == count, c


@pytest.mark.timeout_s(120)
def test_request_larger_than_max_batch_size(serve, models):
    srv = serve(names=("regressor", "multiclass"),
                extra_args=["--max-batch-size", "8", "--max-queue-delay-us", "2000"])
    big = [("regressor", request_rows(20, seed=4)), ("multiclass", request_rows(33, seed=5))]
    for name, x in big:
        check_answer(models, name, x, infer(srv.url, name, {"inputs": [v2_input(x)]}))
    # Also while small requests queue around it.
    reqs = make_requests(count=40, seed=6) + big
    counters = run_and_check(srv, models, reqs)
    for name, c in counters.items():
        count, rows = totals(reqs, name)
        assert c["mlhub_inference_count"] == rows + dict(big)[name].shape[0]


@pytest.mark.timeout_s(120)
def test_two_instances(serve, models):
    srv = serve(names=("regressor", "multiclass"),
                extra_args=["--instances", "2", "--max-batch-size", "4"])
    reqs = make_requests(seed=7)
    counters = run_and_check(srv, models, reqs)
    for name, c in counters.items():
        count, rows = totals(reqs, name)
        assert c["mlhub_inference_request_success"] == count
        assert c["mlhub_inference_count"] == rows


@pytest.mark.timeout_s(120)
def test_queue_full_is_503(serve, models):
    """With room for one waiting request, a burst gets some 503s; every 200 is still right."""
    srv = serve(names=("regressor",),
                extra_args=["--max-queue-size", "1", "--max-batch-size", "1"])
    reqs = make_requests(count=64, seed=8, names=("regressor",))
    responses = fire_together(srv, reqs, threads=64)
    for (name, x), r in zip(reqs, responses):
        if r.status_code == 200:
            check_answer(models, name, x, r)
        else:
            error_of(r, 503)
    ok = sum(r.status_code == 200 for r in responses)
    c = model_counters(srv, "regressor")
    assert c["mlhub_inference_request_success"] == ok
    assert c["mlhub_inference_request_failure"] == len(reqs) - ok


@pytest.mark.timeout_s(120)
def test_sigterm_with_requests_in_flight(serve, models):
    srv = serve(names=("regressor", "multiclass"), extra_args=["--max-queue-delay-us", "2000"])
    reqs = make_requests(count=2000, seed=9)
    answered = []  # (index, response)
    stop = threading.Event()
    started = threading.Semaphore(0)
    lock = threading.Lock()

    def client(worker):
        session = requests.Session()
        for i in range(worker, len(reqs), 16):
            if stop.is_set():
                return
            name, x = reqs[i]
            try:
                r = session.post(f"{srv.url}/v2/models/{name}/infer",
                                 json={"inputs": [v2_input(x)]}, timeout=30)
            except requests.RequestException:
                return  # the server went away: fine, as long as no answer was wrong
            with lock:
                answered.append((i, r))
            started.release()
            if r.status_code != 200:
                return

    threads = [threading.Thread(target=client, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for _ in range(64):  # some requests have been answered: the clients are busy
        assert started.acquire(timeout=30)
    code = srv.terminate()
    stop.set()
    for t in threads:
        t.join(60)
    assert code == 0, srv.log()
    assert len(answered) >= 64
    for i, r in answered:
        name, x = reqs[i]
        if r.status_code == 200:
            check_answer(models, name, x, r)
        else:
            error_of(r, 503)  # refused while draining
