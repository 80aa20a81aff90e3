# SPDX-License-Identifier: Apache-2.0
"""Hardening: a brute list of malformed requests per protocol. Each one must get a 4xx (never a
5xx, never a dropped connection) in the protocol's own error format, and the server must stay
healthy: alive, answering a normal request afterwards, with nothing created by the refused
requests.

Protocols: the MLflow REST API of `mlhub server` (both mounts, both backends) with its artifact
proxy (no path escapes the artifact root), and `mlhub serve`'s V2 REST (JSON and the binary
extension), MLflow scoring (/invocations), the seed API (/predict) and V2 gRPC.

Every request is written on a raw socket (hardening_testlib.raw_http): requests and http.client
refuse or normalise much of what is sent here. Each test runs its whole list and reports every
case that failed at once.
"""
from __future__ import annotations

import json
import os
import struct
import uuid

import grpc
import numpy as np
import pytest

from grpc_testlib import InferenceClient, compile_protos
from hardening_testlib import (
    DroppedConnection, any_4xx, assert_alive, mlflow_error, raw_http, tree_snapshot, v2_error,
)
from mlhub_testlib import AJAX, API, ARTIFACTS, unique
from serving_testlib import FEATURES, Models, ServeProcess, request_rows

JSON = {"Content-Type": "application/json"}
MIB = 1 << 20


