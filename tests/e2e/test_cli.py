# SPDX-License-Identifier: Apache-2.0
"""The command line: --help, `mlhub db upgrade`, and refusing a database newer than the binary."""
import sqlite3
import subprocess

from mlhub_testlib import API, Client, ServerProcess, mlhub_bin


def run(*args, timeout=30):
    return subprocess.run([mlhub_bin(), *args], capture_output=True, text=True, timeout=timeout)


def test_server_help_lists_mlflow_flags():
    result = run("server", "--help")
    assert result.returncode == 0, result.stderr
    for flag in ("--backend-store-uri", "--artifacts-destination", "--host", "--port", "--workers",
                 "sqlite:///mlhub.db", "./mlartifacts"):
        assert flag in result.stdout, flag


def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path):
    uri = f"sqlite:///{tmp_path}/up.db"
    for _ in range(2):
        result = run("db", "upgrade", uri)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "schema version" in result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "up.db") as db:
        versions = [row[0] for row in db.execute("SELECT version FROM schema_migrations")]
        default = db.execute("SELECT name FROM experiments WHERE experiment_id = 0").fetchone()
    assert versions and versions == sorted(set(versions)), versions
    assert default == ("Default",)


def test_server_starts_on_an_upgraded_database(tmp_path):
    db_path = tmp_path / "pre.db"
    assert run("db", "upgrade", f"sqlite:///{db_path}").returncode == 0
    server = ServerProcess(tmp_path / "srv", db_path=str(db_path))
    server.start()
    try:
        status, body = Client(server.url).get("experiments/get", {"experiment_id": "0"})
        assert status == 200 and body["experiment"]["name"] == "Default"
    finally:
        assert server.terminate() == 0


