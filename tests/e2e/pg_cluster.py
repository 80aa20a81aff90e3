# SPDX-License-Identifier: Apache-2.0
"""A throwaway PostgreSQL 15 cluster for the end-to-end suite, built from Debian's packages.

    cluster = PostgresCluster()          # a fresh directory under /tmp, nothing started yet
    cluster.start()                      # initdb on first start; returns once it accepts logins
    uri = cluster.create_database("x")   # postgresql://mlhub:<password>@127.0.0.1:<port>/x
    cluster.psql("SELECT 1", db="x")     # [("1",)]
    cluster.stop("fast"); cluster.start()  # restart on the same port
    cluster.kill()                       # pg_ctl stop -m immediate (a crash, recovered at start)
    cluster.destroy()                    # stop and remove the directory

The superuser is `mlhub` with a random password; host logins use scram-sha-256, so the password
in a URI is really checked. The server listens on 127.0.0.1 only, on a port outside the kernel's
ephemeral range (so no process picking a "free" port can take it while the cluster is down), and
its unix socket lives inside the cluster directory. PostgreSQL refuses to run as root: under root
every PostgreSQL program runs as the `postgres` user (or `nobody`) through `runuser`.

Command line, used by ctest to share one cluster across the whole run:

    python3 pg_cluster.py start STATE_DIR   # starts a cluster, writes STATE_DIR/cluster.json
                                            # (and postgres.uri, for the C++ driver tests)
    python3 pg_cluster.py stop STATE_DIR    # stops it and removes its directory

and by bench/run.sh (BACKEND=postgres): `createdb STATE_DIR NAME` prints the new database's URI,
`psql STATE_DIR DB SQL` prints the rows as CSV.
"""
from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

from loopback_ports import NoFreePortError, pick_ports

PG_BIN_DIR = os.environ.get("MLHUB_PG_BIN_DIR", "/usr/lib/postgresql/15/bin")
SUPERUSER = "mlhub"
HOST = "127.0.0.1"
STATE_FILE = "cluster.json"
URI_FILE = "postgres.uri"

_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ClusterError(RuntimeError):
    pass


