# SPDX-License-Identifier: Apache-2.0
"""Helpers of the model registry suites (test_registry_*.py): the registry calls as the MLflow
client makes them (PATCH and DELETE with JSON bodies), result unpacking, searches followed across
pages, and a small thread pool.

Where MLflow 2.9's behaviour is not spelled out in docs/mlflow-rest-api.md, the expectation was
read from MLflow's own sources (mlflow/server/handlers.py, mlflow/store/model_registry/
sqlalchemy_store.py, mlflow/utils/validation.py, mlflow/utils/search_utils.py); such spots say
"MLflow:" in a comment.
"""
import uuid

import pytest

from mlhub_testlib import HTTP_TIMEOUT, unique

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


def _search_versions(c, **params):
    return c.ok_get("model-versions/search", params)


def _search_all(c, route, field, page_size, **params):
    """Every result of a search, following next_page_token with pages of `page_size`."""
    out, token = [], None
    for _ in range(500):
        p = dict(params, max_results=page_size)
        if token:
            p["page_token"] = token
        js = c.ok_get(route, p)
        page = js.get(field, [])
        assert len(page) <= page_size, js
        out.extend(page)
        token = js.get("next_page_token")
        if not token:
            return out
    pytest.fail(f"{route} paging does not terminate")


def _search_models_all(c, page_size, **params):
    return _search_all(c, "registered-models/search", "registered_models", page_size, **params)


def _search_versions_all(c, page_size, **params):
    return _search_all(c, "model-versions/search", "model_versions", page_size, **params)


def _resolve(c, uri):
    return c.get("model-versions/resolve", {"uri": uri})


