# SPDX-License-Identifier: Apache-2.0
"""Model registry: registered models, model versions, stages, aliases, tags, search, the
`models:/` resolution route, concurrent version numbering and a full run -> registry -> download
hand-off through the artifact proxy.

Where MLflow 2.9's behaviour is not spelled out in docs/mlflow-rest-api.md, the expectation was
read from MLflow's own sources (mlflow/server/handlers.py, mlflow/store/model_registry/
sqlalchemy_store.py, mlflow/utils/validation.py, mlflow/utils/search_utils.py); such spots say
"MLflow:" in a comment.
"""
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mlhub_testlib import (API, ARTIFACTS, HTTP_TIMEOUT, Client, assert_error, now_ms, strict_json,
                           tags_dict, unique)

STAGES = ("None", "Staging", "Production", "Archived")


# ---------------------------------------------------------------------------------------------
# helpers


def _patch(c, route, body):
    """PATCH with a JSON body (registered-models/update, model-versions/update)."""
    r = c.session.patch(c.url(route), json=body, timeout=HTTP_TIMEOUT)
    return c._finish("PATCH", route, r)


def _delete(c, route, body):
    """DELETE with a JSON body, as the MLflow client sends every registry delete."""
    r = c.session.delete(c.url(route), json=body, timeout=HTTP_TIMEOUT)
    return c._finish("DELETE", route, r)


def _ok(result, what=""):
    st, js = result
    assert st == 200, f"{what} → {st} {js}"
    return js


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _create_model(c, name=None, **extra):
    body = {"name": name or unique("model")}
    body.update(extra)
    rm = c.ok_post("registered-models/create", body)["registered_model"]
    assert rm["name"] == body["name"], rm
    return rm


def _create_version(c, name, source=None, **extra):
    body = {"name": name, "source": source or f"s3://bucket/{uuid.uuid4().hex}/model"}
    body.update(extra)
    mv = c.ok_post("model-versions/create", body)["model_version"]
    assert mv["name"] == name and mv["status"] == "READY", mv
    return mv


def _get_model(c, name):
    return c.ok_get("registered-models/get", {"name": name})["registered_model"]


def _get_version(c, name, version):
    return c.ok_get("model-versions/get", {"name": name, "version": str(version)})["model_version"]


def _transition(c, name, version, stage, archive=False):
    return c.ok_post("model-versions/transition-stage", {
        "name": name, "version": str(version), "stage": stage,
        "archive_existing_versions": archive})["model_version"]


def _set_alias(c, name, alias, version):
    return c.ok_post("registered-models/alias", {"name": name, "alias": alias, "version": str(version)})


def _by_alias(c, name, alias):
    return c.get("registered-models/alias", {"name": name, "alias": alias})


def _aliases(rm) -> dict:
    """registered_model.aliases as {alias: version}."""
    out = {}
    for a in rm.get("aliases", []):
        assert set(a) <= {"alias", "version"} and isinstance(a["version"], str), a
        out[a["alias"]] = a["version"]
    return out


def _latest(rm) -> dict:
    """registered_model.latest_versions as {stage: version}."""
    out = {}
    for mv in rm.get("latest_versions", []):
        assert mv["current_stage"] not in out, f"two latest versions for stage {mv['current_stage']}: {rm}"
        out[mv["current_stage"]] = mv["version"]
    return out


def _latest_versions(c, name, stages=None, via_get=False):
    body = {"name": name}
    if stages is not None:
        body["stages"] = stages
    js = c.ok_get("registered-models/get-latest-versions", body) if via_get else \
        c.ok_post("registered-models/get-latest-versions", body)
    return {mv["current_stage"]: mv["version"] for mv in js.get("model_versions", [])}


def _search_models(c, **params):
    return c.ok_get("registered-models/search", params)


def _search_models_all(c, page_size, **params):
    out, token = [], None
    for _ in range(500):
        p = dict(params, max_results=page_size)
        if token:
            p["page_token"] = token
        js = _search_models(c, **p)
        page = js.get("registered_models", [])
        assert len(page) <= page_size, js
        out.extend(page)
        token = js.get("next_page_token")
        if not token:
            return out
    pytest.fail("registered-models/search paging does not terminate")


def _search_versions(c, **params):
    return c.ok_get("model-versions/search", params)


def _search_versions_all(c, page_size, **params):
    out, token = [], None
    for _ in range(500):
        p = dict(params, max_results=page_size)
        if token:
            p["page_token"] = token
        js = _search_versions(c, **p)
        page = js.get("model_versions", [])
        assert len(page) <= page_size, js
        out.extend(page)
        token = js.get("next_page_token")
        if not token:
            return out
    pytest.fail("model-versions/search paging does not terminate")


def _resolve(c, uri):
    return c.get("model-versions/resolve", {"uri": uri})


def _parallel(n, fn):
    """Runs fn(i) on n threads released together; returns the results in order, re-raising."""
    barrier = threading.Barrier(n)

    def body(i):
        barrier.wait(30)
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return [f.result() for f in [pool.submit(body, i) for i in range(n)]]


# ---------------------------------------------------------------------------------------------
# smoke over both prefixes (incl. PATCH / DELETE with JSON bodies)


def test_registry_smoke_both_prefixes(any_client):
    c = any_client
    name = unique("smoke")
    rm = _create_model(c, name, description="first", tags=[{"key": "team", "value": "vision"}])
    assert rm["description"] == "first"
    mv = _create_version(c, name, source="s3://bucket/smoke/model")
    assert mv["version"] == "1"
    assert _get_version(c, name, 1)["source"] == "s3://bucket/smoke/model"
    assert _ok(_patch(c, "registered-models/update", {"name": name, "description": "second"}),
               "PATCH registered-models/update")["registered_model"]["description"] == "second"
    assert _ok(_patch(c, "model-versions/update", {"name": name, "version": "1", "description": "v1"}),
               "PATCH model-versions/update")["model_version"]["description"] == "v1"
    assert _transition(c, name, 1, "Production")["current_stage"] == "Production"
    assert _set_alias(c, name, "champion", 1) == {}
    st, js = _by_alias(c, name, "champion")
    assert st == 200 and js["model_version"]["version"] == "1", (st, js)
    assert c.ok_get("model-versions/get-download-uri", {"name": name, "version": "1"}) == \
        {"artifact_uri": "s3://bucket/smoke/model"}
    assert _latest_versions(c, name) == {"Production": "1"}
    js = _search_models(c, filter=f"name = '{name}'")
    assert [m["name"] for m in js["registered_models"]] == [name]
    js = _search_versions(c, filter=f"name = '{name}'")
    assert [v["version"] for v in js["model_versions"]] == ["1"]
    assert _ok(_delete(c, "registered-models/alias", {"name": name, "alias": "champion"}), "DELETE alias") == {}
    assert _ok(_delete(c, "model-versions/delete", {"name": name, "version": "1"}), "DELETE version") == {}
    assert _ok(_delete(c, "registered-models/delete", {"name": name}), "DELETE model") == {}
    assert_error(c.get("registered-models/get", {"name": name}), "RESOURCE_DOES_NOT_EXIST")


