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
        assert 400 <= r.status_code < 500 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        body = '{"name": "' + "x" * (2 << 20) + '"}'
        r = requests.post(f"{server.url}{API}/experiments/create", data=body, timeout=30,
                          headers={"Content-Type": "application/json"})
        assert 400 <= r.status_code < 500 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        r = requests.get(f"{server.url}/health", timeout=30)  # still serving
        assert r.status_code == 200 and r.text == "OK"
    finally:
        assert server.terminate() == 0