def _unprivileged_user():
    """None when not root; otherwise the user PostgreSQL's programs are run as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise ClusterError("running as root, but there is neither a 'postgres' nor a 'nobody' user "
                       "to run PostgreSQL as")


def pick_port():
    """A free loopback port (see loopback_ports.pick_ports)."""
    try:
        return pick_ports(1)[0]
    except NoFreePortError as e:
        raise ClusterError(str(e)) from e


def _tail(path, limit=8000, offset=0):
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()[-limit:].decode("utf-8", "replace")
    except OSError as e:
        return f"(no server log at {path}: {e})"


class PostgresCluster:
    """One PostgreSQL cluster in its own directory under /tmp (or `base_dir`)."""

    def __init__(self, base_dir=None, *, port=None, password=None, bin_dir=PG_BIN_DIR):
        self.bin_dir = bin_dir
        self.run_as = _unprivileged_user()
        self.base_dir = os.path.abspath(base_dir) if base_dir else tempfile.mkdtemp(prefix="mlhub-pg-",
                                                                                     dir="/tmp")
        os.makedirs(self.base_dir, exist_ok=True)
        self.data_dir = os.path.join(self.base_dir, "data")
        self.socket_dir = os.path.join(self.base_dir, "sock")
        self.log_path = os.path.join(self.base_dir, "postgres.log")
        self.port = port
        self.password = password or secrets.token_hex(16)
        self.superuser = SUPERUSER
        self._fixed_port = port is not None

    # -- state shared through a JSON file --------------------------------------------------

    def to_state(self) -> dict:
        return {"host": HOST, "port": self.port, "superuser": self.superuser, "password": self.password,
                "base_dir": self.base_dir, "data_dir": self.data_dir, "log_path": self.log_path,
                "bin_dir": self.bin_dir, "run_as": self.run_as}

    @classmethod
    def from_state(cls, state: dict) -> "PostgresCluster":
        return cls(state["base_dir"], port=int(state["port"]), password=state["password"],
                   bin_dir=state.get("bin_dir", PG_BIN_DIR))

    @classmethod
    def from_state_dir(cls, state_dir) -> "PostgresCluster":
        path = os.path.join(state_dir, STATE_FILE)
        try:
            with open(path) as f:
                return cls.from_state(json.load(f))
        except (OSError, ValueError, KeyError) as e:
            raise ClusterError(f"cannot read the cluster state {path}: {e}") from e

    # -- running PostgreSQL's programs ------------------------------------------------------

    def _tool(self, name):
        path = os.path.join(self.bin_dir, name)
        if not os.access(path, os.X_OK):
            raise ClusterError(f"{path} not found: install Debian's postgresql-15 package")
        return path

    def _pg(self, name, *args, timeout=120, check=True):
        cmd = [self._tool(name), *args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        env = dict(os.environ, LC_ALL="C", LANG="C")
        for var in ("PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE"):
            env.pop(var, None)
        result = subprocess.run(cmd, cwd=self.base_dir, env=env, capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise ClusterError(f"{' '.join(cmd)} exited with {result.returncode}:\n{result.stdout}"
                               f"{result.stderr}\n--- server log ---\n{_tail(self.log_path)}")
        return result

    def _chown(self, path):
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb(self):
        self._chown(self.base_dir)
        os.chmod(self.base_dir, 0o700)
        os.makedirs(self.socket_dir, exist_ok=True)
        os.chmod(self.socket_dir, 0o700)
        self._chown(self.socket_dir)
        pwfile = os.path.join(self.base_dir, "pwfile")
        with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(self.password + "\n")
        self._chown(pwfile)
        try:
            self._pg("initdb", "-D", self.data_dir, "-U", self.superuser, f"--pwfile={pwfile}",
                     "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
                     "--locale=C", "--encoding=UTF8", "--no-sync", "--no-instructions")
        finally:
            os.unlink(pwfile)
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a") as f:
            f.write("\ninclude = 'mlhub.conf'\n")

    def _write_settings(self):
        path = os.path.join(self.data_dir, "mlhub.conf")
        with open(path, "w") as f:
            f.write(f"listen_addresses = '{HOST}'\n"
                    f"port = {self.port}\n"
                    f"unix_socket_directories = '{self.socket_dir}'\n"
                    "max_connections = 300\n"
                    "shared_buffers = 64MB\n"
                    "password_encryption = 'scram-sha-256'\n"
                    "log_line_prefix = '%m [%p] %q%u@%d '\n")
        self._chown(path)

    # -- life cycle -------------------------------------------------------------------------

    def initialized(self) -> bool:
        return os.path.isfile(os.path.join(self.data_dir, "PG_VERSION"))

    def is_running(self) -> bool:
        if not self.initialized():
            return False
        return self._pg("pg_ctl", "-D", self.data_dir, "status", check=False, timeout=30).returncode == 0

    def start(self, timeout=60):
        """Starts the cluster (initdb first if needed) on its port and waits until it accepts a
        password login over TCP. A later start after stop() or kill() reuses the same port."""
        if not self.initialized():
            self._initdb()
        attempts = 1 if self._fixed_port else 5
        for attempt in range(attempts):
            if self.port is None or (attempt > 0 and not self._fixed_port):
                self.port = pick_port()
            self._write_settings()
            log_start = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
            result = self._pg("pg_ctl", "-D", self.data_dir, "-l", self.log_path, "-w", "-t", str(timeout),
                              "start", check=False, timeout=timeout + 30)
            if result.returncode == 0:
                break
            log = _tail(self.log_path, offset=log_start)
            if attempt + 1 < attempts and ("could not bind" in log or "Address already in use" in log):
                continue  # another process took the port between pick_port() and bind
            raise ClusterError(f"PostgreSQL did not start on port {self.port} (pg_ctl exited with "
                               f"{result.returncode}):\n{result.stdout}{result.stderr}\n"
                               f"--- server log ---\n{log}")
        self._fixed_port = True  # from now on the cluster keeps its port
        self.psql("SELECT 1")   # a real login: TCP, scram-sha-256, the password
        return self

    def stop(self, mode="fast", timeout=60):
        """pg_ctl stop -m fast|smart|immediate; waits until the postmaster has exited."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"unknown shutdown mode {mode!r}")
        self._pg("pg_ctl", "-D", self.data_dir, "-m", mode, "-w", "-t", str(timeout), "stop",
                 timeout=timeout + 30)

    def kill(self):
        """An abrupt stop (pg_ctl stop -m immediate): no checkpoint, crash recovery at next start."""
        self.stop("immediate")

    def restart(self, mode="fast"):
        self.stop(mode)
        return self.start()

    def destroy(self):
        """Stops the cluster if it runs and removes its directory."""
        try:
            if self.is_running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def log(self) -> str:
        return _tail(self.log_path)

    # -- SQL --------------------------------------------------------------------------------

    def uri(self, db="postgres", password=None) -> str:
        return (f"postgresql://{self.superuser}:{self.password if password is None else password}"
                f"@{HOST}:{self.port}/{db}")

    def psql_raw(self, sql, db="postgres", timeout=60) -> subprocess.CompletedProcess:
        """Runs psql -c SQL over TCP as the superuser; returns the completed process (no check)."""
        psql = os.path.join(self.bin_dir, "psql")
        if not os.access(psql, os.X_OK):
            psql = shutil.which("psql") or psql
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10", LC_ALL="C",
                   PGAPPNAME="mlhub-tests")
        env.pop("PGSERVICE", None)
        cmd = [psql, "-X", "-q", "-t", "--csv", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(self.port),
               "-U", self.superuser, "-d", db, "-c", sql]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def psql(self, sql, db="postgres", timeout=60) -> list:
        """Rows of the last statement's result as tuples of strings (NULL reads as '')."""
        result = self.psql_raw(sql, db=db, timeout=timeout)
        if result.returncode != 0:
            raise ClusterError(f"psql on {db} failed ({result.returncode}) for {sql!r}:\n{result.stderr}")
        return [tuple(row) for row in csv.reader(io.StringIO(result.stdout))]

    def create_database(self, name) -> str:
        if not _DB_NAME.match(name):
            raise ValueError(f"database name {name!r} is not a plain lower-case identifier")
        self.psql(f'CREATE DATABASE "{name}"')
        return self.uri(name)

    def drop_database(self, name):
        if not _DB_NAME.match(name):
            raise ValueError(f"database name {name!r} is not a plain lower-case identifier")
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# command line


