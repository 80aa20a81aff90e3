# SPDX-License-Identifier: Apache-2.0
"""`mlhub serve` speaking MLflow's scoring protocol (what `mlflow models serve` answers: /ping,
/health, /version, /invocations) and the seed API (/ready, /predict). Predictions must equal what
MLflow's pyfunc flavor gives in Python: regressor values, classifier *labels* (XGBClassifier.predict).
"""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
import requests

from serving_e2e_fixtures import (  # noqa: F401  (models and serve are pytest fixtures)
    HTTP_TIMEOUT, MODEL_NAMES, error_of, models, repository, serve, wait_models_ready,
)
from serving_testlib import COLUMNS, SEED_ROW, assert_close, request_rows

JSON = "application/json"


@pytest.fixture(scope="module")
def srv(serve):
    return serve()  # regressor first: the default model


def get(srv, path):
    return requests.get(srv.url + path, timeout=HTTP_TIMEOUT)


def invocations(srv, body=None, data=None, content_type=JSON, model=None):
    headers = {} if content_type is None else {"Content-Type": content_type}
    params = {"model": model} if model else None
    if body is not None:
        data = json.dumps(body)
    return requests.post(srv.url + "/invocations", data=data, headers=headers, params=params,
                         timeout=HTTP_TIMEOUT)


def predictions(r):
    assert r.status_code == 200, r.text[:500]
    assert r.headers.get("Content-Type", "").startswith(JSON), r.headers
    body = r.json()
    assert set(body) == {"predictions"}, body
    return body["predictions"]


def check(models, name, x, got):
    expected = models.expected(name, x, pyfunc=True)
    if name == "regressor":
        assert_close(got, expected)
    else:  # class labels: integers, exactly
        assert all(isinstance(v, int) and not isinstance(v, bool) for v in got), got
        assert got == [int(v) for v in expected]


def mlflow_error(r, status=400, code="BAD_REQUEST"):
    assert r.status_code == status, (r.status_code, r.text[:500])
    body = r.json()
    assert body.get("error_code") == code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body["message"]


