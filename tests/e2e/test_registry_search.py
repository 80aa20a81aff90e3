# SPDX-License-Identifier: Apache-2.0
"""Registry searches (registered models and model versions: filters, order_by, pages, errors)
and the validation of every route's required and typed fields.

Expectations read from MLflow's sources say "MLflow:" (see registry_testlib.py).
"""
import time
import urllib.parse

import pytest

from mlhub_testlib import API, Client, assert_error, tags_dict, unique
from registry_testlib import (
    _patch, _delete, _ok, _is_int, _create_model, _create_version, _get_model, _get_version,
    _transition, _search_models, _search_models_all, _search_versions, _search_versions_all,
)


# ---------------------------------------------------------------------------------------------
# search: registered models


@pytest.fixture(scope="module")
def model_world(server):
    """Five models under one prefix, with tags; created 15 ms apart so their timestamps differ,
    then m1 updated last so last_updated order differs from name order."""
    c = Client(server.url, API)
    prefix = unique("rmsearch")
    names = [f"{prefix}-m{i}" for i in range(5)]
    teams = ["red", "blue", "red", "green", "Red"]
    for n, t in zip(names, teams):
        _create_model(c, n, tags=[{"key": "team", "value": t}])
        time.sleep(0.015)
    _ok(_patch(c, "registered-models/update", {"name": names[1], "description": "touched"}), "update")
    stamps = {n: _get_model(c, n)["last_updated_timestamp"] for n in names}
    assert len(set(stamps.values())) == len(names), f"precondition: distinct timestamps {stamps}"
    return {"prefix": prefix, "names": names, "teams": dict(zip(names, teams)), "stamps": stamps}


def _names(js):
    return [m["name"] for m in js.get("registered_models", [])]


def test_search_registered_models_filters(client, model_world):
    p, names = model_world["prefix"], model_world["names"]
    assert _names(_search_models(client, filter=f"name = '{names[2]}'")) == [names[2]]
    assert _names(_search_models(client, filter=f"name LIKE '{p}-%'")) == names, "default order is name ASC"
    assert _names(_search_models(client, filter=f"name ILIKE '{p.upper()}-M%'")) == names
    assert _names(_search_models(client, filter=f"name LIKE '{p.upper()}-%'")) == [], "LIKE is case-sensitive"
    assert _names(_search_models(client, filter=f"name != '{names[0]}' AND name LIKE '{p}-%'")) == names[1:]
    assert _names(_search_models(client, filter=f"name LIKE '{p}-%' AND tags.team = 'red'")) == \
        [names[0], names[2]]
    assert _names(_search_models(client, filter=f"name LIKE '{p}-%' AND tags.team ILIKE 'red'")) == \
        [names[0], names[2], names[4]]
    assert _names(_search_models(client, filter=f"name LIKE '{p}-%' AND tags.`team` != 'red'")) == \
        [names[1], names[3], names[4]]
    assert _names(_search_models(client, filter=f"name LIKE '{p}-%' AND tags.missing = 'x'")) == []
    js = _search_models(client, filter=f"name = '{names[0]}'")
    (m,) = js["registered_models"]
    assert tags_dict(m) == {"team": "red"} and _is_int(m["creation_timestamp"])
    assert "next_page_token" not in js or not js["next_page_token"]


def test_search_registered_models_order_by(client, model_world):
    p, names, stamps = model_world["prefix"], model_world["names"], model_world["stamps"]
    flt = f"name LIKE '{p}-%'"
    assert _names(_search_models(client, filter=flt, order_by="name DESC")) == names[::-1]
    by_updated = sorted(names, key=lambda n: stamps[n])
    assert _names(_search_models(client, filter=flt, order_by="last_updated_timestamp DESC")) == by_updated[::-1]
    assert _names(_search_models(client, filter=flt, order_by="last_updated_timestamp")) == by_updated
    # repeated order_by keys in the query string (what the client sends for a list)
    assert _names(_search_models(client, filter=flt, order_by=["last_updated_timestamp ASC", "name DESC"])) == \
        by_updated
    st, js = client.get_raw_query("registered-models/search",
                                  f"filter={urllib.parse.quote(flt)}&order_by={urllib.parse.quote('name DESC')}")
    assert st == 200 and _names(js) == names[::-1], js
    st, js = client.get_raw_query("registered-models/search",
                                  f"filter={urllib.parse.quote(flt)}&order_by%5B0%5D=last_updated_timestamp%20DESC"
                                  "&order_by%5B1%5D=name%20ASC")
    assert st == 200 and _names(js) == by_updated[::-1], js
    assert_error(client.get("registered-models/search", {"filter": flt, "order_by": "bogus_column DESC"}),
                 "INVALID_PARAMETER_VALUE")


