# SPDX-License-Identifier: Apache-2.0
"""Hardening: a brute list of malformed requests per protocol. Each one must get a 4xx (never a
5xx, never a dropped connection) in the protocol's own error format, and the server must stay
healthy: alive, answering a normal request afterwards, with nothing created by the refused
requests.

Here: the MLflow REST API of `mlhub server` (both mounts, both backends) with its artifact proxy
(no path escapes the artifact root); `mlhub serve`'s protocols are in
test_hardening_malformed_serve.py.

Every request is written on a raw socket (hardening_testlib.raw_http): requests and http.client
refuse or normalise much of what is sent here. Each test runs its whole list and reports every
case that failed at once.
"""
from __future__ import annotations

import os
import uuid

import pytest

from hardening_testlib import (
    Failures, any_4xx, assert_alive, body_bytes, mlflow_error, raw_http, tree_snapshot,
)
from mlhub_testlib import AJAX, API, ARTIFACTS, unique

JSON = {"Content-Type": "application/json"}
MIB = 1 << 20

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
            r = raw_http(srv.url, method, target, body_bytes(body) if body is not None else b"", headers)
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