def csv_of(columns, rows):
    lines = [",".join(columns)]
    lines += [",".join(repr(float(v)) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def payload(fmt, x, columns=COLUMNS):
    rows = x.tolist()
    if fmt == "dataframe_split":
        return {"dataframe_split": {"columns": list(columns), "data": rows}}
    if fmt == "dataframe_records":
        return {"dataframe_records": [dict(zip(columns, row)) for row in rows]}
    if fmt == "instances":
        return {"instances": rows}
    if fmt == "inputs":
        return {"inputs": rows}
    raise AssertionError(fmt)


# -- liveness, readiness, version ---------------------------------------------------------------


def test_ping_health_version(srv):
    for path in ("/ping", "/health", "/ready"):
        assert get(srv, path).status_code == 200, path
    r = get(srv, "/version")
    assert r.status_code == 200 and r.text.strip(), r.text


def test_not_ready_while_a_model_is_unavailable(serve):
    broken = serve(names=("regressor",), broken=True)
    assert get(broken, "/health").status_code == 200  # liveness: the process serves
    assert get(broken, "/ready").status_code == 503
    assert get(broken, "/ping").status_code != 200
    x = request_rows(1, seed=49)
    mlflow_error(invocations(broken, payload("instances", x), model="broken"), 503,
                 "TEMPORARILY_UNAVAILABLE")
    error_of(predict(broken, {"features": x.tolist()}, model="broken"), 503)

    one = serve(names=("regressor", "classifier"))
    assert get(one, "/ready").status_code == 200
    assert repository(one, "unload", "classifier").status_code == 200
    assert get(one, "/ready").status_code == 503
    assert get(one, "/ping").status_code != 200
    assert repository(one, "load", "classifier").status_code == 200
    wait_models_ready(one, ["classifier"])
    assert get(one, "/ready").status_code == 200
    assert get(one, "/ping").status_code == 200


# -- /invocations: formats ----------------------------------------------------------------------

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs", "csv")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_invocations_match_pyfunc(srv, models, name, fmt):
    x = request_rows(6, seed=50)
    if fmt == "csv":
        r = invocations(srv, data=csv_of(COLUMNS, x), content_type="text/csv", model=name)
    else:
        r = invocations(srv, payload(fmt, x), model=name)
    check(models, name, x, predictions(r))


def test_default_model_is_the_first(srv, models):
    x = request_rows(3, seed=51)
    check(models, "regressor", x, predictions(invocations(srv, payload("dataframe_split", x))))
    r = invocations(srv, payload("dataframe_split", x), model="nope")
    assert r.status_code == 404, r.text


def test_single_row(srv, models):
    x = np.asarray([SEED_ROW], dtype=np.float32)
    for name in MODEL_NAMES:
        got = predictions(invocations(srv, payload("instances", x), model=name))
        assert len(got) == 1
        check(models, name, x, got)


def test_params_are_accepted(srv, models):
    x = request_rows(2, seed=52)
    body = dict(payload("dataframe_split", x), params={})
    check(models, "regressor", x, predictions(invocations(srv, body)))


# -- /invocations: columns by name (classifier: signature f0..f12) ------------------------------


def shuffled_columns(seed):
    order = list(range(len(COLUMNS)))
    random.Random(seed).shuffle(order)
    return order


@pytest.mark.parametrize("fmt", ["dataframe_split", "dataframe_records", "csv"])
def test_columns_in_another_order(srv, models, fmt):
    x = request_rows(5, seed=53)
    order = shuffled_columns(1)
    columns = [COLUMNS[i] for i in order]
    permuted = x[:, order]
    if fmt == "csv":
        r = invocations(srv, data=csv_of(columns, permuted), content_type="text/csv",
                        model="classifier")
    else:
        r = invocations(srv, payload(fmt, permuted, columns), model="classifier")
    check(models, "classifier", x, predictions(r))


def test_named_instances_and_columnar_inputs(srv, models):
    x = request_rows(4, seed=54)
    order = shuffled_columns(2)
    records = [{COLUMNS[i]: float(row[i]) for i in order} for row in x]
    check(models, "classifier", x,
          predictions(invocations(srv, {"instances": records}, model="classifier")))
    columnar = {COLUMNS[i]: x[:, i].tolist() for i in order}
    check(models, "classifier", x,
          predictions(invocations(srv, {"inputs": columnar}, model="classifier")))


def test_missing_values_are_nan(srv, models):
    """JSON null and an empty CSV cell are NaN, which XGBoost takes as a missing value."""
    x = request_rows(3, seed=61)
    x[0, 0] = x[1, 5] = x[2, 12] = np.nan
    rows = [[None if np.isnan(v) else float(v) for v in row] for row in x]
    for name in MODEL_NAMES:
        got = predictions(invocations(srv, {"dataframe_split": {"columns": COLUMNS, "data": rows}},
                                      model=name))
        check(models, name, x, got)
    csv = csv_of(COLUMNS, x).replace("nan", "")
    check(models, "regressor", x, predictions(invocations(srv, data=csv, content_type="text/csv")))


def test_extra_columns_are_dropped(srv, models):
    x = request_rows(3, seed=55)
    split = {"columns": COLUMNS + ["extra"], "data": [row + [99.0] for row in x.tolist()]}
    r = invocations(srv, {"dataframe_split": split}, model="classifier")
    check(models, "classifier", x, predictions(r))


@pytest.mark.parametrize("fmt", ["dataframe_split", "dataframe_records", "csv"])
def test_missing_column_is_400(srv, fmt):
    x = request_rows(2, seed=56)
    columns = [c for c in COLUMNS if c != "f7"]
    without = np.delete(x, 7, axis=1)
    if fmt == "csv":
        r = invocations(srv, data=csv_of(columns, without), content_type="text/csv",
                        model="classifier")
    else:
        r = invocations(srv, payload(fmt, without, columns), model="classifier")
    assert "f7" in mlflow_error(r)


# -- /invocations: content types and malformed bodies -------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          "application/json; charset=UTF-8",
                                          "application/json;charset=utf-8"])
def test_json_with_utf8_charset(srv, models, content_type):
    x = request_rows(2, seed=57)
    r = invocations(srv, payload("dataframe_split", x), content_type=content_type)
    check(models, "regressor", x, predictions(r))


def test_csv_with_utf8_charset(srv, models):
    x = request_rows(2, seed=58)
    r = invocations(srv, data=csv_of(COLUMNS, x), content_type="text/csv; charset=utf-8")
    check(models, "regressor", x, predictions(r))


@pytest.mark.parametrize("content_type", ["application/json; charset=latin-1",
                                          "application/json; boundary=x", "text/plain",
                                          "application/xml", None])
def test_unsupported_content_type_is_415(srv, content_type):
    x = request_rows(2, seed=59)
    r = invocations(srv, data=json.dumps(payload("dataframe_split", x)), content_type=content_type)
    assert r.status_code == 415, (r.status_code, r.text[:300])


BAD_JSON = {
    "malformed": '{"dataframe_split": {"columns": ',
    "empty": "",
    "not-an-object": "[[1, 2, 3]]",
    "no-format-key": '{"data": [[1, 2]]}',
    "two-format-keys": ('{"instances": [[' + ",".join(["1"] * 13) + ']], "inputs": [['
                        + ",".join(["1"] * 13) + "]]}"),
    "strings": '{"instances": [[' + ",".join(['"a"'] * 13) + "]]}",
    "wrong-width": '{"instances": [[' + ",".join(["1"] * 12) + "]]}",
    "ragged": '{"instances": [[' + ",".join(["1"] * 13) + "], [1, 2]]}",
    "split-without-data": '{"dataframe_split": {"columns": ["f0"]}}',
}


