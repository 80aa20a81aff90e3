# SPDX-License-Identifier: Apache-2.0
"""Registered models over raw HTTP as the MLflow client calls them: the smoke test over both
prefixes (PATCH and DELETE with JSON bodies), create / get / rename / update / delete, and tags.

Expectations read from MLflow's sources say "MLflow:" (see registry_testlib.py).
"""
from mlhub_testlib import assert_error, now_ms, tags_dict, unique
from registry_testlib import (
    _patch, _delete, _ok, _is_int, _create_model, _create_version, _get_model, _get_version,
    _transition, _set_alias, _by_alias, _aliases, _latest, _latest_versions, _search_models,
    _search_versions,
)


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