def test_search_registered_models_paging(client, model_world):
    p, names = model_world["prefix"], model_world["names"]
    flt = f"name LIKE '{p}-%'"
    for size in (1, 2, 4, 5, 10):
        got = [m["name"] for m in _search_models_all(client, size, filter=flt)]
        assert got == names, (size, got)
    got = [m["name"] for m in _search_models_all(client, 2, filter=flt, order_by=["name DESC"])]
    assert got == names[::-1]
    first = _search_models(client, filter=flt, max_results=2)
    assert _names(first) == names[:2] and first.get("next_page_token")
    exact = _search_models(client, filter=flt, max_results=5)
    assert _names(exact) == names and not exact.get("next_page_token"), "a full last page ends the listing"


def test_search_registered_models_default_page_size_is_100(client):
    prefix = unique("page100")
    for i in range(101):
        client.ok_post("registered-models/create", {"name": f"{prefix}-{i:03d}"})
    js = _search_models(client, filter=f"name LIKE '{prefix}-%'")
    assert len(js["registered_models"]) == 100 and js.get("next_page_token"), len(js["registered_models"])
    rest = _search_models(client, filter=f"name LIKE '{prefix}-%'", page_token=js["next_page_token"])
    assert _names(rest) == [f"{prefix}-100"]
    assert len(_search_models(client, filter=f"name LIKE '{prefix}-%'", max_results=1000)["registered_models"]) == 101


def test_search_registered_models_errors(client, model_world):
    p = model_world["prefix"]
    for bad in ("name > 'x'", "bogus = 'x'", "name = ", "tags.team > 'a'", "((name = 'a'", "name 'x'"):
        assert_error(client.get("registered-models/search", {"filter": bad}), "INVALID_PARAMETER_VALUE")
    for tok in ("not a token!!", "eyJub3QiOiAib2Zmc2V0In0=", "%%%"):
        assert_error(client.get("registered-models/search", {"filter": f"name LIKE '{p}-%'", "page_token": tok}),
                     "INVALID_PARAMETER_VALUE")
    # MLflow handlers: max_results <= 1000 for registered-models/search
    assert_error(client.get("registered-models/search", {"max_results": 1001}), "INVALID_PARAMETER_VALUE")
    assert_error(client.get("registered-models/search", {"max_results": 50000}), "INVALID_PARAMETER_VALUE")
    assert len(client.ok_get("registered-models/search", {"max_results": 1000,
                                                          "filter": f"name LIKE '{p}-%'"})["registered_models"]) == 5


# ---------------------------------------------------------------------------------------------
# search: model versions


@pytest.fixture(scope="module")
def version_world(server):
    c = Client(server.url, API)
    exp = c.create_experiment(unique("mvsearch"))
    rids = [c.create_run(exp)["info"]["run_id"] for _ in range(2)]
    a, b = unique("mvs-a"), unique("mvs-b")
    _create_model(c, a)
    _create_model(c, b)
    for i in range(5):
        rid = rids[i % 2]
        _create_version(c, a, source=f"runs:/{rid}/model-{i}", run_id=rid,
                        tags=[{"key": "parity", "value": "even" if i % 2 == 0 else "odd"}])
    _create_version(c, b, source=f"runs:/{rids[0]}/other", run_id=rids[0])
    return {"a": a, "b": b, "rids": rids}


def _versions(js):
    return [(v["name"], v["version"]) for v in js.get("model_versions", [])]


def test_search_model_versions_filters(client, version_world):
    a, b, rids = version_world["a"], version_world["b"], version_world["rids"]
    # default order: last_updated_timestamp DESC, name ASC, version_number DESC -- fresh versions
    # created one after another therefore list newest first
    assert _versions(_search_versions(client, filter=f"name = '{a}'")) == [(a, v) for v in "54321"]
    got = _versions(_search_versions(client, filter=f"run_id = '{rids[0]}'"))
    assert sorted(got) == sorted([(a, "1"), (a, "3"), (a, "5"), (b, "1")]), got
    got = _versions(_search_versions(client, filter=f"name = '{a}' AND tags.parity = 'odd'"))
    assert sorted(got) == [(a, "2"), (a, "4")]
    got = _versions(_search_versions(client, filter=f"name = '{a}' AND version_number > 3"))
    assert sorted(got) == [(a, "4"), (a, "5")]
    got = _versions(_search_versions(client, filter=f"source_path = 'runs:/{rids[1]}/model-3'"))
    assert got == [(a, "4")]
    got = _versions(_search_versions(client, filter=f"run_id IN ('{rids[1]}')"))
    assert sorted(got) == [(a, "2"), (a, "4")]
    js = _search_versions(client, filter=f"name = '{b}'")
    (mv,) = js["model_versions"]
    assert mv["source"] == f"runs:/{rids[0]}/other" and mv["status"] == "READY" and mv["current_stage"] == "None"