@pytest.mark.parametrize("case", sorted(BAD_JSON))
def test_bad_json_is_400(srv, case):
    mlflow_error(invocations(srv, data=BAD_JSON[case]))


def test_bad_csv_is_400(srv):
    mlflow_error(invocations(srv, data="f0,f1\n1,2\n", content_type="text/csv"))
    words = ",".join(COLUMNS) + "\n" + ",".join(["x"] * 13) + "\n"
    mlflow_error(invocations(srv, data=words, content_type="text/csv"))


# -- the seed API: /predict --------------------------------------------------------------------


def predict(srv, body, model=None):
    params = {"model": model} if model else None
    return requests.post(srv.url + "/predict", json=body, params=params, timeout=HTTP_TIMEOUT)


def test_predict_seed_payload(srv, models):
    r = predict(srv, {"features": [SEED_ROW]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "regressor", body
    assert_close(body["predictions"], models.expected("regressor", [SEED_ROW]))
    flat = predict(srv, {"features": SEED_ROW})  # a single flat row is one row too
    assert flat.status_code == 200 and flat.json()["predictions"] == body["predictions"]


def test_predict_several_rows_and_models(srv, models):
    x = request_rows(4, seed=60)
    for name in MODEL_NAMES:
        r = predict(srv, {"features": x.tolist()}, model=name)
        assert r.status_code == 200, r.text
        check(models, name, x, r.json()["predictions"])


@pytest.mark.parametrize("body", [{}, {"features": [SEED_ROW[:12]]}, {"features": "x"},
                                  {"features": [SEED_ROW + [1.0]]}, {"rows": [SEED_ROW]}],
                         ids=["empty", "short-row", "not-a-list", "long-row", "other-key"])
def test_predict_errors(srv, body):
    error_of(predict(srv, body))


def test_predict_malformed_json(srv):
    r = requests.post(srv.url + "/predict", data="{", headers={"Content-Type": JSON},
                      timeout=HTTP_TIMEOUT)
    error_of(r)


# -- KServe V1: /v1/models[/{name}[:predict]] -----------------------------------------------------


def v1_predict(srv, name, body=None, data=None):
    return requests.post(f"{srv.url}/v1/models/{name}:predict", data=json.dumps(body) if data is None else data,
                         timeout=HTTP_TIMEOUT)


def test_v1_models_and_readiness(serve):
    srv = serve(broken=True)
    assert sorted(get(srv, "/v1/models").json()["models"]) == sorted(list(MODEL_NAMES) + ["broken"])
    for name in MODEL_NAMES:
        r = get(srv, f"/v1/models/{name}")
        assert r.status_code == 200 and r.json() == {"name": name, "ready": True}, r.text
    assert "broken" in error_of(get(srv, "/v1/models/broken"), 503)
    error_of(get(srv, "/v1/models/nope"), 404)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_v1_predict_answers_the_models_own_outputs(srv, models, name):
    # As KServe's xgbserver: booster.predict's values, so probabilities for classifiers (not the
    # labels /invocations gives), one list per row for multi-class.
    x = request_rows(6, seed=61)
    for body in ({"instances": x.tolist()}, {"inputs": x.tolist()}):
        r = v1_predict(srv, name, body)
        assert r.status_code == 200, r.text
        got = r.json()
        assert set(got) == {"predictions"}, got
        assert_close(np.asarray(got["predictions"]), models.expected(name, x))
    # records name the classifier's columns (its signature has f0..f12), in any order
    records = [dict(reversed(list(zip(COLUMNS, row)))) for row in x.tolist()]
    if name == "classifier":
        r = v1_predict(srv, name, {"instances": records})
        assert_close(np.asarray(r.json()["predictions"]), models.expected(name, x))


@pytest.mark.parametrize("body", [{}, {"instances": [SEED_ROW[:12]]}, {"instances": "x"},
                                  {"rows": [SEED_ROW]}, "{"],
                         ids=["empty", "short-row", "not-a-list", "other-key", "malformed"])
def test_v1_predict_errors(srv, body):
    error_of(v1_predict(srv, "regressor", data=body if isinstance(body, str) else json.dumps(body)))


def test_v1_unknown_model_and_path(srv):
    error_of(v1_predict(srv, "nope", {"instances": [SEED_ROW]}), 404)
    r = requests.post(f"{srv.url}/v1/models/regressor:explain", json={"instances": [SEED_ROW]},
                      timeout=HTTP_TIMEOUT)
    error_of(r, 404)
