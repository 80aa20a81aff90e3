# SPDX-License-Identifier: Apache-2.0
"""Hardening: SQL is built only from prepared statements. Injection strings are thrown at every
filter field of runs/search, experiments/search, registered-models/search and
model-versions/search (as quoted values and as backquoted keys) and at plain fields (names, tag
keys and values, run names, user ids, dataset names). They must be treated as data: an equality
filter with the string finds exactly the entity that holds it, nothing else changes, nothing
answers 5xx, and the tables are all still there afterwards. Both backends.

A value a backend cannot hold (NUL in PostgreSQL text) may be refused with a 400; then no search
may find it either.
"""
from __future__ import annotations

import uuid

import pytest

from mlhub_testlib import now_ms, params_dict, run_tags, tags_dict, unique

INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE runs; --",
    '"; DROP TABLE runs; --',
    "') OR 1=1 --",
    "')) OR 1=1 --",
    "\\' ; SELECT 1; --",
    "\\",
    "\\\\'",
    "\u2019 OR \u20181\u2019=\u20181",  # unicode quotes
    "\uff07 OR 1=1 --",  # fullwidth apostrophe
    "%",
    "_",
    "%' OR '%'='",
    "a%b_c",
    "`; DROP TABLE params; --",
    "1; DELETE FROM metrics",
    "' UNION SELECT run_uuid, name FROM runs --",
    "$$; DROP TABLE runs; $$",
    "E'\\x27' OR 1=1",
    "?",
    "$1",
    ":name",
    "x\x00y",
    "line\nbreak\r\t",
    "\u202e' OR '1'='1",
    "A" * 200 + "' OR '1'='1",
]

# PostgreSQL text cannot hold NUL: a filter value with one may be refused (400) rather than
# matched; either way it finds nothing.
NUL = "\x00"

# Keys that are legal names (MLflow: alphanumerics, _ - . space /) yet read like SQL.
SQL_LOOKING_KEYS = ["drop table runs", "1 or 1", "select from params", "a -- b", "x/y.z-w_v"]

# Keys no entity can have: searched as backquoted keys they must find nothing (or be a 400).
INJECTION_KEYS = ["' OR '1'='1", "a` = 'x' OR `b", "x'; DROP TABLE tags; --", "\\`", "%", "_"]


