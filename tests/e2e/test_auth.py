# SPDX-License-Identifier: Apache-2.0
"""`mlhub server --auth basic` (MLflow's basic-auth app), on both metadata stores: HTTP Basic as
the MLflow client sends it (401 + WWW-Authenticate otherwise), the users and permissions routes
with MLflow's shapes, and a permission matrix: each role (admin, the creator, EDIT, READ,
NO_PERMISSIONS, a user with no grant who gets the default READ) against each route class (read,
write, delete, manage) for experiments, their runs and artifacts, and registered models; searches
return only what the caller may read."""
import subprocess

import pytest
import requests

from mlhub_testlib import ARTIFACTS, mlhub_bin, unique

API = "/api/2.0/mlflow"
ADMIN = ("admin", "admin-pw-1")


class As:
    """Requests to one server as one user (None: no credentials)."""

    def __init__(self, url, credentials):
        self.url, self.auth = url, credentials

    def call(self, method, route, body=None, params=None, prefix=API):
        return requests.request(method, f"{self.url}{prefix}/{route}", json=body, params=params,
                                auth=self.auth, timeout=30)

    def ok(self, method, route, body=None, params=None):
        r = self.call(method, route, body, params)
        assert r.status_code == 200, (method, route, r.status_code, r.text[:300])
        return r.json()


@pytest.fixture
def srv(make_server):
    server = make_server(extra_args=["--auth", "basic"], env={
        "MLHUB_AUTH_ADMIN_PASSWORD": ADMIN[1]})
    server.start()
    return server


def test_authentication(srv):
    anonymous = As(srv.url, None)
    r = anonymous.call("GET", "experiments/search", params={"max_results": 5})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Basic realm="mlflow"'
    assert As(srv.url, ("admin", "nope")).call("GET", "experiments/search").status_code == 401
    assert As(srv.url, ("nobody", "x")).call("GET", "experiments/search").status_code == 401
    r = requests.get(srv.url + "/api/2.0/mlflow/experiments/search",
                     headers={"Authorization": "Basic !!!not-base64"}, timeout=10)
    assert r.status_code == 401
    assert requests.get(srv.url + "/health", timeout=10).status_code == 200  # probes stay open
    admin = As(srv.url, ADMIN)
    assert admin.ok("GET", "experiments/search", params={"max_results": 5})["experiments"]
    # The same password twice (the second is answered from the verified-credentials cache) and a
    # changed one.
    user = unique("u")
    admin.ok("POST", "users/create", {"username": user, "password": "first"})
    assert As(srv.url, (user, "first")).call("GET", "users/get", params={"username": user}).status_code == 200
    As(srv.url, (user, "first")).ok("PATCH", "users/update-password",
                                    {"username": user, "password": "second"})
    assert As(srv.url, (user, "first")).call("GET", "users/get", params={"username": user}).status_code == 401
    assert As(srv.url, (user, "second")).call("GET", "users/get", params={"username": user}).status_code == 200


def test_user_routes(srv):
    admin = As(srv.url, ADMIN)
    created = admin.ok("POST", "users/create", {"username": "carol", "password": "pw"})["user"]
    assert created["username"] == "carol" and created["is_admin"] is False
    assert "password" not in str(created)
    dup = admin.call("POST", "users/create", {"username": "carol", "password": "pw"})
    assert dup.status_code == 400 and dup.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    empty = admin.call("POST", "users/create", {"username": "dave", "password": ""})
    assert empty.status_code == 400 and empty.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    carol = As(srv.url, ("carol", "pw"))
    assert carol.call("POST", "users/create", {"username": "eve", "password": "x"}).status_code == 403
    assert carol.call("GET", "users/get", params={"username": "admin"}).status_code == 403
    assert carol.call("PATCH", "users/update-admin", {"username": "carol", "is_admin": True}).status_code == 403
    assert carol.call("DELETE", "users/delete", {"username": "carol"}).status_code == 403
    admin.ok("PATCH", "users/update-admin", {"username": "carol", "is_admin": True})
    assert admin.ok("GET", "users/get", params={"username": "carol"})["user"]["is_admin"] is True
    admin.ok("DELETE", "users/delete", {"username": "carol"})
    missing = admin.call("GET", "users/get", params={"username": "carol"})
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert carol.call("GET", "experiments/search").status_code == 401