def test_search_model_versions_order_and_paging(client, version_world):
    a = version_world["a"]
    flt = f"name = '{a}'"
    assert _versions(_search_versions(client, filter=flt, order_by="version_number ASC")) == [(a, v) for v in "12345"]
    assert _versions(_search_versions(client, filter=flt, order_by=["version_number DESC"])) == \
        [(a, v) for v in "54321"]
    for size in (1, 2, 3, 5):
        got = [v["version"] for v in _search_versions_all(client, size, filter=flt, order_by=["version_number ASC"])]
        assert got == list("12345"), (size, got)
    first = _search_versions(client, filter=flt, max_results=2, order_by="version_number ASC")
    assert [v["version"] for v in first["model_versions"]] == ["1", "2"] and first.get("next_page_token")


def test_search_model_versions_errors(client, version_world):
    a = version_world["a"]
    for bad in ("bogus = 'x'", "name = ", "((name = 'a'", "name > 'a'", "version_number = 'abc'"):
        assert_error(client.get("model-versions/search", {"filter": bad}), "INVALID_PARAMETER_VALUE")
    assert_error(client.get("model-versions/search", {"filter": f"name = '{a}'", "page_token": "garbage!!"}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.get("model-versions/search", {"filter": f"name = '{a}'", "order_by": "bogus DESC"}),
                 "INVALID_PARAMETER_VALUE")
    # MLflow handlers: max_results <= 200 000 for model-versions/search
    assert_error(client.get("model-versions/search", {"filter": f"name = '{a}'", "max_results": 200001}),
                 "INVALID_PARAMETER_VALUE")


# ---------------------------------------------------------------------------------------------
# required fields


def test_missing_required_fields(client):
    name = unique("req")
    _create_model(client, name)
    _create_version(client, name)
    calls = [
        ("POST", "registered-models/create", {}),
        ("POST", "registered-models/create", {"name": ""}),
        ("POST", "registered-models/create", {"description": "no name"}),
        ("GET", "registered-models/get", {}),
        ("POST", "registered-models/rename", {"name": name}),
        ("POST", "registered-models/rename", {"new_name": unique()}),
        ("PATCH", "registered-models/update", {"description": "x"}),
        ("DELETE", "registered-models/delete", {}),
        ("POST", "registered-models/get-latest-versions", {}),
        ("POST", "registered-models/set-tag", {"name": name, "value": "v"}),
        ("POST", "registered-models/set-tag", {"key": "k", "value": "v"}),
        ("DELETE", "registered-models/delete-tag", {"name": name}),
        ("POST", "registered-models/alias", {"name": name, "alias": "champion"}),
        ("POST", "registered-models/alias", {"name": name, "version": "1"}),
        ("DELETE", "registered-models/alias", {"name": name}),
        ("GET", "registered-models/alias", {"name": name}),
        ("POST", "model-versions/create", {"name": name}),
        ("POST", "model-versions/create", {"source": "s3://b/m"}),
        ("GET", "model-versions/get", {"name": name}),
        ("GET", "model-versions/get", {"version": "1"}),
        ("PATCH", "model-versions/update", {"name": name, "description": "x"}),
        ("DELETE", "model-versions/delete", {"name": name}),
        ("POST", "model-versions/transition-stage", {"name": name, "version": "1"}),
        ("POST", "model-versions/transition-stage", {"name": name, "stage": "Staging"}),
        ("POST", "model-versions/set-tag", {"name": name, "version": "1", "value": "v"}),
        ("DELETE", "model-versions/delete-tag", {"name": name, "version": "1"}),
        ("GET", "model-versions/get-download-uri", {"name": name}),
    ]
    for method, route, body in calls:
        if method == "GET":
            res = client.get(route, body)
        elif method == "POST":
            res = client.post(route, body)
        elif method == "PATCH":
            res = _patch(client, route, body)
        else:
            res = _delete(client, route, body)
        st, js = res
        assert st == 400 and js["error_code"] == "INVALID_PARAMETER_VALUE", (method, route, body, st, js)
    # nothing changed
    mv = _get_version(client, name, 1)
    assert mv["current_stage"] == "None" and tags_dict(mv) == {} and mv.get("aliases", []) == []


def test_wrong_typed_fields(client):
    """MLflow's handlers parse the body into the request proto; a type mismatch (e.g. a string where
    a list is expected) fails that parse and then the schema check -> 400 INVALID_PARAMETER_VALUE."""
    name = unique("types")
    _create_model(client, name)
    _create_version(client, name)
    _transition(client, name, 1, "Production")
    for route, body in (
            ("registered-models/create", {"name": 123}),
            ("registered-models/create", {"name": unique(), "tags": "team=vision"}),
            ("registered-models/create", {"name": unique(), "tags": [{"value": "no key"}]}),
            ("model-versions/create", {"name": name, "source": 5}),
            ("model-versions/create", {"name": name, "source": "s3://b/m", "tags": {"k": "v"}}),
            ("model-versions/transition-stage",
             {"name": name, "version": "1", "stage": "Staging", "archive_existing_versions": "yes"}),
    ):
        assert_error(client.post(route, body), "INVALID_PARAMETER_VALUE")
    assert _get_version(client, name, 1)["current_stage"] == "Production"
    assert _search_versions(client, filter=f"name = '{name}'")["model_versions"][0]["version"] == "1"