class Failures:
    """Collects the failed cases of one list so a test reports all of them at once."""

    def __init__(self):
        self.items = []

    def check(self, label, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (AssertionError, DroppedConnection, ValueError, OSError) as e:
            self.items.append(f"{label}: {type(e).__name__}: {str(e)[:400]}")
            return None

    def assert_none(self):
        assert not self.items, f"{len(self.items)} malformed request(s) mishandled:\n" + "\n".join(self.items)


def _body(obj):
    if isinstance(obj, bytes):
        return obj
    return json.dumps(obj).encode()


# =================================================================================================
# MLflow REST (mlhub server)
# =================================================================================================


def _mlflow_cases(rid, eid):
    """(label, method, route (with query), body bytes/obj or None, headers, allowed statuses).
    Every case must be refused: a 4xx MLflow error; `allowed` narrows the status when set."""
    long_key = "k" * 251
    cases = []

    def post(label, route, body, headers=JSON, allowed=(400,)):
        cases.append((label, "POST", route, body, headers, allowed))

    def get(label, route, allowed=(400,)):
        cases.append((label, "GET", route, None, None, allowed))

    # -- the body itself
    post("truncated JSON", "experiments/create", b'{"name": ')
    post("JSON array body", "experiments/create", b"[1, 2]")
    post("JSON string body", "experiments/create", b'"just a string"')
    post("JSON number body", "runs/create", b"42")
    post("JSON null body", "runs/create", b"null")
    post("trailing garbage", "experiments/create", b'{"name": "x"} {"name": "y"}')
    post("single quotes", "experiments/create", b"{'name': 'x'}")
    post("bare NaN token", "runs/log-metric",
         b'{"run_id": "%s", "key": "m", "value": NaN, "timestamp": 1}' % rid.encode())
    post("bare Infinity token", "runs/log-metric",
         b'{"run_id": "%s", "key": "m", "value": Infinity, "timestamp": 1}' % rid.encode())
    post("number overflow 1e999", "runs/log-metric",
         b'{"run_id": "%s", "key": "m", "value": 1e999, "timestamp": 1}' % rid.encode())
    post("non-UTF-8 bytes in a string", "experiments/create", b'{"name": "a\xff\xfeb"}')
    post("non-UTF-8 body", "experiments/create", b"\xff\xfe\x00\x01")
    post("overlong UTF-8", "experiments/create", b'{"name": "\xc0\xae\xc0\xae"}')
    post("UTF-16 surrogate escape alone", "runs/set-tag",
         b'{"run_id": "%s", "key": "t", "value": "\\ud800"}' % rid.encode())
    post("raw NUL byte in JSON string", "experiments/create", b'{"name": "a\x00b"}')
    post("raw control char in JSON string", "experiments/create", b'{"name": "a\x01b"}')
    post("arrays nested 5000 deep", "experiments/create", b"[" * 5000 + b"]" * 5000)
    post("objects nested 5000 deep", "experiments/create", b'{"a":' * 5000 + b"1" + b"}" * 5000)
    post("nested 5000 deep in a field", "runs/search",
         b'{"experiment_ids": ["0"], "x": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    # -- Content-Type
    post("no Content-Type", "experiments/create", {"name": unique("noct")}, headers={})
    post("text/plain", "experiments/create", {"name": unique("ct")}, headers={"Content-Type": "text/plain"})
    post("form encoded", "experiments/create", b"name=x",
         headers={"Content-Type": "application/x-www-form-urlencoded"})
    post("multipart", "experiments/create", b"--b\r\n\r\n--b--",
         headers={"Content-Type": "multipart/form-data; boundary=b"})
    post("application/jsonx", "experiments/create", {"name": unique("jsonx")},
         headers={"Content-Type": "application/jsonx"})
    # -- wrong types for every field kind
    post("string for a string-typed number", "experiments/create", {"name": 5})
    post("object for name", "experiments/create", {"name": {"a": 1}})
    post("array for name", "experiments/create", {"name": ["x"]})
    post("null for name", "experiments/create", {"name": None})
    post("bool for name", "experiments/create", {"name": True})
    post("string for step", "runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1, "step": "two"})
    post("fraction for step", "runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1, "step": 1.5})
    post("2**63 for step", "runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1, "step": 2 ** 63})
    post("-2**63-1 for step", "runs/log-metric",
         {"run_id": rid, "key": "m", "value": 1, "timestamp": 1, "step": -2 ** 63 - 1})
    post("1e300 for timestamp", "runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1e300})
    post("array for step", "runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1, "step": [1]})
    post("text for value", "runs/log-metric", {"run_id": rid, "key": "m", "value": "abc", "timestamp": 1})
    post("object for value", "runs/log-metric", {"run_id": rid, "key": "m", "value": {"a": 1}, "timestamp": 1})
    post("bool for value", "runs/log-metric", {"run_id": rid, "key": "m", "value": [True], "timestamp": 1})
    post("array for run_id", "runs/log-metric", {"run_id": [rid], "key": "m", "value": 1, "timestamp": 1})
    post("number for key", "runs/log-parameter", {"run_id": rid, "key": 7, "value": "v"})
    post("number for param value", "runs/log-parameter", {"run_id": rid, "key": "p", "value": 7})
    post("object for metrics", "runs/log-batch", {"run_id": rid, "metrics": {"key": "m"}})
    post("numbers in metrics", "runs/log-batch", {"run_id": rid, "metrics": [1, 2]})
    post("string for tags", "runs/log-batch", {"run_id": rid, "tags": "x"})
    post("object for run tags", "runs/create", {"experiment_id": eid, "tags": {"k": "v"}})
    post("string for status", "runs/update", {"run_id": rid, "status": "EXPLODED"})
    post("number out of enum", "runs/update", {"run_id": rid, "status": 99})
    post("text for end_time", "runs/update", {"run_id": rid, "end_time": "yesterday"})
    post("string for experiment_ids elements", "runs/search", {"experiment_ids": [[1]]})
    post("number for filter", "runs/search", {"experiment_ids": ["0"], "filter": 5})
    post("number in order_by", "runs/search", {"experiment_ids": ["0"], "order_by": [1]})
    post("string max_results", "runs/search", {"experiment_ids": ["0"], "max_results": "ten"})
    post("negative max_results", "runs/search", {"experiment_ids": ["0"], "max_results": -1})
    post("zero max_results", "experiments/search", {"max_results": 0})
    post("huge max_results", "experiments/search", {"max_results": 10 ** 12})
    post("max_results 2**64", "experiments/search", {"max_results": 2 ** 64})
    post("bad view_type", "experiments/search", {"view_type": "EVERYTHING"})
    post("bad run_view_type", "runs/search", {"experiment_ids": ["0"], "run_view_type": "NOPE"})
    post("string for archive flag", "model-versions/transition-stage",
         {"name": "x", "version": "1", "stage": "Staging", "archive_existing_versions": "maybe"})
    # -- missing required fields
    post("runs/log-metric without fields", "runs/log-metric", {})
    post("log-metric without key", "runs/log-metric", {"run_id": rid, "value": 1, "timestamp": 1})
    post("log-metric without value", "runs/log-metric", {"run_id": rid, "key": "m", "timestamp": 1})
    post("log-metric without timestamp", "runs/log-metric", {"run_id": rid, "key": "m", "value": 1})
    post("log-parameter without value", "runs/log-parameter", {"run_id": rid, "key": "p"})
    post("set-tag null value", "runs/set-tag", {"run_id": rid, "key": "t", "value": None})
    post("batch metric without value", "runs/log-batch", {"run_id": rid, "metrics": [{"key": "m"}]})
    post("experiments/create {}", "experiments/create", {})
    post("experiments/update without new_name", "experiments/update", {"experiment_id": eid})
    post("registered-models/create {}", "registered-models/create", {})
    post("model-versions/create {}", "model-versions/create", {})
    post("alias without version", "registered-models/alias", {"name": "x", "alias": "a"})
    get("runs/get without run_id", "runs/get")
    get("experiments/get without id", "experiments/get")
    get("get-history without key", f"metrics/get-history?run_id={rid}")
    # -- unknown ids
    post("run of an unknown experiment", "runs/create", {"experiment_id": "987654321"}, allowed=(404,))
    post("log to an unknown run", "runs/log-metric",
         {"run_id": "0" * 32, "key": "m", "value": 1, "timestamp": 1}, allowed=(404,))
    get("unknown run", "runs/get?run_id=" + "f" * 32, allowed=(404,))
    get("unknown experiment", "experiments/get?experiment_id=987654321", allowed=(404,))
    get("experiment id beyond int64", "experiments/get?experiment_id=" + "9" * 30, allowed=(400, 404))
    get("negative experiment id", "experiments/get?experiment_id=-1", allowed=(400, 404))
    get("unknown registered model", "registered-models/get?name=" + unique("nomodel"), allowed=(404,))
    get("unknown model version", "model-versions/get?name=" + unique("nomodel") + "&version=1", allowed=(404,))
    get("non-numeric model version", "model-versions/get?name=x&version=abc", allowed=(400, 404))
    get("unknown alias", "registered-models/alias?name=" + unique("nomodel") + "&alias=champion", allowed=(400, 404))
    post("delete an unknown run", "runs/delete", {"run_id": "e" * 32}, allowed=(404,))
    post("a 10000-char run id", "runs/delete", {"run_id": "z" * 10000}, allowed=(400, 404))
    # -- over-long names, keys, values (MLflow's limits)
    post("param value 6001", "runs/log-parameter", {"run_id": rid, "key": "p6001", "value": "v" * 6001})
    post("param key 251", "runs/log-parameter", {"run_id": rid, "key": long_key, "value": "v"})
    post("tag value 8001", "runs/set-tag", {"run_id": rid, "key": "t8001", "value": "v" * 8001})
    post("tag key 251", "runs/set-tag", {"run_id": rid, "key": long_key, "value": "v"})
    post("metric key 251", "runs/log-metric", {"run_id": rid, "key": long_key, "value": 1, "timestamp": 1})
    post("experiment name 100000", "experiments/create", {"name": "x" * 100000})
    post("experiment tag key 300", "experiments/create",
         {"name": unique("tagkey"), "tags": [{"key": "k" * 300, "value": "v"}]})
    post("batch: 1001 metrics", "runs/log-batch",
         {"run_id": rid, "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": i} for i in range(1001)]})
    post("batch: 101 params", "runs/log-batch",
         {"run_id": rid, "params": [{"key": f"bp{i}", "value": "v"} for i in range(101)]})
    post("batch: conflicting duplicate params", "runs/log-batch",
         {"run_id": rid, "params": [{"key": "dup", "value": "1"}, {"key": "dup", "value": "2"}]})
    # -- empty strings and bad characters
    post("empty experiment name", "experiments/create", {"name": ""})
    post("empty param key", "runs/log-parameter", {"run_id": rid, "key": "", "value": "v"})
    post("empty metric key", "runs/log-metric", {"run_id": rid, "key": "", "value": 1, "timestamp": 1})
    post("NUL in param key", "runs/log-parameter", {"run_id": rid, "key": "a\u0000b", "value": "v"})
    post("'..' in param key", "runs/log-parameter", {"run_id": rid, "key": "../etc", "value": "v"})
    post("empty run id", "runs/log-metric", {"run_id": "", "key": "m", "value": 1, "timestamp": 1})
    post("empty model name", "registered-models/create", {"name": ""})
    post("rename to empty", "experiments/update", {"experiment_id": eid, "new_name": ""})
    # -- page tokens
    post("garbage page token", "runs/search", {"experiment_ids": ["0"], "page_token": "garbage"})
    post("percent page token", "experiments/search", {"page_token": "%%%%"})
    post("negative offset token", "experiments/search", {"page_token": "eyJvZmZzZXQiOiAtNX0="})
    post("string offset token", "experiments/search", {"page_token": "eyJvZmZzZXQiOiAiYSJ9"})
    post("huge offset token", "runs/search",
         {"experiment_ids": ["0"], "page_token": "eyJvZmZzZXQiOiA5OTk5OTk5OTk5OTk5OTk5OTk5OTl9"})
    post("non-JSON token", "registered-models/search", {"page_token": "bm90IGpzb24="})
    post("token of 100 KB", "model-versions/search", {"page_token": "QUFB" * 25000})
    get("bad token on GET", "registered-models/search?page_token=%2F%2F%2F")
    # -- filters
    for flt in ["metrics.x >", "params.a = 'unterminated", "attributes.nope = 1", "(" * 10000 + "metrics.x > 1" + ")" * 10000,
                "metrics.x > 1 AND", "AND", "metrics.x > 'abc'", "metrics.x > 1e999", "params.a > 1",
                "datasets.nope = 'x'", "\u0000", "tags.`a` IN ('x',", " AND ".join(["metrics.x > 1"] * 5000),
                "metrics. > 1", "metrics.`x > 1", "tags.t = \"dq", "attributes.status IN ()",
                "attributes.start_time > 'yesterday'", "metrics.x >> 1", "metrics.x = 1 OR OR metrics.y = 2",
                "((metrics.x > 1)", "metrics.x > 1)", "params.p LIKE", "run_id = 5", "metrics.x ~ 1"]:
        post(f"filter {flt[:40]!r}", "runs/search", {"experiment_ids": ["0"], "filter": flt})
    for flt in ["name LIKE", "tags.x = 'a' AND", "name = 'x", "nope = 'x'", "(" * 10000]:
        post(f"experiment filter {flt[:30]!r}", "experiments/search", {"filter": flt})
    for flt in ["name LIKE", "name = 'x", "tags.k =", "version_number > 'x'", "(" * 10000]:
        post(f"model filter {flt[:30]!r}", "registered-models/search", {"filter": flt})
        get(f"version filter {flt[:30]!r}", "model-versions/search?filter=" + _q(flt))
    # -- order_by
    for ob in ["junk junk junk", "metrics.x DESC ASC", "params.`", "", "metrics.", "start_time SIDEWAYS",
               "x" * 10000]:
        post(f"order_by {ob[:30]!r}", "runs/search", {"experiment_ids": ["0"], "order_by": [ob]})
    post("1000 order_by junk", "runs/search", {"experiment_ids": ["0"], "order_by": ["x"] * 1000})
    post("experiments order_by junk", "experiments/search", {"order_by": ["nope DESC"]})
    post("models order_by junk", "registered-models/search", {"order_by": ["nope"]})
    # -- query strings
    get("%zz in a query value", "experiments/get?experiment_id=%zz")
    get("truncated escape", "runs/get?run_id=a%2")
    get("%00 in a query value", "experiments/get?experiment_id=%00", allowed=(400, 404))
    get("0%00 id", "experiments/get?experiment_id=0%00", allowed=(400, 404))
    get("%ff%fe run id", "runs/get?run_id=%ff%fe", allowed=(400, 404))
    get("raw 0xff run id", "runs/get?run_id=\xff\xfe", allowed=(400, 404))
    get("empty pairs only", "runs/get?=&&&=&run_id")
    get("text max_results", "experiments/search?max_results=abc")
    return cases


def _q(text):
    from urllib.parse import quote
    return quote(text, safe="")


def _run_mlflow_cases(srv, prefix, rid, eid, failures):
    for label, method, route, body, headers, allowed in _mlflow_cases(rid, eid):
        where = f"{prefix} {method} {route[:60]} [{label}]"
        target = f"{prefix}/{route}"

        def one():
            r = raw_http(srv.url, method, target, _body(body) if body is not None else b"", headers)
            mlflow_error(r, where, allowed)
        failures.check(where, one)


def _counts(client):
    exps = client.ok_post("experiments/search", {"max_results": 50000, "view_type": "ALL"}).get("experiments", [])
    ids = [e["experiment_id"] for e in exps]
    runs = client.search_all_runs(ids, 50000, run_view_type="ALL") if ids else []
    models = client.ok_get("registered-models/search", {"max_results": 1000}).get("registered_models", [])
    return len(exps), len(runs), len(models)


@pytest.mark.timeout_s(120)
def test_mlflow_rest_malformed_requests(server, client):
    eid = client.create_experiment(unique("malformed"))
    rid = client.create_run(eid)["info"]["run_id"]
    client.ok_post("runs/log-parameter", {"run_id": rid, "key": "keep", "value": "v"})
    client.ok_post("runs/set-tag", {"run_id": rid, "key": "keep", "value": "t"})
    before = _counts(client)
    failures = Failures()
    for prefix in (API, AJAX):
        _run_mlflow_cases(server, prefix, rid, eid, failures)
    failures.assert_none()
    assert_alive(server, server.url)
    # nothing was created or changed by the refused requests
    assert _counts(client) == before
    run = client.get_run(rid)
    assert {p["key"]: p["value"] for p in run["data"].get("params", [])} == {"keep": "v"}
    assert "metrics" not in run["data"] or run["data"]["metrics"] == []
    tags = {t["key"]: t["value"] for t in run["data"].get("tags", []) if not t["key"].startswith("mlflow.")}
    assert tags == {"keep": "t"}
    # and a normal request still works
    client.log_metric(rid, "after", 1.0)
    assert [m["value"] for m in client.history(rid, "after")] == [1.0]


def test_http_framing_junk(server, client):
    """Malformed HTTP itself (lengths, encodings, header bytes): 400 (431 for oversized headers)
    as an MLflow error, never a dropped connection."""
    route = f"{API}/experiments/search"
    body = b'{"max_results": 1}'
    cases = [
        ("Content-Length abc", [("Content-Length", "abc")], body, (400,)),
        ("Content-Length -1", [("Content-Length", "-1")], body, (400,)),
        ("Content-Length 10**23", [("Content-Length", "9" * 23)], body, (400, 413)),
        ("two Content-Lengths", [("Content-Length", "2"), ("Content-Length", "5")], body, (400,)),
        ("chunked with a bad size", [("Transfer-Encoding", "chunked")], b"zz\r\nabc\r\n0\r\n\r\n", (400,)),
        ("chunked and Content-Length", [("Transfer-Encoding", "chunked"), ("Content-Length", "3")],
         b"2\r\n{}\r\n0\r\n\r\n", (400,)),
        # RFC 9112 6.3: a request whose Transfer-Encoding does not end in chunked has no
        # determinable length: 400 and close (else its body is read as the next request).
        ("Transfer-Encoding gzip", [("Transfer-Encoding", "gzip")], body, (400, 501)),
        ("Transfer-Encoding chunked, gzip", [("Transfer-Encoding", "chunked, gzip")], body, (400, 501)),
        ("NUL in a header value", [("X-A", "a\x00b")], body, (400,)),
        ("space in a header name", [("X A", "b")], body, (400,)),
        ("bare CR in a header value", [("X-A", "a\rb")], body, (400,)),
        ("100 KB header", [("X-A", "a" * 100000)], body, (400, 431)),
    ]
    failures = Failures()
    for label, extra, data, allowed in cases:
        headers = [("Content-Type", "application/json")] + extra

        def one():
            r = raw_http(server.url, "POST", route, data, headers, content_length=False)
            mlflow_error(r, label, allowed)
        failures.check(label, one)
    failures.assert_none()
    assert_alive(server, server.url)


def test_smuggled_request_after_transfer_encoding_is_not_served(server, client):
    """A keep-alive request with `Transfer-Encoding: gzip` and a second request as its body: the
    body must not be answered as a request of its own (request smuggling)."""
    import socket
    import time
    host, port = "127.0.0.1", server.port
    smuggled = f"GET {API}/experiments/get?experiment_id=0 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    head = (f"POST {API}/experiments/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: gzip\r\n\r\n").encode()
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(head + smuggled)
        s.settimeout(1.0)
        data, deadline = b"", time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            data += chunk
    answers = data.count(b"HTTP/1.1 ")
    assert answers <= 1, f"the body of a Transfer-Encoding: gzip request was served as a request: {data[:600]!r}"
    assert data.startswith(b"HTTP/1.1 4"), data[:300]
    assert_alive(server, server.url)


@pytest.mark.timeout_s(120)
def test_oversized_json_body_is_413(server, client):
    """A 100 MB body on a JSON route (limit --max-body-mb 64): 413 as an MLflow error, both when
    Content-Length announces it and when it comes chunked; the connection is answered, not reset."""
    before = _counts(client)
    big = b'{"name": "' + b"a" * (100 * MIB) + b'"}'
    chunks = [big[i:i + MIB] for i in range(0, len(big), MIB)]
    failures = Failures()
    for label, headers, kwargs in [
        ("Content-Length 100 MB", {"Content-Type": "application/json", "Content-Length": str(len(big))},
         {"body_chunks": chunks}),
        ("chunked 100 MB", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
         {"body_chunks": [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks] + [b"0\r\n\r\n"],
          "content_length": False}),
    ]:
        failures.check(label, lambda: mlflow_error(
            raw_http(server.url, "POST", f"{API}/experiments/create", b"", headers, timeout=60, **kwargs),
            label, (413,)))
    failures.assert_none()
    assert_alive(server, server.url)
    assert _counts(client) == before


def test_long_urls_and_header_floods(server):
    failures = Failures()
    for label, target, allowed in [
        ("100 KB query", f"{API}/experiments/get?experiment_id=" + "9" * 100000, (400, 414, 431)),
        ("1 MB path", f"{API}/" + "a" * MIB, (400, 414, 431)),
        ("100 KB artifact path", f"{ARTIFACTS}/" + "a/" * 50000, (400, 414, 431)),
    ]:
        failures.check(label, lambda: mlflow_error(raw_http(server.url, "GET", target), label, allowed))
    headers = [(f"X-H{i}", "v" * 30) for i in range(5000)]
    failures.check("5000 headers", lambda: any_4xx(
        raw_http(server.url, "GET", f"{API}/experiments/search", b"", headers), "5000 headers", (400, 431)))
    failures.assert_none()
    assert_alive(server, server.url)


def test_duplicate_query_keys_are_answered(server, client):
    """Duplicate keys are not an error in MLflow (Flask takes the first); they must never be a 5xx."""
    for q in ["experiment_id=0&experiment_id=1", "experiment_id=0&experiment_id=%zz"]:
        r = raw_http(server.url, "GET", f"{API}/experiments/get?{q}")
        assert r.status == 200 or 400 <= r.status < 500, r.describe()
        if r.status != 200:
            mlflow_error(r, q)
    r = raw_http(server.url, "GET", f"{API}/experiments/search?max_results=1&max_results=2")
    assert r.status in (200, 400), r.describe()
    assert_alive(server, server.url)


def test_unknown_routes_and_wrong_methods_are_mlflow_errors(server):
    """A method a route does not take, an unknown route, or junk in the path under the API mounts:
    a 404/405 in MLflow's error format (JSON {error_code, message}), not a bare text page."""
    failures = Failures()
    cases = [
        ("GET", f"{API}/experiments/create"), ("DELETE", f"{API}/experiments/get?experiment_id=0"),
        ("PUT", f"{API}/runs/search"), ("PATCH", f"{AJAX}/runs/log-metric"),
        ("POST", f"{API}/runs/get"), ("GET", f"{API}/no-such-route"),
        ("GET", f"{API}/experiments/get%zz?experiment_id=0"), ("GET", f"{API}/experiments/get%00"),
        ("GET", f"{API}/experiments%2Fget?experiment_id=0"), ("FOO", f"{API}/experiments/search"),
        ("POST", f"{ARTIFACTS}/0/x"),
    ]
    for method, target in cases:
        label = f"{method} {target}"
        failures.check(label, lambda: mlflow_error(
            raw_http(server.url, method, target, b"{}" if method in ("POST", "PUT", "PATCH") else b"",
                     JSON if method in ("POST", "PUT", "PATCH") else None),
            label, (404, 405)))
    failures.assert_none()
    assert_alive(server, server.url)


# -- the artifact proxy ---------------------------------------------------------------------------

ARTIFACT_ESCAPES = [
    "{d}/../../{m}", "../{m}", "{d}/%2e%2e/%2e%2e/{m}", "%2e%2e/{m}", "%2E%2E%2F{m}", "..%2F{m}",
    "{d}/..%2f..%2f..%2f{m}", "{d}/%252e%252e/%252e%252e/{m}", "{d}/%c0%ae%c0%ae/{m}",
    "%2Ftmp%2F{m}", "%2F{m}", "//tmp/{m}", "/{m}", "{d}/..\\..\\{m}", "..\\{m}", "\\tmp\\{m}",
    "%5C..%5C{m}", "{d}/%5c%2e%2e%5c{m}", "C:/{m}", "C:\\{m}", "{d}/a%00b/{m}", "{d}/{m}%00.txt",
    "{d}/{m}\x00.txt", "{d}/..", "{d}/%2e%2e", "..", "%2e%2e", ".", "%2e", "./", "{d}//{m}",
    "{d}/%0a{m}", "{d}/%ff{m}", "{d}/\xff{m}", "{d}/%zz{m}", "{d}/%{m}",
]


def test_artifact_paths_stay_in_their_root(server, client):
    eid = client.create_experiment(unique("arttrav"))
    rid = client.create_run(eid)["info"]["run_id"]
    rel = f"{eid}/{rid}/artifacts"
    ok = raw_http(server.url, "PUT", f"{ARTIFACTS}/{rel}/keep.txt", b"keep",
                  {"Content-Type": "application/octet-stream"})
    assert ok.status == 200, ok.describe()
    root = server.artifacts
    parent = os.path.dirname(root)
    # A file just outside the root that a traversal might read, list or delete.
    outside = os.path.join(parent, f"outside-{uuid.uuid4().hex[:8]}.txt")
    with open(outside, "w") as f:
        f.write("secret-outside")
    skip = ("mlhub.db", "server-")
    before = tree_snapshot(parent, skip)
    failures = Failures()
    markers = []
    for template in ARTIFACT_ESCAPES:
        marker = f"pwned-{uuid.uuid4().hex[:10]}"
        markers.append(marker)
        path = template.format(d=rel, m=marker)
        for mount in (ARTIFACTS, "/ajax-api/2.0/mlflow-artifacts/artifacts"):
            for method in ("PUT", "GET", "DELETE"):
                label = f"{method} {mount}/{path!r}"

                def one():
                    r = raw_http(server.url, method, f"{mount}/{path}",
                                 b"pwned" if method == "PUT" else b"",
                                 {"Content-Type": "application/octet-stream"} if method == "PUT" else None)
                    mlflow_error(r, label, (400, 404))
                    assert b"secret-outside" not in r.body and b"root:" not in r.body, label
                failures.check(label, one)
    # Listings: traversal refused; a path that does not exist is an empty listing or a 404.
    for bad in ["../..", "/etc", "0/../../x", "a%00b", "%2e%2e", "..%2F..", "a\\..\\..", "C:%5Cx", "%zz",
                "%252e%252e", f"{rel}/../../..", "//etc"]:
        label = f"list {bad!r}"
        failures.check(label, lambda: mlflow_error(
            raw_http(server.url, "GET", f"{ARTIFACTS}?path={bad}"), label, (400, 404)))
    for missing in [f"{rel}/no/such/dir", "no-such-top-level", f"{rel}/keep.txt/below"]:
        r = raw_http(server.url, "GET", f"{ARTIFACTS}?path={missing}")
        failures.check(f"list missing {missing}", lambda: (
            None if r.status == 200 and r.json().get("files", []) == [] else mlflow_error(r, missing, (404,))))
    failures.check("get missing file", lambda: mlflow_error(
        raw_http(server.url, "GET", f"{ARTIFACTS}/{rel}/no-such-file"), "missing file", (404,)))
    # The tracking API's artifacts/list of a run whose root URI tries to leave the proxy root.
    for loc in ["mlflow-artifacts:/../..", "mlflow-artifacts:/a/../../..", "mlflow-artifacts:/%2e%2e/%2e%2e",
                "mlflow-artifacts://host/../../..", f"file://{parent}", parent]:
        st, js = client.post("experiments/create", {"name": unique("badloc"), "artifact_location": loc})
        if st != 200:
            continue
        bad_run = client.create_run(js["experiment_id"])["info"]["run_id"]
        for q in ["", "&path=..", "&path=%2e%2e%2F%2e%2e"]:
            r = raw_http(server.url, "GET", f"{API}/artifacts/list?run_id={bad_run}{q}")
            failures.check(f"artifacts/list {loc} {q}", lambda: (
                mlflow_error(r, loc) if r.status != 200 else
                _assert_no_outside_listing(r, os.path.basename(outside))))
    failures.assert_none()
    # Nothing written, changed or removed outside the root (nor inside it by a refused request).
    after = tree_snapshot(parent, skip)
    for marker in markers:
        leaked = [p for p in after if marker in p]
        assert not leaked, f"an escaping path wrote {leaked}"
        for where in (f"/tmp/{marker}", f"/{marker}", os.path.join(parent, marker)):
            assert not os.path.exists(where), where
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert not changed, f"files changed by refused requests: {sorted(changed)[:20]}"
    with open(outside) as f:
        assert f.read() == "secret-outside"
    got = raw_http(server.url, "GET", f"{ARTIFACTS}/{rel}/keep.txt")
    assert (got.status, got.body) == (200, b"keep"), got.describe()
    os.unlink(outside)
    assert_alive(server, server.url)


def _assert_no_outside_listing(r, outside_name):
    body = r.json()
    names = [f.get("path", "") for f in body.get("files", [])]
    assert not any(outside_name in n or "mlhub.db" in n for n in names), body


# =================================================================================================
# mlhub serve: V2 REST, /invocations, /predict, gRPC
# =================================================================================================


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return Models(str(tmp_path_factory.mktemp("hard-models")))


@pytest.fixture(scope="module")
def protos(tmp_path_factory):
    return compile_protos(tmp_path_factory.mktemp("hard-protos"))


@pytest.fixture(scope="module")
def serve(tmp_path_factory, models):
    """The regressor (tensor signature, the default model) and the classifier (column signature)."""
    proc = ServeProcess(tmp_path_factory.mktemp("hard-serve"),
                        {"regressor": models.dirs["regressor"], "classifier": models.dirs["classifier"]}).start()
    yield proc
    alive = proc.proc.poll() is None
    rc = proc.terminate()
    assert alive, f"mlhub serve died during the module:\n{proc.log()}"
    assert rc == 0, proc.log()


X2 = request_rows(2).reshape(-1).tolist()
GOOD = {"name": "input-0", "shape": [2, FEATURES], "datatype": "FP32", "data": X2}


def _inp(**kw):
    d = dict(GOOD)
    d.update(kw)
    return d


def _binary(spec_inputs, blob, header_length=None, extra=None):
    head = json.dumps({"inputs": spec_inputs}).encode()
    headers = {"Content-Type": "application/octet-stream",
               "Inference-Header-Content-Length": str(len(head) if header_length is None else header_length)}
    headers.update(extra or {})
    return head + blob, headers


def _v2_cases():
    x = request_rows(2, seed=3).astype(np.float32)
    raw = x.tobytes()
    spec = {"name": "input-0", "shape": [2, FEATURES], "datatype": "FP32", "parameters": {"binary_data_size": len(raw)}}
    cases = []  # (label, model path, body bytes, headers, allowed statuses)
    path = "/v2/models/regressor/infer"

    def j(label, obj, allowed=(400,), target=path):
        cases.append((label, target, _body(obj), JSON, allowed))

    j("truncated JSON", b'{"inputs": [')
    j("empty body", b"")
    j("JSON array", b"[1, 2]")
    j("not JSON", b"not json")
    j("non-UTF-8", b'{"inputs": [{"name": "\xff"}]}')
    j("nested 5000 deep", b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    j("bare NaN", b'{"inputs": [{"name": "input-0", "shape": [1, 13], "datatype": "FP32", "data": '
               b'[NaN,1,1,1,1,1,1,1,1,1,1,1,1]}]}')
    j("no inputs", {})
    j("inputs not a list", {"inputs": {"input-0": X2}})
    j("empty inputs", {"inputs": []})
    j("two inputs", {"inputs": [GOOD, _inp(name="input-1")]})
    for dt in ["FP33", "fp32", "", "FLOAT", "STRING", "INT128"]:
        j(f"datatype {dt!r}", {"inputs": [_inp(datatype=dt)]})
    j("datatype a number", {"inputs": [_inp(datatype=5)]})
    j("FP16 in JSON", {"inputs": [_inp(datatype="FP16")]})
    j("BYTES for an FP32 model", {"inputs": [_inp(datatype="BYTES", data=["a"] * 26)]})
    j("shape/data mismatch (more shape)", {"inputs": [_inp(shape=[3, FEATURES])]})
    j("shape/data mismatch (less shape)", {"inputs": [_inp(shape=[1, FEATURES])]})
    j("shape [1, 2**62]", {"inputs": [_inp(shape=[1, 2 ** 62])]})
    j("shape [2**62, 2**62]", {"inputs": [_inp(shape=[2 ** 62, 2 ** 62])]})
    j("shape [2**32, 2**32, 13]", {"inputs": [_inp(shape=[2 ** 32, 2 ** 32, FEATURES])]})
    j("shape with 2**64", {"inputs": [_inp(shape=[1, 2 ** 64])]})
    j("negative shape", {"inputs": [_inp(shape=[-2, -FEATURES])]})
    j("-1 batch", {"inputs": [_inp(shape=[-1, FEATURES])]})
    j("fractional shape", {"inputs": [_inp(shape=[2, 13.5])]})
    j("string shape", {"inputs": [_inp(shape="2,13")]})
    j("string in shape", {"inputs": [_inp(shape=[2, "13"])]})
    j("rank 0 shape", {"inputs": [_inp(shape=[])]})
    j("rank 10000 shape", {"inputs": [_inp(shape=[1] * 10000)]})
    j("data a string", {"inputs": [_inp(data="abc")]})
    j("ragged nested data", {"inputs": [_inp(data=[[0.5] * 13, [0.5] * 12])]})
    j("strings for FP32", {"inputs": [_inp(data=["0.5"] * 26)]})
    j("nulls for FP32", {"inputs": [_inp(data=[None] * 26)]})
    j("objects in data", {"inputs": [_inp(data=[{"a": 1}] * 26)]})
    j("1000 for INT8", {"inputs": [_inp(datatype="INT8", data=[1000] * 26)]})
    j("-1 for UINT64", {"inputs": [_inp(datatype="UINT64", data=[-1] * 26)]})
    j("2**64 for INT64", {"inputs": [_inp(datatype="INT64", data=[2 ** 64] * 26)]})
    j("fraction for INT32", {"inputs": [_inp(datatype="INT32", data=[1.5] * 26)]})
    j("data and binary_data_size", {"inputs": [_inp(parameters={"binary_data_size": 104})]})
    j("unknown requested output", {"inputs": [GOOD], "outputs": [{"name": "nope"}]})
    j("output requested twice", {"inputs": [GOOD], "outputs": [{"name": "output-0"}, {"name": "output-0"}]})
    j("output without a name", {"inputs": [GOOD], "outputs": [{}]})
    j("outputs not a list", {"inputs": [GOOD], "outputs": "output-0"})
    j("number for an output", {"inputs": [GOOD], "outputs": [5]})
    j("parameters a string", {"inputs": [GOOD], "parameters": "x"})
    j("id a number", {"inputs": [GOOD], "id": 5})
    # unknown models and versions
    j("unknown model", {"inputs": [GOOD]}, (404,), "/v2/models/nope/infer")
    j("unknown version", {"inputs": [GOOD]}, (404,), "/v2/models/regressor/versions/99/infer")
    j("version junk", {"inputs": [GOOD]}, (400, 404), "/v2/models/regressor/versions/%zz/infer")
    j("NUL model name", {"inputs": [GOOD]}, (400, 404), "/v2/models/%00/infer")
    j("empty model name", {"inputs": [GOOD]}, (400, 404), "/v2/models//infer")
    j("10000-char model name", {"inputs": [GOOD]}, (400, 404), "/v2/models/" + "a" * 10000 + "/infer")
    # the binary extension
    b, h = _binary([spec], raw, header_length=len(json.dumps({"inputs": [spec]})) + len(raw) + 1)
    cases.append(("header length past the body", path, b, h, (400,)))
    for bad in ["-1", "abc", "", "0x10", " 12", "1e3", str(10 ** 30), "-0"]:
        b, h = _binary([spec], raw, header_length=bad)
        cases.append((f"Inference-Header-Content-Length {bad!r}", path, b, h, (400,)))
    b, h = _binary([spec], raw, header_length=len(json.dumps({"inputs": [spec]})) - 1)
    cases.append(("header length one short", path, b, h, (400,)))
    for size in [len(raw) - 1, len(raw) + 8, 0, -1, 2 ** 63, "104", None, 1.5, [104]]:
        s = dict(spec, parameters={"binary_data_size": size})
        b, h = _binary([s], raw)
        cases.append((f"binary_data_size {size!r}", path, b, h, (400,)))
    b, h = _binary([spec], raw + b"\0\0\0\0")
    cases.append(("bytes left over", path, b, h, (400,)))
    b, h = _binary([dict(spec, shape=[1, FEATURES])], raw)
    cases.append(("binary shape too small", path, b, h, (400,)))
    b, h = _binary([dict(spec, shape=[2 ** 40, FEATURES])], raw)
    cases.append(("binary huge shape", path, b, h, (400,)))
    b, h = _binary([spec, dict(spec, name="input-1")], raw)
    cases.append(("two binary inputs, one blob", path, b, h, (400,)))
    # BYTES tensors with bad length prefixes
    for label, blob, shape in [("prefix past the end", struct.pack("<I", 100) + b"abc", [1]),
                               ("prefix 2**32-1", struct.pack("<I", 2 ** 32 - 1) + b"abc", [2]),
                               ("truncated prefix", b"\x01\x00", [1]),
                               ("fewer elements than the shape", struct.pack("<I", 3) + b"abc", [2]),
                               ("bytes after the elements", struct.pack("<I", 3) + b"abc\0", [1]),
                               ("huge BYTES shape", struct.pack("<I", 3) + b"abc", [2 ** 62])]:
        s = {"name": "input-0", "shape": shape, "datatype": "BYTES", "parameters": {"binary_data_size": len(blob)}}
        b, h = _binary([s], blob)
        cases.append((f"BYTES {label}", path, b, h, (400,)))
    # raw binary form (header length 0): the body is one row
    cases.append(("raw form, 100 bytes", path, b"x" * 100, {"Inference-Header-Content-Length": "0"}, (400,)))
    cases.append(("raw form, empty", path, b"", {"Inference-Header-Content-Length": "0"}, (400,)))
    return cases


def test_v2_rest_malformed_requests(serve):
    failures = Failures()
    for label, target, body, headers, allowed in _v2_cases():
        failures.check(label, lambda: v2_error(raw_http(serve.url, "POST", target, body, headers), label, allowed))
    for method, target in [("GET", "/v2/models/regressor/infer"), ("PUT", "/v2/models/regressor/infer"),
                           ("DELETE", "/v2/models/regressor"), ("GET", "/v2/models/nope"),
                           ("GET", "/v2/models/nope/ready"), ("GET", "/v2/nope"), ("GET", "/v2/models/%zz"),
                           ("POST", "/v2/repository/models/nope/load")]:
        label = f"{method} {target}"
        failures.check(label, lambda: v2_error(
            raw_http(serve.url, method, target, b"{}" if method in ("POST", "PUT") else b"",
                     JSON if method in ("POST", "PUT") else None), label, (400, 404, 405)))
    failures.assert_none()
    assert_alive(serve, serve.url, "/v2/health/ready")
    r = raw_http(serve.url, "POST", "/v2/models/regressor/infer", _body({"inputs": [GOOD]}), JSON)
    assert r.status == 200 and r.json()["outputs"][0]["shape"] == [2], r.describe()


def test_v2_oversized_body(serve, tmp_path, models):
    """A body past --max-body-mb: a 413 V2 error, the connection answered."""
    small = ServeProcess(tmp_path / "small", {"regressor": models.dirs["regressor"]},
                         extra_args=["--max-body-mb", "1"], grpc=False).start()
    try:
        big = b'{"inputs": [{"name": "input-0", "shape": [1, 13], "datatype": "FP32", "data": [' + \
              b"0.5," * (600 * 1024) + b'0.5]}]}'
        r = raw_http(small.url, "POST", "/v2/models/regressor/infer", b"", JSON | {"Content-Length": str(len(big))},
                     body_chunks=[big[i:i + MIB] for i in range(0, len(big), MIB)])
        v2_error(r, "2.4 MB body with --max-body-mb 1", (413,))
        assert_alive(small, small.url, "/v2/health/ready")
    finally:
        small.kill()


CSV = {"Content-Type": "text/csv"}
COLS = [f"f{i}" for i in range(FEATURES)]
ROW = ",".join(["1"] * FEATURES)


def _scoring_cases():
    header = ",".join(COLS)
    cases = []  # (label, target, body, headers, allowed, format: "mlflow" | "text")

    def inv(label, body, headers=JSON, allowed=(400,), target="/invocations", fmt="mlflow"):
        cases.append((label, target, body if isinstance(body, bytes) else _body(body), headers, allowed, fmt))

    # content types: 415 with MLflow's plain-text message
    for ct in ["text/plain", "application/xml", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=x", "", "application/json; charset=latin-1",
               "text/csv; charset=utf-16", "application/json; format=pandas-split"]:
        inv(f"Content-Type {ct!r}", {"instances": [[1] * FEATURES]}, {"Content-Type": ct}, (415,), fmt="text")
    inv("no Content-Type", {"instances": [[1] * FEATURES]}, {}, (415,), fmt="text")
    # CSV
    inv("CSV row longer than the header", f"{header}\n{ROW},5\n".encode(), CSV)
    inv("CSV ragged: a row of 14 after one of 13", f"{header}\n{ROW}\n{ROW},1\n".encode(), CSV)
    inv("CSV too few columns", b"f0,f1\n1,2\n", CSV)
    inv("CSV unterminated quote", f'{header}\n"1,{ROW[2:]}\n'.encode(), CSV)
    inv("CSV words in numeric columns", f"{header}\n{','.join(['x'] * FEATURES)}\n".encode(), CSV)
    inv("CSV 1e999", f"{header}\n1e999,{ROW[2:]}\n".encode(), CSV)
    inv("CSV NUL fields", (header + "\n" + "\x00," * 12 + "1\n").encode(), CSV)
    inv("CSV empty", b"", CSV)
    inv("CSV only newlines", b"\n" * 10000, CSV)
    inv("CSV 13000 columns", (",".join(COLS * 1000) + "\n" + ",".join(["1"] * 13000) + "\n").encode(), CSV)
    # JSON
    inv("malformed JSON", b'{"dataframe_split": {"columns": ')
    inv("JSON array", b"[[1, 2, 3]]")
    inv("no format key", {"data": [[1, 2]]})
    inv("two format keys", {"instances": [[1] * FEATURES], "inputs": [[1] * FEATURES]})
    inv("nested 5000 deep", b'{"instances": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    inv("split: short row", {"dataframe_split": {"columns": COLS, "data": [[1] * 12]}})
    inv("split: long row", {"dataframe_split": {"columns": COLS, "data": [[1] * 13, [1] * 14]}})
    inv("split: 5 columns, 13 values", {"dataframe_split": {"columns": COLS[:5], "data": [[1] * 13]}})
    inv("split: strings in numeric columns", {"dataframe_split": {"columns": COLS, "data": [["a"] * 13]}})
    inv("split: lists in cells", {"dataframe_split": {"columns": COLS, "data": [[[1]] * 13]}})
    inv("split: data a string", {"dataframe_split": {"columns": COLS, "data": "x"}})
    inv("split: columns a string", {"dataframe_split": {"columns": "x", "data": [[1] * 13]}})
    inv("split: numeric column names", {"dataframe_split": {"columns": [1] * 13, "data": [[1] * 13]}})
    inv("split: a list", {"dataframe_split": []})
    inv("split without data", {"dataframe_split": {"columns": ["f0"]}})
    inv("records: strings", {"dataframe_records": [{c: "x" for c in COLS}]})
    inv("records: numbers", {"dataframe_records": [1, 2]})
    inv("records: an object", {"dataframe_records": {"f0": 1}})
    inv("instances: a string", {"instances": "abc"})
    inv("instances: ragged", {"instances": [[1] * 13, [1, 2]]})
    inv("instances: strings", {"instances": [["a"] * 13]})
    inv("classifier: missing columns", {"dataframe_split": {"columns": COLS[:5], "data": [[1] * 5]}},
        target="/invocations?model=classifier")
    inv("classifier: strings", {"dataframe_records": [{c: "x" for c in COLS}]},
        target="/invocations?model=classifier")
    inv("unknown model", {"instances": [[1] * 13]}, allowed=(404,), target="/invocations?model=nope")
    inv("model query %zz", {"instances": [[1] * 13]}, allowed=(400, 404), target="/invocations?model=%zz")
    # /predict (the seed API): V2-style {"error": ...}
    for label, body in [("empty", {}), ("features a string", {"features": "x"}),
                        ("strings", {"features": [["a"] * 13]}), ("ragged", {"features": [[1] * 13, [1] * 12]}),
                        ("no rows", {"features": []}), ("empty row", {"features": [[]]}),
                        ("malformed", b"{"), ("nested deep", b'{"features": ' + b"[" * 5000 + b"]" * 5000 + b"}")]:
        cases.append((f"/predict {label}", "/predict", _body(body), JSON, (400,), "v2"))
    cases.append(("/predict unknown model", "/predict?model=nope", _body({"features": [[1] * 13]}), JSON,
                  (404,), "v2"))
    return cases


def test_scoring_malformed_requests(serve):
    failures = Failures()
    for label, target, body, headers, allowed, fmt in _scoring_cases():
        def one():
            r = raw_http(serve.url, "POST", target, body, headers)
            if fmt == "mlflow":
                mlflow_error(r, label, allowed)
            elif fmt == "v2":
                v2_error(r, label, allowed)
            else:
                any_4xx(r, label, allowed)
                assert r.body, f"{label}: empty {r.status} body"
        failures.check(label, one)
    failures.assert_none()
    assert_alive(serve, serve.url, "/v2/health/ready")
    r = raw_http(serve.url, "POST", "/invocations", _body({"instances": [[1] * FEATURES]}), JSON)
    assert r.status == 200 and len(r.json()["predictions"]) == 1, r.describe()


def test_grpc_malformed_requests(serve, protos):
    pb, health_pb = protos
    client = InferenceClient(serve.grpc_target, pb, health_pb)
    x = np.ones((2, FEATURES), np.float32)
    invalid, not_found = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND

    def req(model="regressor", version="", datatype="FP32", shape=(2, FEATURES), raw=x.tobytes()):
        r = pb.ModelInferRequest(model_name=model, model_version=version)
        inp = r.inputs.add(name="input-0", datatype=datatype, shape=list(shape))
        if raw is not None:
            r.raw_input_contents.append(raw)
        return r, inp

    cases = []
    for label, kw, code in [
        ("raw one byte short", {"raw": x.tobytes()[:-1]}, invalid),
        ("raw one byte long", {"raw": x.tobytes() + b"\0"}, invalid),
        ("raw empty", {"raw": b""}, invalid),
        ("shape [3, 13] for 2 rows", {"shape": (3, FEATURES)}, invalid),
        ("shape [1, 2**62]", {"shape": (1, 2 ** 62)}, invalid),
        ("shape [2**62, 2**62]", {"shape": (2 ** 62, 2 ** 62)}, invalid),
        ("negative shape", {"shape": (-2, -FEATURES)}, invalid),
        ("-1 batch", {"shape": (-1, FEATURES)}, invalid),
        ("rank 0", {"shape": ()}, invalid),
        ("rank 1000", {"shape": (1,) * 1000}, invalid),
        ("datatype FLOAT", {"datatype": "FLOAT"}, invalid),
        ("datatype ''", {"datatype": ""}, invalid),
        ("datatype fp32", {"datatype": "fp32"}, invalid),
        ("BYTES prefix past the end", {"datatype": "BYTES", "shape": (1,), "raw": struct.pack("<I", 1000) + b"ab"}, invalid),
        ("BYTES prefix 2**32-1", {"datatype": "BYTES", "shape": (2,), "raw": struct.pack("<I", 2 ** 32 - 1) + b"ab"}, invalid),
        ("BYTES truncated prefix", {"datatype": "BYTES", "shape": (1,), "raw": b"\x01\x00"}, invalid),
        ("unknown model", {"model": "nope"}, not_found),
        ("empty model name", {"model": ""}, not_found),
        ("NUL in model name", {"model": "a\x00b"}, not_found),
        ("unknown version", {"version": "99"}, not_found),
        ("version -1", {"version": "-1"}, not_found),
    ]:
        cases.append((label, req(**kw)[0], code))
    r, _ = req()
    r.outputs.add(name="nope")
    cases.append(("unknown requested output", r, invalid))
    r, _ = req()
    r.raw_input_contents.append(b"x")
    cases.append(("two blobs for one input", r, invalid))
    r, inp = req(raw=None)
    inp.contents.fp32_contents.extend([1.0] * 25)
    cases.append(("typed: 25 values for 26", r, invalid))
    r, inp = req(raw=None)
    inp.contents.int64_contents.extend([1] * 26)
    cases.append(("typed: the wrong field", r, invalid))
    r, inp = req(raw=None)
    cases.append(("no data at all", r, invalid))
    r, inp = req()
    inp.contents.fp32_contents.extend([1.0] * 26)
    cases.append(("raw and typed", r, invalid))
    r, _ = req()
    r.inputs.add(name="input-1", datatype="FP32", shape=[2, FEATURES])
    r.raw_input_contents.append(x.tobytes())
    cases.append(("two inputs", r, invalid))
    failures = Failures()
    try:
        for label, request, code in cases:
            def one():
                try:
                    client.ModelInfer(request, timeout=10)
                except grpc.RpcError as e:
                    assert e.code() == code, f"{label}: {e.code()} {e.details()!r}, expected {code}"
                    return
                raise AssertionError(f"{label}: answered OK")
            failures.check(label, one)
        # Bytes that are no ModelInferRequest at all: an error status, never a crash.
        for garbage in [b"\xff" * 50, b"\x0a\xff\xff\xff\xff\x0f", b"\x3a\xff\xff\xff\xff\x07abc", b"\x2a\x05\x12"]:
            def raw_one():
                try:
                    client.raw_call("/inference.GRPCInferenceService/ModelInfer", garbage)
                except grpc.RpcError as e:
                    assert e.code() not in (grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE), e.code()
                    return
                raise AssertionError("garbage answered OK")
            failures.check(f"garbage {garbage[:8]!r}", raw_one)
        failures.assert_none()
        # The server keeps serving, over gRPC and HTTP.
        good = client.ModelInfer(req()[0], timeout=10)
        assert list(good.outputs[0].shape) == [2]
        assert client.ServerLive().live
    finally:
        client.close()
    assert_alive(serve, serve.url, "/v2/health/ready")