# ---------------------------------------------------------------------------------------------
# registered models: create / get / update / rename / delete


def test_create_and_get_registered_model_shape(client):
    name = unique("shape")
    before = now_ms()
    rm = _create_model(client, name, description="a model",
                       tags=[{"key": "team", "value": "vision"}, {"key": "k 2", "value": ""}])
    after = now_ms()
    for f in ("creation_timestamp", "last_updated_timestamp"):
        assert _is_int(rm[f]) and before - 5000 <= rm[f] <= after + 5000, (f, rm)
    assert rm["description"] == "a model"
    assert tags_dict(rm) == {"team": "vision", "k 2": ""}
    assert rm.get("latest_versions", []) == [] and rm.get("aliases", []) == []
    got = _get_model(client, name)
    assert got["name"] == name and got["description"] == "a model"
    assert got["creation_timestamp"] == rm["creation_timestamp"]
    assert tags_dict(got) == {"team": "vision", "k 2": ""}


def test_registered_model_name_with_special_characters(client):
    name = unique("my model ü+&=?#%")
    _create_model(client, name)
    assert _get_model(client, name)["name"] == name
    mv = _create_version(client, name)
    assert _get_version(client, name, mv["version"])["name"] == name


def test_duplicate_registered_model_name(client):
    name = unique("dup")
    _create_model(client, name)
    assert_error(client.post("registered-models/create", {"name": name}), "RESOURCE_ALREADY_EXISTS")


def test_get_unknown_registered_model(client):
    assert_error(client.get("registered-models/get", {"name": unique("missing")}), "RESOURCE_DOES_NOT_EXIST")


