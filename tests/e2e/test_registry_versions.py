# SPDX-License-Identifier: Apache-2.0
"""Model versions over raw HTTP: create / get / update / delete, sources and get-download-uri,
stages and archive_existing_versions, latest versions per stage, and aliases.

Expectations read from MLflow's sources say "MLflow:" (see registry_testlib.py).
"""
import urllib.parse

import pytest

from mlhub_testlib import assert_error, now_ms, tags_dict, unique
from registry_testlib import (
    _patch, _delete, _ok, _is_int, _create_model, _create_version, _get_model, _get_version,
    _transition, _set_alias, _by_alias, _aliases, _latest, _latest_versions, _search_versions,
)


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