def make_users(admin, names):
    users = {}
    for name in names:
        username = unique(name)
        admin.ok("POST", "users/create", {"username": username, "password": f"{name}-pw"})
        users[name] = (username, f"{name}-pw")
    return users


def test_experiment_permission_matrix(srv):
    admin = As(srv.url, ADMIN)
    users = make_users(admin, ["owner", "editor", "reader", "blocked", "default"])
    owner = As(srv.url, users["owner"])
    exp = owner.ok("POST", "experiments/create", {"name": unique("secret")})["experiment_id"]
    # The creator got MANAGE; the owner grants the others.
    assert owner.ok("GET", "experiments/permissions/get",
                    params={"experiment_id": exp, "username": users["owner"][0]}
                    )["experiment_permission"]["permission"] == "MANAGE"
    for role, permission in (("editor", "EDIT"), ("reader", "READ"), ("blocked", "NO_PERMISSIONS")):
        granted = owner.ok("POST", "experiments/permissions/create",
                           {"experiment_id": exp, "username": users[role][0], "permission": permission})
        assert granted["experiment_permission"]["permission"] == permission
    bad = owner.call("POST", "experiments/permissions/create",
                     {"experiment_id": exp, "username": users["default"][0], "permission": "ALL"})
    assert bad.status_code == 400 and "Invalid permission" in bad.json()["message"]
    run = owner.ok("POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
    owner.ok("POST", "runs/log-metric", {"run_id": run, "key": "m", "value": 1, "timestamp": 1})
    artifact = f"{srv.url}{ARTIFACTS}/{exp}/{run}/artifacts/note.txt"
    assert requests.put(artifact, data=b"hi", auth=users["owner"], timeout=10).status_code == 200

    def status(who, method, route, body=None, params=None):
        return who.call(method, route, body, params).status_code

    def can_read(who):
        codes = {status(who, "GET", "experiments/get", params={"experiment_id": exp}),
                 status(who, "GET", "runs/get", params={"run_id": run}),
                 status(who, "GET", "metrics/get-history", params={"run_id": run, "metric_key": "m"}),
                 status(who, "GET", "artifacts/list", params={"run_id": run}),
                 requests.get(artifact, auth=who.auth, timeout=10).status_code}
        assert len(codes) == 1, codes
        return codes.pop() == 200

    def can_write(who):
        codes = {status(who, "POST", "runs/log-metric", {"run_id": run, "key": "w", "value": 2, "timestamp": 2}),
                 status(who, "POST", "runs/set-tag", {"run_id": run, "key": "t", "value": "v"}),
                 status(who, "POST", "runs/create", {"experiment_id": exp}),
                 requests.put(artifact, data=b"again", auth=who.auth, timeout=10).status_code}
        assert len(codes) == 1, codes
        return codes.pop() == 200

    def can_manage(who):
        return status(who, "GET", "experiments/permissions/get",
                      params={"experiment_id": exp, "username": users["reader"][0]}) == 200

    def can_delete(who):
        victim = owner.ok("POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
        return status(who, "POST", "runs/delete", {"run_id": victim}) == 200

    expected = {  # role: (read, write, delete, manage)
        "admin": (True, True, True, True),
        "owner": (True, True, True, True),
        "editor": (True, True, False, False),
        "reader": (True, False, False, False),
        "default": (True, False, False, False),  # --auth-default-permission READ
        "blocked": (False, False, False, False),
    }
    clients = {"admin": admin, **{role: As(srv.url, creds) for role, creds in users.items()}}
    for role, (read, write, delete, manage) in expected.items():
        who = clients[role]
        assert (can_read(who), can_write(who), can_delete(who), can_manage(who)) == \
            (read, write, delete, manage), role
    forbidden = clients["editor"].call("POST", "experiments/delete", {"experiment_id": exp})
    assert forbidden.status_code == 403 and forbidden.text == "Permission denied"

    # Searches show only what the caller may read.
    def visible(who):
        found = who.ok("GET", "experiments/search", params={"max_results": 1000})
        return {e["experiment_id"] for e in found.get("experiments", [])}
    assert exp in visible(clients["reader"]) and exp not in visible(clients["blocked"])
    runs = clients["blocked"].ok("POST", "runs/search", {"experiment_ids": [exp, "0"]})
    assert all(r["info"]["experiment_id"] != exp for r in runs.get("runs", []))
    assert clients["reader"].ok("POST", "runs/search", {"experiment_ids": [exp]})["runs"]
    assert clients["blocked"].ok("POST", "runs/search", {"experiment_ids": [exp]}) == {}

    # Revoking and updating grants.
    owner.ok("PATCH", "experiments/permissions/update",
             {"experiment_id": exp, "username": users["reader"][0], "permission": "NO_PERMISSIONS"})
    assert not can_read(clients["reader"])
    owner.ok("DELETE", "experiments/permissions/delete",
             {"experiment_id": exp, "username": users["reader"][0]})
    assert can_read(clients["reader"])  # back to the default
    gone = owner.call("GET", "experiments/permissions/get",
                      params={"experiment_id": exp, "username": users["reader"][0]})
    assert gone.status_code == 404


def test_registered_model_permission_matrix(srv):
    admin = As(srv.url, ADMIN)
    users = make_users(admin, ["owner", "editor", "reader", "blocked"])
    owner = As(srv.url, users["owner"])
    name = unique("model")
    owner.ok("POST", "registered-models/create", {"name": name})
    version = owner.ok("POST", "model-versions/create",
                       {"name": name, "source": "mlflow-artifacts:/0/x/artifacts/model"}
                       )["model_version"]["version"]
    for role, permission in (("editor", "EDIT"), ("reader", "READ"), ("blocked", "NO_PERMISSIONS")):
        owner.ok("POST", "registered-models/permissions/create",
                 {"name": name, "username": users[role][0], "permission": permission})
    clients = {role: As(srv.url, creds) for role, creds in users.items()}

    def codes(who):
        read = who.call("GET", "registered-models/get", params={"name": name}).status_code
        write = who.call("POST", "registered-models/alias",
                         {"name": name, "alias": "champion", "version": version}).status_code
        manage = who.call("GET", "registered-models/permissions/get",
                          params={"name": name, "username": users["reader"][0]}).status_code
        return read, write, manage

    assert codes(clients["owner"]) == (200, 200, 200)
    assert codes(clients["editor"]) == (200, 200, 403)
    assert codes(clients["reader"]) == (200, 403, 403)
    assert codes(clients["blocked"]) == (403, 403, 403)
    assert clients["editor"].call("DELETE", "registered-models/delete", {"name": name}).status_code == 403

    def listed(who):
        found = who.ok("GET", "registered-models/search", params={"max_results": 1000})
        return {m["name"] for m in found.get("registered_models", [])}
    assert name in listed(clients["reader"]) and name not in listed(clients["blocked"])
    versions = clients["blocked"].ok("GET", "model-versions/search", params={"filter": f"name='{name}'"})
    assert versions.get("model_versions", []) == []

    # Deleting the model drops its grants: a new model of that name starts clean.
    owner.ok("DELETE", "registered-models/delete", {"name": name})
    clients["blocked"].ok("POST", "registered-models/create", {"name": name})
    assert codes(clients["blocked"])[0] == 200


def _pages(who, method, route, key, max_results, fields):
    """Every page of a search, following next_page_token: [[entries of page 1], ...]."""
    pages, token = [], None
    while True:
        args = dict(fields, max_results=max_results, **({"page_token": token} if token else {}))
        found = who.ok(method, route, body=args) if method == "POST" else who.ok(method, route, params=args)
        pages.append(found.get(key, []))
        token = found.get("next_page_token")
        if not token:
            return pages
        assert len(pages) < 50, "the page tokens do not end"


def test_filtered_search_pages_are_filled(srv):
    # As in MLflow's basic-auth app: a page that filtering cut short is filled from the pages
    # after it, so max_results entries come back while there are that many readable ones.
    admin = As(srv.url, ADMIN)
    picky_user = make_users(admin, ["picky"])["picky"]
    picky = As(srv.url, picky_user)
    tag = unique("fill")
    experiments, models = [], []
    for i in range(10):
        experiments.append(admin.ok("POST", "experiments/create", {"name": f"{tag}-{i}"})["experiment_id"])
        models.append(f"{tag}-model-{i}")
        admin.ok("POST", "registered-models/create", {"name": models[-1]})
    readable = {3, 4, 5, 8}  # the other six are NO_PERMISSIONS for picky, in runs of 2 and 3
    for i in set(range(10)) - readable:
        admin.ok("POST", "experiments/permissions/create",
                 {"experiment_id": experiments[i], "username": picky_user[0], "permission": "NO_PERMISSIONS"})
        admin.ok("POST", "registered-models/permissions/create",
                 {"name": models[i], "username": picky_user[0], "permission": "NO_PERMISSIONS"})
    want_experiments = {experiments[i] for i in readable}
    want_models = {models[i] for i in readable}
    searches = [("GET", "experiments/search", "experiments", "experiment_id", want_experiments),
                ("POST", "experiments/search", "experiments", "experiment_id", want_experiments),
                ("GET", "registered-models/search", "registered_models", "name", want_models)]
    for method, route, key, id_field, want in searches:
        fields = {"filter": f"name LIKE '{tag}-%'"} if key == "experiments" else {"filter": f"name LIKE '{tag}-model-%'"}
        # Experiments newest first (8, 5, 4, 3 readable), models by name (3, 4, 5, 8): pages fill
        # part-way through a fetched page, and a full page has a token even when only unreadable
        # entries follow it (the page after it is then empty, as in MLflow).
        for max_results, sizes in ((2, [2, 2, 0]), (1, [1, 1, 1, 1, 0]), (3, [3, 1]), (100, [4])):
            pages = _pages(picky, method, route, key, max_results, fields)
            assert [len(p) for p in pages] == sizes, (route, method, max_results, pages)
            ids = [e[id_field] for p in pages for e in p]
            assert sorted(ids) == sorted(want), (route, method, max_results)
        if method == "GET":  # the paging fields in QueryParams' other spelling, `k[]`
            first = picky.ok(method, route, params=dict(fields, **{"max_results[]": 2}))
            second = picky.ok(method, route, params=dict(fields, **{"max_results[]": 2,
                                                                    "page_token[]": first["next_page_token"]}))
            ids = [e[id_field] for e in first[key] + second[key]]
            assert len(ids) == 4 and set(ids) == want, (route, ids)
        # the admin sees all ten, in the same order the filled pages keep
        every = [e[id_field] for p in _pages(admin, method, route, key, 4, fields) for e in p]
        assert len(every) == 10
        assert [i for i in every if i in want] == \
            [e[id_field] for p in _pages(picky, method, route, key, 2, fields) for e in p]


def test_auth_needs_an_admin_password(tmp_path):
    done = subprocess.run([mlhub_bin(), "server", "--auth", "basic", "--port", "0",
                           "--backend-store-uri", f"sqlite:///{tmp_path}/a.db"],
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "MLHUB_AUTH_ADMIN_PASSWORD" in done.stdout + done.stderr


def test_logged_models_follow_their_experiment(srv):
    """MLflow 3's logged models take the permissions of their experiment: read to get or find
    them, edit to create, tag, finalize or name them as run outputs, delete to delete them."""
    admin = As(srv.url, ADMIN)
    users = make_users(admin, ["lm-owner", "lm-reader", "lm-none"])
    owner, reader, none = (As(srv.url, users[u]) for u in ("lm-owner", "lm-reader", "lm-none"))
    exp = owner.ok("POST", "experiments/create", {"name": unique("lm-secret")})["experiment_id"]
    for who, permission in (("lm-reader", "READ"), ("lm-none", "NO_PERMISSIONS")):
        owner.ok("POST", "experiments/permissions/create",
                 {"experiment_id": exp, "username": users[who][0], "permission": permission})
    model = owner.ok("POST", "logged-models", {"experiment_id": exp, "name": "m"})["model"]["info"]["model_id"]
    run = owner.ok("POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]

    def code(who, method, route, body=None):
        return who.call(method, route, body).status_code

    assert code(reader, "GET", f"logged-models/{model}") == 200
    assert code(none, "GET", f"logged-models/{model}") == 403
    assert code(reader, "GET", f"logged-models/{model}/artifacts/directories") == 200
    assert code(none, "GET", f"logged-models/{model}/artifacts/directories") == 403
    assert code(reader, "HEAD", f"logged-models/{model}") == 200  # HEAD needs what GET needs
    assert code(none, "HEAD", f"logged-models/{model}") == 403
    # deleting the model or a tag needs delete, however the path is spelled
    editor = As(srv.url, make_users(admin, ["lm-editor"])["lm-editor"])
    owner.ok("POST", "experiments/permissions/create",
             {"experiment_id": exp, "username": editor.auth[0], "permission": "EDIT"})
    owner.ok("PATCH", f"logged-models/{model}/tags", {"tags": [{"key": "k", "value": "v"}]})
    assert code(editor, "PATCH", f"logged-models/{model}/tags", {"tags": [{"key": "e", "value": "1"}]}) == 200
    assert code(editor, "DELETE", f"logged-models/{model}/tags/k") == 403
    assert code(editor, "DELETE", f"logged-models/{model}/") == 403
    assert code(editor, "DELETE", f"logged-models/{model}") == 403
    assert code(owner, "GET", f"logged-models/{model}") == 200
    # registering a version from a model needs read on its experiment (its files are handed out)
    registry_name = unique("lm-reg")
    none.ok("POST", "registered-models/create", {"name": registry_name})
    assert code(none, "POST", "model-versions/create",
                {"name": registry_name, "source": f"models:/{model}", "model_id": model}) == 403
    assert code(none, "POST", "model-versions/create", {"name": registry_name, "source": f"models:/{model}"}) == 403
    assert code(reader, "POST", "model-versions/create",
                {"name": registry_name, "source": f"models:/{model}"}) == 403  # no edit on the name
    for who in (reader, none):
        assert code(who, "POST", "logged-models", {"experiment_id": exp}) == 403
        assert code(who, "PATCH", f"logged-models/{model}", {"status": "LOGGED_MODEL_READY"}) == 403
        assert code(who, "PATCH", f"logged-models/{model}/tags", {"tags": [{"key": "k", "value": "v"}]}) == 403
        assert code(who, "POST", f"logged-models/{model}/params", {"params": [{"key": "k", "value": "v"}]}) == 403
        assert code(who, "DELETE", f"logged-models/{model}") == 403
        assert code(who, "POST", "runs/outputs", {"run_id": run, "models": [{"model_id": model}]}) == 403
    # searches see only readable experiments' models
    other = admin.ok("POST", "experiments/create", {"name": unique("lm-other")})["experiment_id"]
    admin.ok("POST", "logged-models", {"experiment_id": other})
    seen = none.ok("POST", "logged-models/search", {"experiment_ids": [exp]})
    assert seen.get("models", []) == []
    mine = reader.ok("POST", "logged-models/search", {"experiment_ids": [exp]})["models"]
    assert [m["info"]["model_id"] for m in mine] == [model]
    assert code(owner, "PATCH", f"logged-models/{model}", {"status": "LOGGED_MODEL_READY"}) == 200
    assert code(owner, "DELETE", f"logged-models/{model}") == 200


def test_traces_follow_their_experiment(srv):
    """Traces take the permissions of their experiment, on the v3 and the v2 paths alike: read to
    get or search them, edit to log, end, tag or link them, delete to delete them."""
    admin = As(srv.url, ADMIN)
    users = make_users(admin, ["tr-owner", "tr-reader", "tr-none"])
    owner, reader, none = (As(srv.url, users[u]) for u in ("tr-owner", "tr-reader", "tr-none"))
    exp = owner.ok("POST", "experiments/create", {"name": unique("tr-secret")})["experiment_id"]
    for who, permission in (("tr-reader", "READ"), ("tr-none", "NO_PERMISSIONS")):
        owner.ok("POST", "experiments/permissions/create",
                 {"experiment_id": exp, "username": users[who][0], "permission": permission})
    v3 = "/api/3.0/mlflow"

    def info(trace_id):
        return {"trace": {"trace_info": {
            "trace_id": trace_id, "request_time": "2026-01-01T00:00:00Z", "state": "OK",
            "trace_location": {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}}}}

    assert owner.call("POST", "traces", info("tr-" + "a" * 32), prefix=v3).status_code == 200
    v2_id = owner.ok("POST", "traces", {"experiment_id": exp, "timestamp_ms": 1})["trace_info"]["request_id"]
    run = owner.ok("POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
    locations = {"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}]}

    def code(who, method, route, body=None, prefix=API, params=None):
        return who.call(method, route, body, params=params, prefix=prefix).status_code

    tid = "tr-" + "a" * 32
    for who, allowed in ((reader, 200), (none, 403)):
        assert code(who, "GET", f"traces/{tid}", prefix=v3) == allowed
        assert code(who, "GET", f"traces/{v2_id}/info") == allowed
        assert code(who, "POST", "traces/search", locations, prefix=v3) == allowed
        assert code(who, "GET", "traces", params={"experiment_ids": [exp]}) == allowed
    for who in (reader, none):
        assert code(who, "POST", "traces", info("tr-" + "b" * 32), prefix=v3) == 403
        assert code(who, "POST", "traces", {"experiment_id": exp, "timestamp_ms": 1}) == 403
        assert code(who, "PATCH", f"traces/{v2_id}", {"timestamp_ms": 2, "status": "OK"}) == 403
        assert code(who, "PATCH", f"traces/{tid}/tags", {"key": "k", "value": "v"}) == 403
        assert code(who, "PATCH", f"traces/{tid}/tags", {"key": "k", "value": "v"}, prefix=v3) == 403
        assert code(who, "DELETE", f"traces/{tid}/tags", {"key": "k"}) == 403
        assert code(who, "POST", "traces/link-to-run", {"trace_ids": [tid], "run_id": run}) == 403
        assert code(who, "POST", "traces/delete-traces", {"experiment_id": exp, "request_ids": [tid]}) == 403
    # assessments: read to get one, edit to log, change or delete one
    feedback = {"assessment": {"assessment_name": "ok", "feedback": {"value": True}}}
    r = owner.call("POST", f"traces/{tid}/assessments", feedback, prefix=v3)
    assert r.status_code == 200, r.text
    aid = r.json()["assessment"]["assessment_id"]
    assert code(reader, "GET", f"traces/{tid}/assessments/{aid}", prefix=v3) == 200
    assert code(none, "GET", f"traces/{tid}/assessments/{aid}", prefix=v3) == 403
    for who in (reader, none):
        assert code(who, "POST", f"traces/{tid}/assessments", feedback, prefix=v3) == 403
        assert code(who, "PATCH", f"traces/{tid}/assessments/{aid}", {"assessment": {"rationale": "x"},
                                                                     "update_mask": "rationale"}, prefix=v3) == 403
        assert code(who, "DELETE", f"traces/{tid}/assessments/{aid}", {}, prefix=v3) == 403
    # the experiment the handler uses is the one checked: a number, or beside a decoy
    numeric = info("tr-" + "c" * 32)
    numeric["trace"]["trace_info"]["trace_location"]["mlflow_experiment"]["experiment_id"] = int(exp)
    assert code(reader, "POST", "traces", numeric, prefix=v3) == 403
    mine = owner.ok("POST", "experiments/create", {"name": unique("tr-other")})["experiment_id"]
    owner.ok("POST", "experiments/permissions/create",
             {"experiment_id": mine, "username": users["tr-reader"][0], "permission": "EDIT"})
    decoy = info("tr-" + "d" * 32)
    decoy["experiment_id"] = mine
    assert code(reader, "POST", "traces", decoy, prefix=v3) == 403
    # a trace of the secret experiment cannot be moved into one the caller may edit
    moved = info(tid)
    moved["trace"]["trace_info"]["trace_location"]["mlflow_experiment"]["experiment_id"] = mine
    assert code(reader, "POST", "traces", moved, prefix=v3) == 400
    # linking needs edit on the trace's experiment too
    my_run = reader.ok("POST", "runs/create", {"experiment_id": mine})["run"]["info"]["run_id"]
    assert code(reader, "POST", "traces/link-to-run", {"trace_ids": [tid], "run_id": my_run}) == 403
    # HEAD needs what GET needs
    assert code(none, "HEAD", "traces", params={"experiment_ids": [exp]}) == 403
    assert code(none, "HEAD", "runs/get", params={"run_id": run}) == 403
    # nothing was changed by the refused requests
    got = owner.call("GET", f"traces/{tid}", prefix=v3).json()["trace"]["trace_info"]
    assert "k" not in got["tags"]
    assert owner.ok("POST", "traces/delete-traces", {"experiment_id": exp, "request_ids": [tid, v2_id]}) == {
        "traces_deleted": 2}