def test_update_registered_model_description(client):
    name = unique("upd")
    rm = _create_model(client, name)
    js = _ok(_patch(client, "registered-models/update", {"name": name, "description": "new text"}), "update")
    assert js["registered_model"]["name"] == name
    assert js["registered_model"]["description"] == "new text"
    got = _get_model(client, name)
    assert got["description"] == "new text"
    assert got["last_updated_timestamp"] >= rm["last_updated_timestamp"]
    assert_error(_patch(client, "registered-models/update", {"name": unique("nope"), "description": "x"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_rename_keeps_versions_tags_and_aliases(client):
    old, new = unique("old"), unique("new")
    _create_model(client, old, tags=[{"key": "t", "value": "1"}])
    for _ in range(2):
        _create_version(client, old)
    client.ok_post("model-versions/set-tag", {"name": old, "version": "2", "key": "vt", "value": "x"})
    _transition(client, old, 2, "Staging")
    _set_alias(client, old, "champion", 1)
    js = client.ok_post("registered-models/rename", {"name": old, "new_name": new})
    assert js["registered_model"]["name"] == new
    assert_error(client.get("registered-models/get", {"name": old}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("model-versions/get", {"name": old, "version": "1"}), "RESOURCE_DOES_NOT_EXIST")
    rm = _get_model(client, new)
    assert tags_dict(rm) == {"t": "1"}
    assert _aliases(rm) == {"champion": "1"}
    assert _latest(rm) == {"None": "1", "Staging": "2"}
    assert all(mv["name"] == new for mv in rm["latest_versions"])
    v2 = _get_version(client, new, 2)
    assert v2["name"] == new and v2["current_stage"] == "Staging" and tags_dict(v2) == {"vt": "x"}
    st, js = _by_alias(client, new, "champion")
    assert st == 200 and js["model_version"]["version"] == "1" and js["model_version"]["name"] == new, js
    # numbering continues under the new name
    assert _create_version(client, new)["version"] == "3"
    found = _search_versions(client, filter=f"name = '{new}'").get("model_versions", [])
    assert sorted(v["version"] for v in found) == ["1", "2", "3"]
    assert _search_versions(client, filter=f"name = '{old}'").get("model_versions", []) == []


def test_rename_onto_existing_name(client):
    a, b = unique("a"), unique("b")
    _create_model(client, a)
    _create_model(client, b)
    _create_version(client, b)
    assert_error(client.post("registered-models/rename", {"name": b, "new_name": a}), "RESOURCE_ALREADY_EXISTS")
    assert _get_model(client, b)["name"] == b
    assert _get_version(client, b, 1)["name"] == b
    assert_error(client.post("registered-models/rename", {"name": unique("nope"), "new_name": unique()}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_delete_registered_model_deletes_versions(client):
    name = unique("del")
    _create_model(client, name, tags=[{"key": "k", "value": "v"}])
    for _ in range(3):
        _create_version(client, name)
    _set_alias(client, name, "champion", 2)
    assert _ok(_delete(client, "registered-models/delete", {"name": name}), "delete") == {}
    assert_error(client.get("registered-models/get", {"name": name}), "RESOURCE_DOES_NOT_EXIST")
    for v in ("1", "2", "3"):
        assert_error(client.get("model-versions/get", {"name": name, "version": v}), "RESOURCE_DOES_NOT_EXIST")
        assert_error(client.get("model-versions/get-download-uri", {"name": name, "version": v}),
                     "RESOURCE_DOES_NOT_EXIST")
    assert _search_versions(client, filter=f"name = '{name}'").get("model_versions", []) == []
    assert _search_models(client, filter=f"name = '{name}'").get("registered_models", []) == []
    assert_error(_delete(client, "registered-models/delete", {"name": name}), "RESOURCE_DOES_NOT_EXIST")
    # the name is free again; MLflow deletes the versions with the model, so numbering restarts
    rm = _create_model(client, name)
    assert tags_dict(rm) == {} and _aliases(rm) == {}
    assert _create_version(client, name)["version"] == "1"
    assert _get_model(client, name).get("aliases", []) == []


# ---------------------------------------------------------------------------------------------
# registered model tags


def test_registered_model_tags(client):
    name = unique("tags")
    _create_model(client, name, tags=[{"key": "a", "value": "1"}])
    assert client.ok_post("registered-models/set-tag", {"name": name, "key": "b", "value": "2"}) == {}
    assert client.ok_post("registered-models/set-tag", {"name": name, "key": "a", "value": "overwritten"}) == {}
    assert tags_dict(_get_model(client, name)) == {"a": "overwritten", "b": "2"}
    assert _ok(_delete(client, "registered-models/delete-tag", {"name": name, "key": "a"}), "delete-tag") == {}
    assert tags_dict(_get_model(client, name)) == {"b": "2"}
    # MLflow (SqlAlchemyStore.delete_registered_model_tag): a missing tag on an existing model is a no-op
    assert _ok(_delete(client, "registered-models/delete-tag", {"name": name, "key": "never-set"}),
               "delete missing tag") == {}
    assert tags_dict(_get_model(client, name)) == {"b": "2"}
    assert_error(client.post("registered-models/set-tag", {"name": unique("nope"), "key": "k", "value": "v"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_delete(client, "registered-models/delete-tag", {"name": unique("nope"), "key": "k"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_registry_tag_validation(client):
    name = unique("tagval")
    _create_model(client, name)
    _create_version(client, name)
    # registry tags: key <= 250, value <= 5000 (MLflow: _validate_registered_model_tag /
    # _validate_model_version_tag)
    client.ok_post("registered-models/set-tag", {"name": name, "key": "k" * 250, "value": "v" * 5000})
    client.ok_post("model-versions/set-tag", {"name": name, "version": "1", "key": "k" * 250, "value": "v" * 5000})
    assert_error(client.post("registered-models/set-tag", {"name": name, "key": "k" * 251, "value": "v"}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("registered-models/set-tag", {"name": name, "key": "k", "value": "v" * 5001}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("model-versions/set-tag",
                             {"name": name, "version": "1", "key": "k", "value": "v" * 5001}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("registered-models/set-tag", {"name": name, "key": "", "value": "v"}),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("registered-models/create",
                             {"name": unique("tv"), "tags": [{"key": "k" * 251, "value": "v"}]}),
                 "INVALID_PARAMETER_VALUE")
    assert tags_dict(_get_model(client, name)) == {"k" * 250: "v" * 5000}


# ---------------------------------------------------------------------------------------------
# model versions


def test_create_model_version_shape(client, run):
    name = unique("mvshape")
    rm = _create_model(client, name)
    rid = run["info"]["run_id"]
    source = f"runs:/{rid}/model"
    before = now_ms()
    mv = _create_version(client, name, source=source, run_id=rid, tags=[{"key": "k", "value": "v"}])
    after = now_ms()
    assert mv["version"] == "1" and isinstance(mv["version"], str)
    assert mv["status"] == "READY"
    assert mv["current_stage"] == "None"
    assert mv["source"] == source
    assert mv["run_id"] == rid
    # unset strings come back as "" on a fresh version (verified on MLflow 2.9, see the API doc)
    assert mv["description"] == ""
    assert mv["run_link"] == ""
    assert tags_dict(mv) == {"k": "v"}
    assert mv.get("aliases", []) == []
    for f in ("creation_timestamp", "last_updated_timestamp"):
        assert _is_int(mv[f]) and before - 5000 <= mv[f] <= after + 5000, (f, mv)
    got = _get_version(client, name, 1)
    for f in ("name", "version", "creation_timestamp", "current_stage", "source", "run_id", "status"):
        assert got[f] == mv[f], (f, got, mv)
    assert tags_dict(got) == {"k": "v"}
    # creating a version touches the registered model and shows up in latest_versions
    rm2 = _get_model(client, name)
    assert rm2["last_updated_timestamp"] >= rm["last_updated_timestamp"]
    assert _latest(rm2) == {"None": "1"}


def test_create_model_version_with_description_and_run_link(client):
    name = unique("mvdesc")
    _create_model(client, name)
    mv = _create_version(client, name, description="trained on X", run_link="http://example.com/run/1")
    assert mv["description"] == "trained on X" and mv["run_link"] == "http://example.com/run/1"
    got = _get_version(client, name, mv["version"])
    assert got["description"] == "trained on X" and got["run_link"] == "http://example.com/run/1"


def test_create_model_version_unknown_model(client):
    assert_error(client.post("model-versions/create", {"name": unique("nope"), "source": "s3://b/m"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_version_numbers_per_model_never_reused(client):
    a, b = unique("num-a"), unique("num-b")
    _create_model(client, a)
    _create_model(client, b)
    assert [_create_version(client, a)["version"] for _ in range(3)] == ["1", "2", "3"]
    assert _create_version(client, b)["version"] == "1", "version numbers are per model"
    # deleting the newest version does not free its number (verified on MLflow 2.9)
    _ok(_delete(client, "model-versions/delete", {"name": a, "version": "3"}), "delete v3")
    assert _create_version(client, a)["version"] == "4"
    _ok(_delete(client, "model-versions/delete", {"name": a, "version": "2"}), "delete v2")
    assert _create_version(client, a)["version"] == "5"
    assert _create_version(client, b)["version"] == "2"
    listed = _search_versions(client, filter=f"name = '{a}'").get("model_versions", [])
    assert sorted(int(v["version"]) for v in listed) == [1, 4, 5]


def test_get_unknown_or_malformed_version(client):
    name = unique("mvget")
    _create_model(client, name)
    _create_version(client, name)
    assert_error(client.get("model-versions/get", {"name": name, "version": "2"}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("model-versions/get", {"name": unique("nope"), "version": "1"}),
                 "RESOURCE_DOES_NOT_EXIST")
    # MLflow: _validate_model_version -> "Parameter 'version' must be an integer" (400)
    assert_error(client.get("model-versions/get", {"name": name, "version": "abc"}), "INVALID_PARAMETER_VALUE")


def test_update_model_version(client):
    name = unique("mvupd")
    _create_model(client, name)
    mv = _create_version(client, name)
    js = _ok(_patch(client, "model-versions/update", {"name": name, "version": "1", "description": "better"}),
             "update")
    assert js["model_version"]["description"] == "better" and js["model_version"]["version"] == "1"
    got = _get_version(client, name, 1)
    assert got["description"] == "better"
    assert got["source"] == mv["source"] and got["current_stage"] == "None"
    assert got["last_updated_timestamp"] >= mv["last_updated_timestamp"]
    assert_error(_patch(client, "model-versions/update", {"name": name, "version": "9", "description": "x"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_patch(client, "model-versions/update", {"name": name, "description": "x"}),
                 "INVALID_PARAMETER_VALUE")


def test_delete_model_version(client):
    name = unique("mvdel")
    _create_model(client, name)
    for _ in range(2):
        _create_version(client, name)
    _transition(client, name, 2, "Production")
    assert _ok(_delete(client, "model-versions/delete", {"name": name, "version": "2"}), "delete") == {}
    assert_error(client.get("model-versions/get", {"name": name, "version": "2"}), "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("model-versions/get-download-uri", {"name": name, "version": "2"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_delete(client, "model-versions/delete", {"name": name, "version": "2"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_delete(client, "model-versions/delete", {"name": name, "version": "77"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_delete(client, "model-versions/delete", {"name": unique("nope"), "version": "1"}),
                 "RESOURCE_DOES_NOT_EXIST")
    # a deleted version leaves latest_versions, get-latest-versions and searches
    assert _latest(_get_model(client, name)) == {"None": "1"}
    assert _latest_versions(client, name) == {"None": "1"}
    assert [v["version"] for v in _search_versions(client, filter=f"name = '{name}'")["model_versions"]] == ["1"]
    assert_error(client.post("model-versions/transition-stage", {
        "name": name, "version": "2", "stage": "Staging", "archive_existing_versions": False}),
        "RESOURCE_DOES_NOT_EXIST")


def test_model_version_tags(client):
    name = unique("mvtags")
    _create_model(client, name)
    _create_version(client, name, tags=[{"key": "a", "value": "1"}])
    _create_version(client, name)
    assert client.ok_post("model-versions/set-tag", {"name": name, "version": "1", "key": "b", "value": "2"}) == {}
    assert client.ok_post("model-versions/set-tag", {"name": name, "version": "1", "key": "a", "value": "3"}) == {}
    assert tags_dict(_get_version(client, name, 1)) == {"a": "3", "b": "2"}
    assert tags_dict(_get_version(client, name, 2)) == {}, "tags are per version"
    assert _ok(_delete(client, "model-versions/delete-tag", {"name": name, "version": "1", "key": "a"}),
               "delete-tag") == {}
    assert tags_dict(_get_version(client, name, 1)) == {"b": "2"}
    # MLflow (SqlAlchemyStore.delete_model_version_tag): a missing tag is a no-op
    assert _ok(_delete(client, "model-versions/delete-tag", {"name": name, "version": "1", "key": "zzz"}),
               "delete missing tag") == {}
    assert_error(client.post("model-versions/set-tag", {"name": name, "version": "5", "key": "k", "value": "v"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_delete(client, "model-versions/delete-tag", {"name": name, "version": "5", "key": "b"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("model-versions/set-tag",
                             {"name": unique("nope"), "version": "1", "key": "k", "value": "v"}),
                 "RESOURCE_DOES_NOT_EXIST")


# ---------------------------------------------------------------------------------------------
# sources and download URIs


def test_runs_source_kept_verbatim_and_download_uri(client, run):
    name = unique("src")
    _create_model(client, name)
    rid = run["info"]["run_id"]
    exp = run["info"]["experiment_id"]
    sources = [f"runs:/{rid}/model",
               f"mlflow-artifacts:/{exp}/{rid}/artifacts/model",
               "s3://my-bucket/path/to/model"]
    for i, src in enumerate(sources, start=1):
        mv = _create_version(client, name, source=src, run_id=rid)
        assert mv["version"] == str(i) and mv["source"] == src
        assert _get_version(client, name, i)["source"] == src
        # for runs:/ the download URI is that same runs:/ URI (verified on MLflow 2.9)
        assert client.ok_get("model-versions/get-download-uri", {"name": name, "version": str(i)}) == \
            {"artifact_uri": src}
    assert_error(client.get("model-versions/get-download-uri", {"name": name, "version": "99"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("model-versions/get-download-uri", {"name": unique("nope"), "version": "1"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_source_with_traversal_rejected(client, run):
    """MLflow (handlers._validate_source): relative path references in a non-local source and a local
    path without a run whose artifact dir contains it are refused with INVALID_PARAMETER_VALUE."""
    name = unique("badsrc")
    _create_model(client, name)
    rid = run["info"]["run_id"]
    exp = run["info"]["experiment_id"]
    for src in (f"mlflow-artifacts:/{exp}/{rid}/artifacts/../../../../etc",
                "mlflow-artifacts:/0/..%2f..%2f..%2fetc",
                f"runs:/{rid}/../../other",
                "/etc/passwd"):
        assert_error(client.post("model-versions/create", {"name": name, "source": src}),
                     "INVALID_PARAMETER_VALUE")
    assert _search_versions(client, filter=f"name = '{name}'").get("model_versions", []) == []


# ---------------------------------------------------------------------------------------------
# stages


def test_transition_stage_canonicalises_case(client):
    name = unique("stage")
    _create_model(client, name)
    _create_version(client, name)
    for given, canonical in (("staging", "Staging"), ("PRODUCTION", "Production"), ("archived", "Archived"),
                             ("none", "None"), ("Staging", "Staging"), ("pRoDuCtIoN", "Production")):
        mv = _transition(client, name, 1, given)
        assert mv["current_stage"] == canonical, (given, mv)
        assert mv["version"] == "1" and mv["name"] == name
        assert _get_version(client, name, 1)["current_stage"] == canonical


def test_transition_to_same_stage_is_allowed(client):
    # MLflow's transition_model_version_stage has no "already in that stage" check
    name = unique("same")
    _create_model(client, name)
    _create_version(client, name)
    _transition(client, name, 1, "Staging")
    assert _transition(client, name, 1, "Staging")["current_stage"] == "Staging"
    assert _transition(client, name, 1, "None")["current_stage"] == "None"
    assert _transition(client, name, 1, "None")["current_stage"] == "None"


def test_bad_stage_rejected(client):
    name = unique("badstage")
    _create_model(client, name)
    _create_version(client, name)
    for bad in ("Prod", "deleted", "Deleted_Internal", "production ", "", "1"):
        assert_error(client.post("model-versions/transition-stage", {
            "name": name, "version": "1", "stage": bad, "archive_existing_versions": False}),
            "INVALID_PARAMETER_VALUE")
    assert _get_version(client, name, 1)["current_stage"] == "None"
    assert_error(client.post("registered-models/get-latest-versions", {"name": name, "stages": ["Prod"]}),
                 "INVALID_PARAMETER_VALUE")


def test_archive_existing_versions(client):
    name = unique("archive")
    _create_model(client, name)
    for _ in range(4):
        _create_version(client, name)
    _transition(client, name, 1, "Production")
    _transition(client, name, 2, "Production")
    _transition(client, name, 3, "Staging")
    # without the flag, several versions share a stage; latest_versions shows the newest
    assert _latest(_get_model(client, name)) == {"Production": "2", "Staging": "3", "None": "4"}
    mv = _transition(client, name, 4, "production", archive=True)
    assert mv["current_stage"] == "Production"
    stages = {v: _get_version(client, name, v)["current_stage"] for v in (1, 2, 3, 4)}
    assert stages == {1: "Archived", 2: "Archived", 3: "Staging", 4: "Production"}, \
        "only versions in the target stage are archived"
    assert _latest(_get_model(client, name)) == {"Archived": "2", "Staging": "3", "Production": "4"}
    # archiving into Staging moves v3 only
    _transition(client, name, 1, "Staging", archive=True)
    stages = {v: _get_version(client, name, v)["current_stage"] for v in (1, 2, 3, 4)}
    assert stages == {1: "Staging", 2: "Archived", 3: "Archived", 4: "Production"}


def test_latest_versions_per_stage(client):
    name = unique("latest")
    _create_model(client, name)
    for _ in range(6):
        _create_version(client, name)
    _transition(client, name, 1, "Production")
    _transition(client, name, 2, "Production")
    _transition(client, name, 3, "Staging")
    _transition(client, name, 4, "Archived")
    # 5 and 6 stay in None
    want = {"Production": "2", "Staging": "3", "Archived": "4", "None": "6"}
    assert _latest(_get_model(client, name)) == want
    assert _latest_versions(client, name) == want
    assert _latest_versions(client, name, []) == want
    # MLflow: stages are canonicalised, and "None" is a stage you can ask for
    assert _latest_versions(client, name, ["None"]) == {"None": "6"}
    assert _latest_versions(client, name, ["production", "STAGING"]) == {"Production": "2", "Staging": "3"}
    assert _latest_versions(client, name, ["Archived"]) == {"Archived": "4"}
    # GET with a query string: none, one (a single occurrence is a one-element list), repeated
    assert _latest_versions(client, name, via_get=True) == want
    assert _latest_versions(client, name, ["Production"], via_get=True) == {"Production": "2"}
    assert _latest_versions(client, name, ["Production", "None"], via_get=True) == {"Production": "2", "None": "6"}
    q = f"name={urllib.parse.quote(name)}"
    for form in ("stages%5B%5D=Production", "stages%5B0%5D=Production", "stages=Production"):
        st, js = client.get_raw_query("registered-models/get-latest-versions", f"{q}&{form}")
        assert st == 200 and [mv["version"] for mv in js.get("model_versions", [])] == ["2"], (form, st, js)
    st, js = client.get_raw_query("registered-models/get-latest-versions",
                                  f"{q}&stages%5B0%5D=Production&stages%5B1%5D=Staging")
    assert st == 200 and sorted(mv["version"] for mv in js.get("model_versions", [])) == ["2", "3"], js
    js = client.ok_post("registered-models/get-latest-versions", {"name": name, "stages": ["Staging"]})
    (mv,) = js["model_versions"]
    assert mv["name"] == name and mv["version"] == "3" and mv["status"] == "READY" and mv["source"]
    assert_error(client.post("registered-models/get-latest-versions", {"name": unique("nope")}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.get("registered-models/get-latest-versions", {"name": unique("nope")}),
                 "RESOURCE_DOES_NOT_EXIST")
    empty = unique("empty")
    _create_model(client, empty)
    assert client.ok_post("registered-models/get-latest-versions", {"name": empty}).get("model_versions", []) == []


# ---------------------------------------------------------------------------------------------
# aliases


def test_alias_set_get_move_delete(client):
    name = unique("alias")
    _create_model(client, name)
    for _ in range(3):
        _create_version(client, name)
    assert _set_alias(client, name, "champion", 1) == {}
    st, js = _by_alias(client, name, "champion")
    assert st == 200, js
    mv = js["model_version"]
    assert mv["name"] == name and mv["version"] == "1" and mv["status"] == "READY"
    assert mv["aliases"] == ["champion"]
    assert _get_version(client, name, 1)["aliases"] == ["champion"]
    assert _aliases(_get_model(client, name)) == {"champion": "1"}

    # moving the alias: it points at exactly one version afterwards
    _set_alias(client, name, "champion", 3)
    assert _by_alias(client, name, "champion")[1]["model_version"]["version"] == "3"
    assert _get_version(client, name, 1).get("aliases", []) == []
    assert _get_version(client, name, 3)["aliases"] == ["champion"]
    assert _aliases(_get_model(client, name)) == {"champion": "3"}

    # several aliases on one version, one more elsewhere
    _set_alias(client, name, "challenger", 3)
    _set_alias(client, name, "baseline", 1)
    assert sorted(_get_version(client, name, 3)["aliases"]) == ["challenger", "champion"]
    assert _get_version(client, name, 1)["aliases"] == ["baseline"]
    assert _aliases(_get_model(client, name)) == {"champion": "3", "challenger": "3", "baseline": "1"}
    # setting the same alias on the same version again is fine
    _set_alias(client, name, "champion", 3)
    assert _aliases(_get_model(client, name)) == {"champion": "3", "challenger": "3", "baseline": "1"}

    assert _ok(_delete(client, "registered-models/alias", {"name": name, "alias": "champion"}), "delete") == {}
    assert _aliases(_get_model(client, name)) == {"challenger": "3", "baseline": "1"}
    assert _get_version(client, name, 3)["aliases"] == ["challenger"]
    # MLflow: delete_registered_model_alias on an alias that is not set is a no-op (model must exist)
    assert _ok(_delete(client, "registered-models/alias", {"name": name, "alias": "champion"}),
               "delete again") == {}
    assert_error(_delete(client, "registered-models/alias", {"name": unique("nope"), "alias": "champion"}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_unknown_alias(client):
    name = unique("noalias")
    _create_model(client, name)
    _create_version(client, name)
    # MLflow (SqlAlchemyStore.get_model_version_by_alias) answers an alias that is not set with
    # 400 INVALID_PARAMETER_VALUE "Registered model alias <alias> not found." -- not a 404; user code
    # matches on exactly this code and message.
    assert_error(_by_alias(client, name, "ghost"), "INVALID_PARAMETER_VALUE",
                 contains="Registered model alias ghost not found")
    # an unknown model: MLflow answers the same 400 (it only looks the alias up); a 404 is accepted too
    st, js = _by_alias(client, unique("nope"), "ghost")
    assert (st, js["error_code"]) in ((400, "INVALID_PARAMETER_VALUE"), (404, "RESOURCE_DOES_NOT_EXIST")), (st, js)


def test_alias_on_unknown_version_or_model(client):
    name = unique("aliasbad")
    _create_model(client, name)
    _create_version(client, name)
    assert_error(client.post("registered-models/alias", {"name": name, "alias": "champion", "version": "2"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("registered-models/alias",
                             {"name": unique("nope"), "alias": "champion", "version": "1"}),
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(client.post("registered-models/alias", {"name": name, "alias": "champion", "version": "x"}),
                 "INVALID_PARAMETER_VALUE")
    assert _get_model(client, name).get("aliases", []) == []


@pytest.mark.parametrize("alias", ["latest", "LATEST", "Latest", "v3", "V12", "v0", "a/b", "has space",
                                   "dot.ted", "at@sign", "x" * 256])
def test_invalid_alias_names(client, alias):
    name = unique("aliasname")
    _create_model(client, name)
    _create_version(client, name)
    assert_error(client.post("registered-models/alias", {"name": name, "alias": alias, "version": "1"}),
                 "INVALID_PARAMETER_VALUE")
    assert _get_model(client, name).get("aliases", []) == []


def test_valid_alias_name_edge_cases(client):
    # MLflow: alias matches ^[\w\-]*$, <= 255 chars, not latest, not ^[vV]\d+$
    name = unique("aliasok")
    _create_model(client, name)
    _create_version(client, name)
    good = ["champion", "v3a", "ver2", "x-y_z", "Champion2", "a" * 255]
    for a in good:
        _set_alias(client, name, a, 1)
    assert _aliases(_get_model(client, name)) == {a: "1" for a in good}
    assert sorted(_get_version(client, name, 1)["aliases"]) == sorted(good)
    assert _by_alias(client, name, "a" * 255)[1]["model_version"]["version"] == "1"


def test_deleting_version_drops_its_aliases(client):
    name = unique("aliasdel")
    _create_model(client, name)
    for _ in range(2):
        _create_version(client, name)
    _set_alias(client, name, "champion", 2)
    _set_alias(client, name, "shadow", 2)
    _set_alias(client, name, "stable", 1)
    _ok(_delete(client, "model-versions/delete", {"name": name, "version": "2"}), "delete v2")
    assert _aliases(_get_model(client, name)) == {"stable": "1"}
    st, js = _by_alias(client, name, "champion")
    # (the exact error for an alias that is not set is test_unknown_alias's business)
    assert (st, js["error_code"]) in ((400, "INVALID_PARAMETER_VALUE"), (404, "RESOURCE_DOES_NOT_EXIST")), (st, js)
    assert "champion" not in _get_version(client, name, 1).get("aliases", [])
    # the freed alias can be set again, on another version
    _set_alias(client, name, "champion", 1)
    assert _aliases(_get_model(client, name)) == {"stable": "1", "champion": "1"}
    # the next version does not inherit anything
    mv = _create_version(client, name)
    assert mv["version"] == "3" and mv.get("aliases", []) == []


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


# ---------------------------------------------------------------------------------------------
# models:/ resolution (mlhub's own route for the serving side)


def _check_resolved(res, name, version, source, resolved=None):
    """`artifact_uri` is the version's source, except for a runs:/ source: then it is the run's own
    artifact location of that path (`resolved`), which is what the source points at."""
    st, js = res
    assert st == 200, (st, js)
    assert js["artifact_uri"] == (resolved or source), js
    mv = js["model_version"]
    assert mv["name"] == name and mv["version"] == version and mv["source"] == source, js
    assert mv["status"] == "READY"
    return js


def test_resolve_models_uri(client):
    name = unique("resolve")
    _create_model(client, name)
    srcs = {str(i): f"s3://bucket/{name}/v{i}" for i in range(1, 5)}
    for i in range(1, 5):
        _create_version(client, name, source=srcs[str(i)])
    _transition(client, name, 1, "Production")
    _transition(client, name, 2, "Production")
    _transition(client, name, 3, "Staging")
    _set_alias(client, name, "champion", 1)

    _check_resolved(_resolve(client, f"models:/{name}/3"), name, "3", srcs["3"])
    _check_resolved(_resolve(client, f"models:/{name}/1"), name, "1", srcs["1"])
    _check_resolved(_resolve(client, f"models:/{name}/Production"), name, "2", srcs["2"])
    _check_resolved(_resolve(client, f"models:/{name}/production"), name, "2", srcs["2"])
    _check_resolved(_resolve(client, f"models:/{name}/Staging"), name, "3", srcs["3"])
    _check_resolved(_resolve(client, f"models:/{name}/None"), name, "4", srcs["4"])
    _check_resolved(_resolve(client, f"models:/{name}/latest"), name, "4", srcs["4"])
    js = _check_resolved(_resolve(client, f"models:/{name}@champion"), name, "1", srcs["1"])
    assert js["model_version"].get("aliases", []) == ["champion"]

    # the alias moves -> the resolution follows
    _set_alias(client, name, "champion", 3)
    _check_resolved(_resolve(client, f"models:/{name}@champion"), name, "3", srcs["3"])
    # latest skips a deleted newest version
    _ok(_delete(client, "model-versions/delete", {"name": name, "version": "4"}), "delete v4")
    _check_resolved(_resolve(client, f"models:/{name}/latest"), name, "3", srcs["3"])


def test_resolve_runs_source_returns_the_runs_uri(client, run):
    name = unique("resolveruns")
    _create_model(client, name)
    rid = run["info"]["run_id"]
    _create_version(client, name, source=f"runs:/{rid}/model", run_id=rid)
    _set_alias(client, name, "champion", 1)
    resolved = client.get_run(rid)["info"]["artifact_uri"] + "/model"
    js = _check_resolved(_resolve(client, f"models:/{name}@champion"), name, "1", f"runs:/{rid}/model", resolved)
    assert js["model_version"]["run_id"] == rid
    assert js["model_version"]["source"] == f"runs:/{rid}/model", "the version keeps its source verbatim"
    _create_version(client, name, source=f"runs:/{rid}", run_id=rid)
    _check_resolved(_resolve(client, f"models:/{name}/2"), name, "2", f"runs:/{rid}",
                    client.get_run(rid)["info"]["artifact_uri"])


def test_resolve_unknown_is_404(client):
    name = unique("resolve404")
    _create_model(client, name)
    _create_version(client, name)
    for uri in (f"models:/{unique('nope')}/1", f"models:/{unique('nope')}@champion",
                f"models:/{unique('nope')}/latest", f"models:/{unique('nope')}/Production",
                f"models:/{name}/7", f"models:/{name}@ghost", f"models:/{name}/Staging"):
        assert_error(_resolve(client, uri), "RESOURCE_DOES_NOT_EXIST")
    _ok(_delete(client, "model-versions/delete", {"name": name, "version": "1"}), "delete v1")
    assert_error(_resolve(client, f"models:/{name}/1"), "RESOURCE_DOES_NOT_EXIST")
    assert_error(_resolve(client, f"models:/{name}/latest"), "RESOURCE_DOES_NOT_EXIST")


def test_resolve_malformed_uri_is_400(client):
    name = unique("resolve400")
    _create_model(client, name)
    _create_version(client, name)
    for uri in ("", "models:/", "models:", f"runs:/{uuid.uuid4().hex}/model", f"s3://bucket/{name}",
                f"models:/{name}", f"models:/{name}/", f"models:/{name}/1/extra", f"models:/{name}@",
                f"models:/{name}/NotAStage", f"{name}/1"):
        assert_error(_resolve(client, uri), "INVALID_PARAMETER_VALUE")
    assert_error(client.get("model-versions/resolve", {}), "INVALID_PARAMETER_VALUE")


# ---------------------------------------------------------------------------------------------
# concurrency


def test_parallel_version_creates_get_distinct_numbers(server, client):
    name = unique("race")
    _create_model(client, name)
    threads, per = 8, 25

    def work(t):
        c = Client(server.url, API)
        return [int(_create_version(c, name, source=f"s3://b/{t}/{i}")["version"]) for i in range(per)]

    results = _parallel(threads, work)
    got = [v for chunk in results for v in chunk]
    assert len(got) == threads * per
    assert sorted(got) == list(range(1, threads * per + 1)), "duplicate or skipped version numbers"
    for chunk in results:
        assert chunk == sorted(chunk), "one client's versions must increase"
    listed = _search_versions_all(client, 50, filter=f"name = '{name}'")
    assert sorted(int(v["version"]) for v in listed) == list(range(1, threads * per + 1))
    # every version keeps its own source
    by_version = {int(v["version"]): v["source"] for v in listed}
    for t, chunk in enumerate(results):
        for i, v in enumerate(chunk):
            assert by_version[v] == f"s3://b/{t}/{i}"
    assert _latest(_get_model(client, name)) == {"None": str(threads * per)}


def test_parallel_create_same_registered_model_name(server, client):
    name = unique("namerace")
    results = _parallel(8, lambda t: Client(server.url, API).post("registered-models/create", {"name": name}))
    oks = [js for st, js in results if st == 200]
    assert len(oks) == 1, results
    assert all(st == 400 and js["error_code"] == "RESOURCE_ALREADY_EXISTS" for st, js in results if st != 200), \
        results
    assert _get_model(client, name)["name"] == name


def test_parallel_alias_moves_leave_one_target(server, client):
    name = unique("aliasrace")
    _create_model(client, name)
    for _ in range(8):
        _create_version(client, name)

    def work(t):
        c = Client(server.url, API)
        for _ in range(10):
            _set_alias(c, name, "champion", t + 1)

    _parallel(8, work)
    al = _aliases(_get_model(client, name))
    assert set(al) == {"champion"}, al
    winner = al["champion"]
    holders = [v for v in range(1, 9) if "champion" in _get_version(client, name, v).get("aliases", [])]
    assert holders == [int(winner)], f"the alias is on {holders}, the model says {winner}"
    assert _by_alias(client, name, "champion")[1]["model_version"]["version"] == winner


@pytest.mark.timeout_s(180)
def test_two_servers_one_postgres_version_numbers(server_factory, pg_database):
    uri = pg_database("reg")
    servers = [server_factory(backend_uri=uri), server_factory(backend_uri=uri)]
    for s in servers:
        s.spawn()
    for s in servers:
        s.wait_ready(30)
    c0, c1 = Client(servers[0].url), Client(servers[1].url)
    name = unique("pgrace")
    _create_model(c0, name)
    assert _get_model(c1, name)["name"] == name
    threads, per = 16, 25

    def work(t):
        c = Client(servers[t % 2].url)
        return [int(_create_version(c, name, source=f"s3://b/{t}/{i}")["version"]) for i in range(per)]

    got = [v for chunk in _parallel(threads, work) for v in chunk]
    assert sorted(got) == list(range(1, threads * per + 1)), "two processes handed out the same number"
    for c in (c0, c1):
        listed = _search_versions_all(c, 100, filter=f"name = '{name}'")
        assert sorted(int(v["version"]) for v in listed) == list(range(1, threads * per + 1))
        assert _latest(_get_model(c, name)) == {"None": str(threads * per)}
    # an alias set through one process is seen (and moved) through the other
    _set_alias(c0, name, "champion", 7)
    assert _by_alias(c1, name, "champion")[1]["model_version"]["version"] == "7"
    _set_alias(c1, name, "champion", 9)
    assert _aliases(_get_model(c0, name)) == {"champion": "9"}
    # the same registered-model name from both processes: exactly one wins
    race = unique("pgname")
    results = _parallel(8, lambda t: Client(servers[t % 2].url).post("registered-models/create", {"name": race}))
    assert sum(st == 200 for st, _ in results) == 1, results
    assert all(js["error_code"] == "RESOURCE_ALREADY_EXISTS" for st, js in results if st != 200), results
    for s in servers:
        assert s.terminate() == 0, s.log()


# ---------------------------------------------------------------------------------------------
# the full hand-off: run -> artifact proxy -> registry -> models:/ -> download


def _proxy_path(artifact_uri):
    """mlflow-artifacts:/<exp>/<run>/artifacts (optionally with a host) -> <exp>/<run>/artifacts."""
    parsed = urllib.parse.urlparse(artifact_uri)
    assert parsed.scheme == "mlflow-artifacts", artifact_uri
    return parsed.path.lstrip("/")


def _list_dir(server, path):
    r = requests.get(f"{server.url}{ARTIFACTS}", params={"path": path}, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)
    return strict_json(r.text).get("files", [])


def _download_tree(server, path):
    """What the MLflow client does: list a directory, recurse into sub-directories, GET each file."""
    out = {}
    for f in _list_dir(server, path):
        child = f"{path}/{f['path']}"
        if f["is_dir"]:
            for k, v in _download_tree(server, child).items():
                out[f"{f['path']}/{k}"] = v
        else:
            r = requests.get(f"{server.url}{ARTIFACTS}/{urllib.parse.quote(child)}", timeout=30)
            assert r.status_code == 200, (child, r.status_code)
            assert len(r.content) == f["file_size"], (child, f)
            out[f["path"]] = r.content
    return out


def test_full_hand_off_run_to_registry_to_download(server, client):
    exp = client.create_experiment(unique("handoff"))
    run = client.create_run(exp)
    rid = run["info"]["run_id"]
    base = _proxy_path(run["info"]["artifact_uri"])
    assert base == f"{exp}/{rid}/artifacts"
    files = {
        "MLmodel": (b"artifact_path: model\nflavors:\n  mlhub_json:\n    data: model.json\n"
                    b"run_id: " + rid.encode() + b"\nutc_time_created: '2024-01-01 00:00:00.000000'\n"),
        "model.json": b'{"weights": [0.5, -1.25, 3.0], "bias": 0.1}\n',
        "data/nested/blob.bin": bytes(range(256)) * 17,
        "requirements.txt": b"",
    }
    for rel, data in files.items():
        r = requests.put(f"{server.url}{ARTIFACTS}/{base}/model/{rel}", data=data,
                         headers={"Content-Type": "application/octet-stream"}, timeout=30)
        assert r.status_code == 200, (rel, r.status_code, r.text)
    client.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": now_ms()})

    name = unique("handoff-model")
    st, js = client.post("registered-models/create", {"name": name})
    assert st == 200, js
    # register_model() tolerates an existing name
    assert_error(client.post("registered-models/create", {"name": name}), "RESOURCE_ALREADY_EXISTS")
    source = f"runs:/{rid}/model"
    mv = _create_version(client, name, source=source, run_id=rid)
    assert mv["version"] == "1" and mv["status"] == "READY" and mv["source"] == source
    # the client polls model-versions/get until READY
    assert _get_version(client, name, 1)["status"] == "READY"
    _set_alias(client, name, "champion", 1)

    # the serving side: models:/name@champion -> the source (or, for runs:/, the run's location)
    run_location = f"{client.get_run(rid)['info']['artifact_uri']}/model"
    st, js = _resolve(client, f"models:/{name}@champion")
    assert st == 200, js
    assert js["model_version"]["version"] == "1" and js["model_version"]["source"] == source, js
    assert js["artifact_uri"] in (source, run_location), js
    if js["artifact_uri"] == run_location:
        assert _download_tree(server, _proxy_path(run_location)) == files
    # the MLflow client's own path: registered-models/alias, then get-download-uri
    st, js = _by_alias(client, name, "champion")
    assert st == 200 and js["model_version"]["source"] == source, js
    uri = client.ok_get("model-versions/get-download-uri", {"name": name, "version": "1"})["artifact_uri"]
    assert uri == source

    # runs:/<run_id>/<path> -> runs/get -> artifact_uri -> the proxy path
    assert uri.startswith("runs:/")
    run_id, _, sub = uri[len("runs:/"):].partition("/")
    assert run_id == rid and sub == "model"
    root = _proxy_path(client.get_run(run_id)["info"]["artifact_uri"])
    listing = {f["path"]: f for f in _list_dir(server, f"{root}/{sub}")}
    assert set(listing) == {"MLmodel", "model.json", "data", "requirements.txt"}, listing
    assert listing["data"]["is_dir"] is True
    assert listing["model.json"] == {"path": "model.json", "is_dir": False, "file_size": len(files["model.json"])}
    got = _download_tree(server, f"{root}/{sub}")
    assert got == files, f"downloaded tree differs: {sorted(got)} vs {sorted(files)}"

    # a second version registered from the resolved mlflow-artifacts location resolves the same way
    direct = f"mlflow-artifacts:/{root}/{sub}"
    mv2 = _create_version(client, name, source=direct, run_id=rid)
    assert mv2["version"] == "2"
    _set_alias(client, name, "champion", 2)
    st, js = _resolve(client, f"models:/{name}@champion")
    assert st == 200 and js["artifact_uri"] == direct and js["model_version"]["version"] == "2", js
    assert _download_tree(server, _proxy_path(js["artifact_uri"])) == files
    # and the previous version is still reachable by number
    st, js = _resolve(client, f"models:/{name}/1")
    assert st == 200 and js["artifact_uri"] in (source, run_location), js