def _cli_start(state_dir) -> int:
    os.makedirs(state_dir, exist_ok=True)
    state_path = os.path.join(state_dir, STATE_FILE)
    if os.path.exists(state_path):  # left over from an interrupted run
        try:
            old = PostgresCluster.from_state_dir(state_dir)
            print(f"pg_cluster: removing the stale cluster in {old.base_dir}")
            old.destroy()
        except ClusterError as e:
            print(f"pg_cluster: ignoring unreadable stale state: {e}")
        os.unlink(state_path)
    cluster = PostgresCluster()
    try:
        cluster.start()
        version = cluster.psql("SHOW server_version")[0][0]
    except Exception as e:
        print(f"pg_cluster: cannot start PostgreSQL: {e}", file=sys.stderr)
        cluster.destroy()
        return 1
    tmp = state_path + ".tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump(cluster.to_state(), f, indent=2)
    os.replace(tmp, state_path)
    # For the C++ driver tests: a superuser URI of the maintenance database, nothing else to parse.
    with open(os.open(os.path.join(state_dir, URI_FILE), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              "w") as f:
        f.write(cluster.uri("postgres") + "\n")
    print(f"pg_cluster: PostgreSQL {version} on {HOST}:{cluster.port}, data in {cluster.data_dir}, "
          f"state in {state_path}")
    return 0


def _cli_stop(state_dir) -> int:
    state_path = os.path.join(state_dir, STATE_FILE)
    if not os.path.exists(state_path):
        print(f"pg_cluster: no cluster state in {state_dir}; nothing to stop")
        return 0
    cluster = PostgresCluster.from_state_dir(state_dir)
    was_running = cluster.is_running()
    try:
        if was_running:
            cluster.stop("fast")
    finally:
        cluster.destroy()
        os.unlink(state_path)
        if os.path.exists(os.path.join(state_dir, URI_FILE)):
            os.unlink(os.path.join(state_dir, URI_FILE))
    if not was_running:
        print(f"pg_cluster: the cluster on port {cluster.port} was no longer running; its log:\n"
              f"{cluster.log()}", file=sys.stderr)
        return 1
    print(f"pg_cluster: stopped the cluster on port {cluster.port} and removed {cluster.base_dir}")
    return 0


def _cli_createdb(state_dir, name) -> int:
    print(PostgresCluster.from_state_dir(state_dir).create_database(name))
    return 0


def _cli_psql(state_dir, db, sql) -> int:
    for row in PostgresCluster.from_state_dir(state_dir).psql(sql, db=db):
        print(",".join(row))
    return 0


USAGE = """usage: pg_cluster.py start STATE_DIR | stop STATE_DIR | createdb STATE_DIR NAME (prints its URI)
       | psql STATE_DIR DB SQL (prints rows as CSV)"""


def main(argv) -> int:
    commands = {"start": (_cli_start, 1), "stop": (_cli_stop, 1), "createdb": (_cli_createdb, 2),
                "psql": (_cli_psql, 3)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) != 2 + commands[argv[1]][1]:
        print(USAGE, file=sys.stderr)
        return 2
    command, _ = commands[argv[1]]
    return command(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