def sq(text):
    """A filter string literal: single quotes, backslash escapes for quote and backslash."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def bq(text):
    return "`" + text.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _runs(client, exp, flt):
    st, js = client.post("runs/search", {"experiment_ids": [exp], "filter": flt, "max_results": 1000,
                                         "run_view_type": "ALL"})
    if st == 400 and NUL in flt:
        return set()
    assert st == 200, f"runs/search {flt[:200]!r} → {st} {js}"
    return {r["info"]["run_id"] for r in js.get("runs", [])}


def _runs_or_400(client, exp, flt):
    st, js = client.post("runs/search", {"experiment_ids": [exp], "filter": flt, "max_results": 1000})
    assert st in (200, 400), f"runs/search {flt[:200]!r} → {st} {js}"
    if st == 400:
        assert js["error_code"] == "INVALID_PARAMETER_VALUE", js
        return set()
    return {r["info"]["run_id"] for r in js.get("runs", [])}


def _global_counts(client):
    exps = client.ok_post("experiments/search", {"max_results": 50000, "view_type": "ALL"}).get("experiments", [])
    ids = [e["experiment_id"] for e in exps]
    runs = client.search_all_runs(ids, 50000, run_view_type="ALL")
    models = client.ok_post("registered-models/search", {"max_results": 1000}).get("registered_models", [])
    return {"experiments": len(exps), "runs": len(runs), "models": len(models)}


@pytest.mark.timeout_s(150)
def test_run_search_treats_injections_as_data(client):
    exp = client.create_experiment(unique("sqlinj"))
    control = client.create_run(exp, run_name="control", user_id="control-user")["info"]["run_id"]
    client.ok_post("runs/log-batch", {"run_id": control, "params": [{"key": "p", "value": "plain"}],
                                      "tags": [{"key": "t", "value": "plain"}],
                                      "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}]})
    holder = {}   # injection -> run id whose param p / tag t / run name / user / dataset hold it
    refused = []  # injections the store refused as values (400)
    for i, text in enumerate(INJECTIONS):
        st, js = client.post("runs/create", {"experiment_id": exp, "start_time": now_ms(), "user_id": text,
                                             "run_name": text[:250] if len(text) > 250 else text})
        if st != 200:
            assert st == 400 and js["error_code"] == "INVALID_PARAMETER_VALUE", (text, st, js)
            refused.append(text)
            continue
        rid = js["run"]["info"]["run_id"]
        st, js = client.post("runs/log-batch", {
            "run_id": rid, "params": [{"key": "p", "value": text}], "tags": [{"key": "t", "value": text}],
            "metrics": [{"key": "m", "value": float(i + 10), "timestamp": 1, "step": 0}]})
        assert st in (200, 400), (text, st, js)
        st2, js2 = client.post("runs/log-inputs", {"run_id": rid, "datasets": [{
            "tags": [{"key": "mlflow.data.context", "value": text}],
            "dataset": {"name": text, "digest": f"d{i}", "source_type": "local", "source": "{}"}}]})
        assert st2 in (200, 400), (text, st2, js2)
        if st != 200 or st2 != 200:
            refused.append(text)
            client.ok_post("runs/delete", {"run_id": rid})
            continue
        holder[text] = rid
    # The injections that ought to be storable everywhere were.
    assert set(refused) <= {"x\x00y"}, f"refused: {refused!r}"
    runs_before = _global_counts(client)

    every = set(holder.values()) | {control}
    for text in INJECTIONS:
        want = {holder[text]} if text in holder else set()
        lit = sq(text)
        for flt in (f"params.p = {lit}", f"tags.t = {lit}", f"attributes.run_name = {lit}",
                    f"run_name = {lit}", f"attributes.user_id = {lit}", f"datasets.name = {lit}",
                    f"datasets.context = {lit}", f"params.`p` = {lit}", f"tags.\"t\" = {lit}"):
            if len(text) > 250 and "run_name" in flt:
                continue
            got = _runs(client, exp, flt)
            assert got == want, f"{flt[:200]!r}: found {len(got)} runs, expected {len(want)}"
        if NUL in text and text not in holder:
            continue  # refused by the store (PostgreSQL); its filters may be refused too
        # != finds everyone else (of those that have the param), never everything by accident
        got = _runs(client, exp, f"params.p != {lit}")
        assert got == every - want, f"params.p != {lit[:100]}"
        # LIKE with the literal text: wildcards in it are wildcards, but a match must hold them
        like = (_runs_or_400 if "\\" in text else _runs)(client, exp, f"params.p LIKE {lit}")
        assert want <= like or "\\" in text, f"LIKE {lit[:100]} lost its own run"
        # attributes no run has: nothing
        for flt in (f"attributes.run_id = {lit}", f"attributes.artifact_uri = {lit}",
                    f"attributes.status = {lit}", f"datasets.digest = {lit}",
                    f"attributes.run_id IN ({lit}, {sq(control)})"):
            got = _runs_or_400(client, exp, flt)
            expected = {control} if "IN (" in flt else set()
            assert got in (expected, set()), f"{flt[:200]!r}: {len(got)} runs"
        # combined with OR and parentheses the injection stays a value
        got = _runs(client, exp, f"(params.p = {lit}) OR (params.p = 'plain')")
        assert got == want | {control}, f"OR with {lit[:100]}"
        got = _runs(client, exp, f"params.p = {lit} AND metrics.m >= 0")
        assert got == want
    # percent and underscore are data in equality, wildcards only in LIKE
    assert _runs(client, exp, "params.p = '%'") == {holder["%"]}
    assert _runs(client, exp, "params.p = '_'") == {holder["_"]}
    assert _runs(client, exp, "params.p LIKE '%'") == every
    # injection strings as (backquoted) keys: nothing has them
    for key in INJECTION_KEYS:
        for kind in ("params", "tags", "metrics"):
            value = "1" if kind == "metrics" else "'x'"
            assert _runs_or_400(client, exp, f"{kind}.{bq(key)} = {value}") == set(), (kind, key)
            assert _runs_or_400(client, exp, f"{kind}.{bq(key)} != {value}") == set(), (kind, key)
        got = _runs_or_400(client, exp, f"params.{bq(key)} = 'x' OR params.p = 'plain'")
        assert got in ({control}, set()), key
    # order_by with injection keys: refused or harmless, never a 5xx
    for key in INJECTION_KEYS:
        for ob in (f"params.{bq(key)} DESC", f"metrics.{bq(key)}", f"tags.{bq(key)} ASC"):
            st, js = client.post("runs/search", {"experiment_ids": [exp], "order_by": [ob], "max_results": 1000})
            assert st in (200, 400), (ob, st, js)
            if st == 200:
                assert {r["info"]["run_id"] for r in js.get("runs", [])} == every, ob
    # nothing changed, the tables are all there
    assert _global_counts(client) == runs_before
    for text, rid in holder.items():
        run = client.get_run(rid)
        assert params_dict(run)["p"] == text and run_tags(run)["t"] == text
        assert run["info"]["user_id"] == text
        assert [m["value"] for m in client.history(rid, "m")] == [float(INJECTIONS.index(text) + 10)]
    assert _runs(client, exp, "metrics.m >= 0") == every
    assert _runs(client, exp, "params.p = 'plain'") == {control}


@pytest.mark.timeout_s(120)
def test_sql_looking_keys_are_data(client):
    exp = client.create_experiment(unique("sqlkeys"))
    runs = {}
    for key in SQL_LOOKING_KEYS:
        rid = client.create_run(exp)["info"]["run_id"]
        client.ok_post("runs/log-batch", {"run_id": rid, "params": [{"key": key, "value": "v"}],
                                          "tags": [{"key": key, "value": "v"}],
                                          "metrics": [{"key": key, "value": 2.0, "timestamp": 1, "step": 0}]})
        runs[key] = rid
    for key, rid in runs.items():
        for flt in (f"params.{bq(key)} = 'v'", f"tags.{bq(key)} = 'v'", f"metrics.{bq(key)} = 2",
                    f"params.{bq(key)} LIKE 'v'", f"metrics.{bq(key)} > 1.5"):
            assert _runs(client, exp, flt) == {rid}, flt
        js = client.ok_post("runs/search", {"experiment_ids": [exp], "order_by": [f"metrics.{bq(key)} DESC"]})
        assert js["runs"][0]["info"]["run_id"] == rid, key
        hist = client.ok_get("metrics/get-history", {"run_id": rid, "metric_key": key})["metrics"]
        assert [m["value"] for m in hist] == [2.0]


@pytest.mark.timeout_s(120)
def test_experiment_search_and_names_treat_injections_as_data(client):
    prefix = f"inj-{uuid.uuid4().hex[:8]}-"
    tag_key = f"t_{uuid.uuid4().hex[:8]}"
    made = {}
    for text in INJECTIONS:
        name = (prefix + text)[:500]
        st, js = client.post("experiments/create", {"name": name, "tags": [{"key": tag_key, "value": text}]})
        if st != 200:
            assert st == 400 and text == "x\x00y", (text, st, js)
            continue
        made[text] = (js["experiment_id"], name)
    assert len(made) >= len(INJECTIONS) - 1
    before = _global_counts(client)
    for text in INJECTIONS:
        want = {made[text][0]} if text in made else set()
        name = (prefix + text)[:500]
        for flt in (f"name = {sq(name)}", f"tags.{bq(tag_key)} = {sq(text)}", f"name LIKE {sq(name)}",
                    f"tags.{tag_key} = {sq(text)} AND name = {sq(name)}"):
            st, js = client.post("experiments/search", {"filter": flt, "max_results": 1000})
            if st == 400 and NUL in flt:
                assert not want, flt
                continue
            assert st == 200, (flt[:200], st, js)
            got = {e["experiment_id"] for e in js.get("experiments", [])}
            if "LIKE" in flt:
                # (a backslash in a LIKE pattern is an escape on PostgreSQL, a plain character on
                # SQLite, as with MLflow on either)
                assert want <= got or "\\" in text, flt[:200]
                assert all(e["name"].startswith(prefix) for e in js.get("experiments", [])), flt[:200]
            else:
                assert got == want, f"{flt[:200]!r}: {len(got)} found, expected {len(want)}"
        # plain fields: get-by-name finds exactly it
        st, js = client.get("experiments/get-by-name", {"experiment_name": name})
        if text in made:
            assert st == 200 and js["experiment"]["experiment_id"] == made[text][0], (text, st)
            assert tags_dict(js["experiment"])[tag_key] == text
        else:
            assert st in (400, 404), (text, st, js)
        # the injection alone as a name: no such experiment
        st, js = client.get("experiments/get-by-name", {"experiment_name": text})
        assert st in (400, 404), (text, st, js)
    for key in INJECTION_KEYS:
        st, js = client.post("experiments/search", {"filter": f"tags.{bq(key)} = 'x'"})
        assert st in (200, 400), (key, st, js)
        assert st == 400 or js.get("experiments", []) == [], key
    # renames to injection strings round-trip as data
    eid, name = next(iter(made.values()))
    for text in INJECTIONS[:8]:
        new = f"{prefix}renamed {text}"
        client.ok_post("experiments/update", {"experiment_id": eid, "new_name": new})
        assert client.ok_get("experiments/get", {"experiment_id": eid})["experiment"]["name"] == new
    assert _global_counts(client) == before


@pytest.mark.timeout_s(150)
def test_registry_search_treats_injections_as_data(client):
    prefix = f"rinj-{uuid.uuid4().hex[:8]}-"
    tag_key = f"t_{uuid.uuid4().hex[:8]}"
    exp = client.create_experiment(unique("reginj"))
    run_id = client.create_run(exp)["info"]["run_id"]
    models = {}
    for text in INJECTIONS:
        name = (prefix + text)[:250]
        st, js = client.post("registered-models/create", {"name": name, "tags": [{"key": tag_key, "value": text}]})
        if st != 200:
            assert st == 400 and js["error_code"] == "INVALID_PARAMETER_VALUE", (text, st, js)
            continue
        st, js = client.post("model-versions/create", {
            "name": name, "source": f"runs:/{run_id}/model", "run_id": run_id,
            "tags": [{"key": tag_key, "value": text}], "description": text})
        assert st == 200, (text, st, js)
        models[text] = name
    # Model names may refuse some characters ('/', NUL, newlines); most must be accepted.
    assert len(models) >= len(INJECTIONS) - 4, sorted(set(INJECTIONS) - set(models))
    before = _global_counts(client)
    for text in INJECTIONS:
        name = (prefix + text)[:250]
        want = {name} if text in models else set()
        for flt in (f"name = {sq(name)}", f"tags.{bq(tag_key)} = {sq(text)}",
                    f"name = {sq(name)} AND tags.{tag_key} = {sq(text)}"):
            st, js = client.post("registered-models/search", {"filter": flt, "max_results": 1000})
            if st == 400 and NUL in flt:
                assert not want, flt
                continue
            assert st == 200, (flt[:200], st, js)
            got = {m["name"] for m in js.get("registered_models", [])}
            assert got == want, f"registered-models {flt[:200]!r}: {len(got)} found"
            st, js = client.get("model-versions/search", {"filter": flt, "max_results": 1000})
            assert st == 200, (flt[:200], st, js)
            got = {(v["name"], v["version"]) for v in js.get("model_versions", [])}
            assert got == {(n, "1") for n in want}, f"model-versions {flt[:200]!r}: {len(got)} found"
        # run_id holding the injection: nothing; the real run id with the injection OR-ed in: ours only
        st, js = client.get("model-versions/search", {"filter": f"run_id = {sq(text)}"})
        assert st in (200, 400), (text, st, js)
        assert st == 400 or js.get("model_versions", []) == [], text
        st, js = client.get("model-versions/search",
                            {"filter": f"run_id = {sq(run_id)} AND name = {sq(name)}", "max_results": 1000})
        assert (st == 400 and NUL in name and not want) or st == 200 and len(js.get("model_versions", [])) == len(want), (text, st, js)
        # plain fields: the model by name, its version by name and number
        if text in models:
            got = client.ok_get("registered-models/get", {"name": name})["registered_model"]
            assert got["name"] == name and tags_dict(got)[tag_key] == text
            mv = client.ok_get("model-versions/get", {"name": name, "version": "1"})["model_version"]
            assert mv["description"] == text and tags_dict(mv)[tag_key] == text
        st, js = client.get("registered-models/get", {"name": text})
        assert st in (400, 404), (text, st, js)
    for key in INJECTION_KEYS:
        for route in ("registered-models/search", "model-versions/search"):
            st, js = client.get(route, {"filter": f"tags.{bq(key)} = 'x'"})
            assert st in (200, 400), (route, key, st, js)
            if st == 200:
                assert js.get("registered_models", js.get("model_versions", [])) == [], (route, key)
    # aliases named like injections are refused or stored as data
    name = next(iter(models.values()))
    for alias in ["' OR '1'='1", "a; DROP TABLE model_versions", "champion"]:
        st, js = client.post("registered-models/alias", {"name": name, "alias": alias, "version": "1"})
        assert st in (200, 400), (alias, st, js)
        if st == 200:
            got = client.ok_get("registered-models/alias", {"name": name, "alias": alias})["model_version"]
            assert got["version"] == "1"
    assert _global_counts(client) == before
    # the tables still answer
    client.ok_post("registered-models/search", {"max_results": 10})
    client.ok_get("model-versions/search", {"max_results": 10})
