# SPDX-License-Identifier: Apache-2.0
"""The `models:/` resolution route, concurrent version numbering (one server, and two servers on
one PostgreSQL database), and the full run -> registry -> download hand-off through the
artifact proxy.

Expectations read from MLflow's sources say "MLflow:" (see registry_testlib.py).
"""
import urllib.parse
import uuid

import pytest
import requests

from mlhub_testlib import (API, ARTIFACTS, Client, assert_error, now_ms, run_parallel, strict_json,
                           unique)
from registry_testlib import (
    _delete, _ok, _create_model, _create_version, _get_model, _get_version, _transition,
    _set_alias, _by_alias, _aliases, _latest, _search_versions_all, _resolve,
)


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

    results = run_parallel(threads, work)
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
    results = run_parallel(8, lambda t: Client(server.url, API).post("registered-models/create", {"name": name}))
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

    run_parallel(8, work)
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

    got = [v for chunk in run_parallel(threads, work) for v in chunk]
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
    results = run_parallel(8, lambda t: Client(servers[t % 2].url).post("registered-models/create", {"name": race}))
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