def test_a_database_newer_than_the_binary_is_refused(tmp_path):
    db_path = tmp_path / "new.db"
    assert run("db", "upgrade", f"sqlite:///{db_path}").returncode == 0
    with sqlite3.connect(db_path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(schema_migrations)")]
        values = {"version": 999, "description": "from the future", "applied_at": 0}
        db.execute(f"INSERT INTO schema_migrations ({', '.join(columns)}) VALUES "
                   f"({', '.join('?' for _ in columns)})", [values.get(c, 0) for c in columns])
    for args in (("db", "upgrade", f"sqlite:///{db_path}"),
                 ("server", "--port", "0", "--backend-store-uri", f"sqlite:///{db_path}",
                  "--artifacts-destination", str(tmp_path / "art"))):
        result = run(*args)
        assert result.returncode != 0
        assert "newer than this mlhub" in result.stdout + result.stderr


class _LimitedServer(ServerProcess):
    def command(self):
        return super().command() + ["--max-header-kb", "2", "--max-body-mb", "1"]


def test_header_and_body_limits_are_configurable_and_answered_as_mlflow_errors(tmp_path):
    import requests
    server = _LimitedServer(tmp_path / "srv")
    server.start()
    try:
        r = requests.get(f"{server.url}/health", headers={"X-Big": "a" * 4096}, timeout=30)
        assert r.status_code == 431 and r.json()["error_code"] == "MAX_READ_SIZE_EXCEEDED"
        body = '{"name": "' + "x" * (2 << 20) + '"}'
        r = requests.post(f"{server.url}{API}/experiments/create", data=body, timeout=30,
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error_code"] == "MAX_BLOB_SIZE_EXCEEDED"
        r = requests.get(f"{server.url}/health", timeout=30)  # still serving
        assert r.status_code == 200 and r.text == "OK"
    finally:
        assert server.terminate() == 0


# -- PostgreSQL ----------------------------------------------------------------------------------


def _pg_name(uri):
    return uri.rsplit("/", 1)[1].split("?", 1)[0]


def test_postgres_db_upgrade_creates_the_schema_and_is_idempotent(pg_cluster, pg_database):
    uri = pg_database("up")
    db = _pg_name(uri)
    first = run("db", "upgrade", uri)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "applied schema migration 1" in first.stdout + first.stderr, first.stdout + first.stderr
    versions = [int(v) for (v,) in pg_cluster.psql("SELECT version FROM schema_migrations ORDER BY version", db=db)]
    assert versions and versions[0] == 1 and versions == sorted(set(versions)), versions
    second = run("db", "upgrade", uri)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "applied schema migration" not in second.stdout + second.stderr, "nothing left to apply"
    assert "schema version" in second.stdout + second.stderr
    rows = pg_cluster.psql("SELECT version, description, applied_at FROM schema_migrations ORDER BY version", db=db)
    assert [int(r[0]) for r in rows] == versions, "a second upgrade must not add migration rows"
    assert all(r[1] and int(r[2]) > 0 for r in rows), rows
    assert pg_cluster.psql("SELECT name FROM experiments WHERE experiment_id = 0", db=db) == [("Default",)]
    assert pg_cluster.psql("SELECT count(*) FROM experiments", db=db) == [("1",)]


def test_postgres_server_starts_on_an_upgraded_database(tmp_path, pg_cluster, pg_database):
    uri = pg_database("pre")
    result = run("db", "upgrade", uri)
    assert result.returncode == 0, result.stdout + result.stderr
    server = ServerProcess(tmp_path / "srv", backend_uri=uri)
    server.start()
    try:
        assert "applied schema migration" not in server.log(), server.log()
        c = Client(server.url)
        status, body = c.get("experiments/get", {"experiment_id": "0"})
        assert status == 200 and body["experiment"]["name"] == "Default"
        exp = c.create_experiment("made-through-the-server")
        rows = pg_cluster.psql("SELECT experiment_id, name FROM experiments ORDER BY experiment_id", db=_pg_name(uri))
        assert rows == [("0", "Default"), (exp, "made-through-the-server")], rows
    finally:
        assert server.terminate() == 0, server.log()
    # the startup line names the store, without its password
    log = server.log()
    assert f"postgresql://{pg_cluster.superuser}:***@" in log, log
    assert pg_cluster.password not in log + result.stdout + result.stderr


def test_postgres_database_newer_than_the_binary_is_refused(tmp_path, pg_cluster, pg_database):
    uri = pg_database("new")
    assert run("db", "upgrade", uri).returncode == 0
    pg_cluster.psql("INSERT INTO schema_migrations (version, description, applied_at) "
                    "VALUES (999, 'from the future', 0)", db=_pg_name(uri))
    for args in (("db", "upgrade", uri),
                 ("server", "--port", "0", "--backend-store-uri", uri,
                  "--artifacts-destination", str(tmp_path / "art"))):
        result = run(*args)
        assert result.returncode != 0, result.stdout + result.stderr
        assert "newer than this mlhub" in result.stdout + result.stderr, result.stdout + result.stderr
    # refused, not "repaired": the future row is still there and nothing was added
    assert pg_cluster.psql("SELECT max(version) FROM schema_migrations", db=_pg_name(uri)) == [("999",)]


def test_postgres_wrong_password_fails_fast_with_a_clear_message(tmp_path, pg_cluster, pg_database):
    good = pg_database("pw")
    bad = pg_cluster.uri(_pg_name(good), password="not-the-password")
    for args in (("db", "upgrade", bad),
                 ("server", "--port", "0", "--backend-store-uri", bad,
                  "--artifacts-destination", str(tmp_path / "art"))):
        result = run(*args, timeout=60)  # a hang fails here (TimeoutExpired)
        out = result.stdout + result.stderr
        assert result.returncode != 0, out
        assert "password authentication failed" in out, out
        assert "not-the-password" not in out, out
    # nothing was created with the rejected login
    assert pg_cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db=_pg_name(good)) == [("0",)]


def test_postgres_psycopg2_uri_form_and_libpq_options_are_accepted(tmp_path, pg_cluster, pg_database):
    uri = pg_database("sa")
    sa_uri = uri.replace("postgresql://", "postgresql+psycopg2://", 1) + "?sslmode=disable"
    result = run("db", "upgrade", sa_uri)
    assert result.returncode == 0, result.stdout + result.stderr
    assert pg_cluster.psql("SELECT name FROM experiments WHERE experiment_id = 0", db=_pg_name(uri)) == [("Default",)]
    server = ServerProcess(tmp_path / "srv", backend_uri=sa_uri)
    server.start()
    try:
        exp = Client(server.url).create_experiment("via-psycopg2-form")
        assert pg_cluster.psql(f"SELECT name FROM experiments WHERE experiment_id = {int(exp)}",
                               db=_pg_name(uri)) == [("via-psycopg2-form",)]
    finally:
        assert server.terminate() == 0, server.log()
