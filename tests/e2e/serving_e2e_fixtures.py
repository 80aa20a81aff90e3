# SPDX-License-Identifier: Apache-2.0
"""Fixtures and small helpers shared by the `mlhub serve` HTTP suites (test_serve_v2.py,
test_serve_batching.py, test_serve_scoring.py).

A test module pulls the fixtures in by importing them by name:

    from serving_e2e_fixtures import models, serve  # noqa: F401  (pytest fixtures)

`models` trains the three fixture models once per module (serving_testlib.Models); `serve` is a
factory that starts `mlhub serve` processes (HTTP only) and kills every one it started when the
module ends. Servers that are shared by a whole module are built with it in a module-scoped
fixture of that module; a test that changes a server's state (unload, SIGTERM) starts its own.
"""
from __future__ import annotations

import os
import re
import time

import pytest
import requests

from serving_testlib import Models, ServeProcess

MODEL_NAMES = ("regressor", "classifier", "multiclass")
HTTP_TIMEOUT = 30


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The three fixture models, trained for this module, with their Python predictions."""
    return Models(str(tmp_path_factory.mktemp("serve-models")))


@pytest.fixture(scope="module")
def serve(tmp_path_factory, models):
    """Factory: serve(names=MODEL_NAMES, extra_args=(), broken=False, wait=True) starts one
    `mlhub serve` with `--model NAME=DIR` for each name (in that order: the first is the default
    of /invocations and /predict) and, with broken=True, a last model `broken` whose directory does
    not exist. It returns the ServeProcess once every good model answers ready (wait=False: as
    soon as the process is live). `models=` replaces the name -> URI map entirely."""
    started = []
    root = tmp_path_factory.mktemp("serve-procs")

    def make(names=MODEL_NAMES, extra_args=(), broken=False, wait=True, model_map=None):
        if model_map is None:
            model_map = {name: models.dirs[name] for name in names}
            if broken:
                model_map["broken"] = os.path.join(str(root), "no-such-model-dir")
        srv = ServeProcess(os.path.join(str(root), f"s{len(started)}"), model_map,
                           extra_args=extra_args, grpc=False)
        started.append(srv)
        srv.spawn()
        srv.wait_live()
        if wait:
            wait_models_ready(srv, [n for n in model_map if n != "broken"])
        return srv

    yield make
    for srv in started:
        srv.kill()


def wait_models_ready(srv, names, timeout=30.0):
    """Waits until GET /v2/models/NAME/ready is 200 for every name (or fails the test)."""
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        if srv.proc.poll() is not None:
            pytest.fail(f"mlhub serve exited with {srv.proc.returncode}; output:\n{srv.log()}")
        r = requests.get(f"{srv.url}/v2/models/{pending[0]}/ready", timeout=HTTP_TIMEOUT)
        if r.status_code == 200:
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            pytest.fail(f"model {pending[0]} not ready within {timeout}s: HTTP {r.status_code}"
                        f" {r.text[:200]}; output:\n{srv.log()}")
        time.sleep(0.05)
    return srv


def wait_until(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout}s")
        time.sleep(0.05)


def error_of(r, status=400):
    """Asserts `r` is an HTTP `status` with a V2 error body {"error": non-empty str}; returns it."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    return body["error"]


def repository(srv, action, model=None, body=None):
    """POST /v2/repository/index (action="index") or /v2/repository/models/MODEL/ACTION."""
    path = "/v2/repository/index" if action == "index" else f"/v2/repository/models/{model}/{action}"
    if body is None:
        return requests.post(srv.url + path, timeout=HTTP_TIMEOUT)
    return requests.post(srv.url + path, json=body, timeout=HTTP_TIMEOUT)


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(srv):
    """GET /metrics parsed: {(metric name, frozenset of (label, value))): float}."""
    r = requests.get(srv.url + "/metrics", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:300]
    samples = {}
    for line in r.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable metrics line: {line!r}"
        labels = frozenset(_LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def model_metric(samples, name, model, version="1"):
    """The value of serving metric `name` for {model=, version=}; KeyError when absent."""
    return samples[(name, frozenset({("model", model), ("version", version)}))]


SERVING_COUNTERS = (
    "mlhub_inference_request_success",
    "mlhub_inference_request_failure",
    "mlhub_inference_count",
    "mlhub_inference_exec_count",
    "mlhub_inference_request_duration_us",
    "mlhub_inference_queue_duration_us",
    "mlhub_inference_compute_infer_duration_us",
)


def model_counters(srv, model, version="1"):
    samples = scrape(srv)
    return {name: model_metric(samples, name, model, version) for name in SERVING_COUNTERS}
