# SPDX-License-Identifier: Apache-2.0
"""A throwaway single-node Ceph RGW (S3 server) for the test suite, built from Debian's packages.

    rgw = RgwCluster("/tmp/x")           # everything lives in this directory; nothing started yet
    rgw.start()                          # mon + memstore OSD + radosgw on loopback, S3 user made
    rgw.endpoint                         # http://127.0.0.1:<port>
    rgw.create_bucket("mlflow")          # signed (SigV4) with botocore
    rgw.s3_client()                      # a botocore S3 client for that endpoint and user
    rgw.stop()                           # kills the daemons, removes the data (idempotent)

The layout follows docs/deps.md ("Single-node Ceph RGW on loopback", in the shared docs): no
cephx (auth none, msgr crc mode), one memstore OSD of MEMSTORE_BYTES (objects live in RAM and are
lost at stop), single replica, few PGs. The mon and RGW listen on 127.0.0.1 only, on ports below
the kernel's ephemeral range; the OSD binds 127.0.0.1 in Ceph's own range (6800-7300). Requests
are signed with SigV4 and really checked: start() fails unless a wrong secret gets 403
SignatureDoesNotMatch and the right one succeeds. The daemons run as the invoking user, root
included (Ceph runs as root unless told `--setuser`). Memory: the OSD holds ~2 bytes of RSS per
byte stored (a 1 GiB object: 2.1 GB), and RGW frees deleted or overwritten objects only at its
garbage collection, 2 h later, i.e. never during a test run: keep big test objects few.

Command line, used by ctest to share one RGW across the whole run:

    python3 rgw_cluster.py start STATE_DIR  # starts it, writes STATE_DIR/rgw.json, prints the endpoint
    python3 rgw_cluster.py stop STATE_DIR   # kills the daemons and removes the data; never fails

rgw.json: {"endpoint", "access_key", "secret_key", "region", "pids": {"mon", "osd", "rgw"}, ...}.
Use /usr/bin/python3: botocore is Debian's python3-botocore.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from loopback_ports import NoFreePortError, pick_ports

HOST = "127.0.0.1"
STATE_FILE = "rgw.json"
ACCESS_KEY = "MLHUBTESTACCESSKEY"
SECRET_KEY = "mlhubTestSecretKey0123456789abcdefghijkl"
REGION = "us-east-1"
S3_USER = "mlhub-test"
# Objects live in the OSD's memory: 4 GiB fits a 1 GiB test object (and a 24 GB machine).
MEMSTORE_BYTES = 4 * 1024 ** 3

# Everything start() creates in the state directory; stop() removes exactly these.
_ENTRIES = ("ceph.conf", "keyring", "monmap", "run", "log", "mon", "osd", "rgw", STATE_FILE,
            STATE_FILE + ".tmp")
_DAEMONS = (("rgw", "client.rgw.a"), ("osd", "osd.0"), ("mon", "mon.a"))


class RgwError(RuntimeError):
    pass


def _pick_ports(count):
    try:
        return pick_ports(count)
    except NoFreePortError as e:
        raise RgwError(str(e)) from e


def _tail(path, limit=6000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(no log at {path}: {e})"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (our own child, not reaped yet) is gone for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class RgwCluster:
    """One mon + memstore OSD + radosgw, all state in `state_dir`."""

    def __init__(self, state_dir, *, mon_ports=None, rgw_port=None, fsid=None):
        self.state_dir = os.path.abspath(state_dir)
        self.conf = os.path.join(self.state_dir, "ceph.conf")
        self.run_dir = os.path.join(self.state_dir, "run")
        self.log_dir = os.path.join(self.state_dir, "log")
        self.mon_ports = tuple(mon_ports) if mon_ports else None   # (v2, v1)
        self.rgw_port = rgw_port
        self.fsid = fsid
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.region = REGION

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.rgw_port}"

    # -- state shared through a JSON file --------------------------------------------------

    def to_state(self) -> dict:
        return {"endpoint": self.endpoint, "access_key": self.access_key, "secret_key": self.secret_key,
                "region": self.region, "pids": self.pids(), "state_dir": self.state_dir,
                "rgw_port": self.rgw_port, "mon_ports": list(self.mon_ports or ()), "fsid": self.fsid,
                "conf": self.conf, "log_dir": self.log_dir}

    @classmethod
    def from_state_dir(cls, state_dir) -> "RgwCluster":
        path = os.path.join(state_dir, STATE_FILE)
        try:
            with open(path) as f:
                state = json.load(f)
            return cls(state["state_dir"], mon_ports=state["mon_ports"], rgw_port=int(state["rgw_port"]),
                       fsid=state["fsid"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise RgwError(f"cannot read the RGW state {path}: {e}") from e

    def write_state(self):
        path = os.path.join(self.state_dir, STATE_FILE)
        tmp = path + ".tmp"
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            json.dump(self.to_state(), f, indent=2)
        os.replace(tmp, path)

    # -- logs and processes -----------------------------------------------------------------

    def log_path(self, name) -> str:
        return os.path.join(self.log_dir, f"{name}.log")

    def logs(self, *names) -> str:
        names = names or [n for _, n in reversed(_DAEMONS)]
        return "".join(f"\n--- {self.log_path(n)} (tail) ---\n{_tail(self.log_path(n))}" for n in names)

    def _pid(self, name):
        """The pid in run/NAME.pid if that process is alive and is one of ours (its command line
        names our ceph.conf), else None."""
        try:
            with open(os.path.join(self.run_dir, f"{name}.pid")) as f:
                pid = int(f.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return None
        return pid if self.conf in cmdline.split("\0") and _alive(pid) else None

    def pids(self) -> dict:
        return {key: self._pid(name) for key, name in _DAEMONS}

    def is_running(self) -> bool:
        return any(self.pids().values())

    def _ceph(self, *cmd, timeout=60, log=None, what=None):
        """Runs a Ceph program against our ceph.conf; raises RgwError with the log tails on failure."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CEPH_")}
        env.update(LC_ALL="C", LANG="C")
        argv = [cmd[0], "-c", self.conf, *cmd[1:]]
        try:
            result = subprocess.run(argv, cwd=self.state_dir, env=env, capture_output=True, text=True,
                                    timeout=timeout, stdin=subprocess.DEVNULL)
        except FileNotFoundError as e:
            raise RgwError(f"{cmd[0]} not found ({e}): install ceph-mon ceph-osd radosgw ceph-common "
                           "(scripts/bootstrap.sh)") from e
        except subprocess.TimeoutExpired as e:
            raise RgwError(f"{' '.join(argv)} did not finish within {timeout}s"
                           f"{self.logs(*(log or ()))}") from e
        if result.returncode != 0:
            raise RgwError(f"{what or ' '.join(argv)}: exited with {result.returncode}:\n{result.stdout}"
                           f"{result.stderr}{self.logs(*(log or ()))}")
        return result.stdout

    def _wait_pid(self, name, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self._pid(name)
            if pid:
                return pid
            time.sleep(0.2)
        raise RgwError(f"{name} is not running {timeout}s after it was started{self.logs(name)}")

    # -- life cycle -------------------------------------------------------------------------

    def _write_conf(self):
        v2, v1 = self.mon_ports
        d = self.state_dir
        conf = f"""# written by rgw_cluster.py; see docs/deps.md "Single-node Ceph RGW on loopback"
[global]
fsid = {self.fsid}
mon host = [v2:{HOST}:{v2},v1:{HOST}:{v1}]
mon initial members = a
public addr = {HOST}
cluster addr = {HOST}
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
osd objectstore = memstore
memstore device bytes = {MEMSTORE_BYTES}
# objects in 64 KiB pages instead of one buffer list: 1 GiB PUT 4 s instead of 7-9 s, GET 2 s instead of 4-5 s
memstore page set = true
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
# the mon batches map changes for 1 s by default; each RGW pool creation waits for 2 of them
paxos propose interval = 0.1
run dir = {d}/run
log file = {d}/log/$name.log
admin socket = {d}/run/$name.asok
pid file = {d}/run/$name.pid
mon data = {d}/mon/$cluster-$id
osd data = {d}/osd/$cluster-$id
keyring = {d}/keyring

[client.rgw.a]
rgw frontends = beast endpoint={HOST}:{self.rgw_port}
rgw data = {d}/rgw
rgw init timeout = 90
"""
        with open(self.conf, "w") as f:
            f.write(conf)

    def start(self, timeout=90):
        """Creates and starts the cluster in an empty (or only stale-state) state directory and
        returns once RGW serves SigV4-checked requests for the test user. On failure everything
        started is killed again (the logs stay) and RgwError carries the relevant log tails."""
        os.makedirs(self.state_dir, exist_ok=True)
        foreign = sorted(set(os.listdir(self.state_dir)) - set(_ENTRIES))
        if foreign:
            raise RgwError(f"{self.state_dir} holds files that are not an RGW cluster's: {foreign[:5]}")
        if self.is_running():
            raise RgwError(f"a cluster is already running in {self.state_dir}: {self.pids()}")
        fixed_ports = self.mon_ports is not None and self.rgw_port is not None
        attempts = 1 if fixed_ports else 3
        for attempt in range(attempts):
            self._remove(keep_logs=False)
            if not fixed_ports:
                v2, v1, rgw = _pick_ports(3)
                self.mon_ports, self.rgw_port = (v2, v1), rgw
            self.fsid = str(uuid.uuid4()) if attempt or not self.fsid else self.fsid
            for sub in ("run", "log", "mon", "osd/ceph-0", "rgw"):
                os.makedirs(os.path.join(self.state_dir, sub), exist_ok=True)
            self._write_conf()
            try:
                self._bootstrap(timeout)
                break
            except RgwError as e:
                self._kill()
                if attempt + 1 < attempts and "Address already in use" in str(e):
                    continue  # another process took a port between pick_ports() and bind
                self._remove(keep_logs=True)
                raise
            except BaseException:
                self._kill()
                self._remove(keep_logs=True)
                raise
        self.write_state()
        return self

    def _bootstrap(self, timeout):
        keyring = os.path.join(self.state_dir, "keyring")
        monmap = os.path.join(self.state_dir, "monmap")
        v2, v1 = self.mon_ports
        self._ceph("ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.",
                   "--cap", "mon", "allow *", timeout=30)
        self._ceph("monmaptool", "--create", "--addv", "a", f"[v2:{HOST}:{v2},v1:{HOST}:{v1}]",
                   "--fsid", self.fsid, monmap, timeout=30)
        self._ceph("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring,
                   timeout=60, log=["mon.a"], what="ceph-mon --mkfs")
        self._ceph("ceph-mon", "-i", "a", timeout=60, log=["mon.a"], what="starting ceph-mon")
        self._wait_pid("mon.a")
        osd_id = self._ceph("ceph", "--connect-timeout", "30", "osd", "create", timeout=45,
                            log=["mon.a", "client.admin"], what="ceph osd create").strip()
        if osd_id != "0":
            raise RgwError(f"ceph osd create gave id {osd_id!r}, expected 0{self.logs('mon.a')}")
        self._ceph("ceph-osd", "-i", "0", "--mkfs", timeout=60, log=["osd.0", "mon.a"], what="ceph-osd --mkfs")
        self._ceph("ceph-osd", "-i", "0", timeout=60, log=["osd.0", "mon.a"], what="starting ceph-osd")
        self._wait_pid("osd.0")
        self._ceph("radosgw", "-n", "client.rgw.a", timeout=60, log=["client.rgw.a"], what="starting radosgw")
        self._wait_pid("client.rgw.a")
        self._wait_http(timeout)
        self._ceph("radosgw-admin", "user", "create", f"--uid={S3_USER}", "--display-name=mlhub tests",
                   f"--access-key={self.access_key}", f"--secret-key={self.secret_key}", timeout=60,
                   log=["client.admin", "client.rgw.a", "osd.0"], what="radosgw-admin user create")
        self._check_sigv4()

    def _wait_http(self, timeout):
        """Polls GET / (anonymous) until RGW answers at all; RGW first creates its pools."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with opener.open(self.endpoint + "/", timeout=5) as r:
                    r.read()
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer means it serves
            except (OSError, urllib.error.URLError) as e:
                last = e
            for key, name in _DAEMONS:
                if not self._pid(name):
                    raise RgwError(f"{name} exited while waiting for RGW to answer{self.logs()}")
            time.sleep(0.5)
        raise RgwError(f"RGW at {self.endpoint} did not answer within {timeout}s (last: {last})"
                       f"{self.logs()}")

    def _check_sigv4(self):
        from botocore.exceptions import ClientError
        try:
            self.s3_client(secret_key=self.secret_key + "x").list_buckets()
        except ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = e.response.get("Error", {}).get("Code")
            if (status, code) != (403, "SignatureDoesNotMatch"):
                raise RgwError(f"a request signed with a wrong secret got {status} {code}, expected 403 "
                               f"SignatureDoesNotMatch{self.logs('client.rgw.a')}") from e
        else:
            raise RgwError("RGW accepted a request signed with a wrong secret: SigV4 is not checked"
                           f"{self.logs('client.rgw.a')}")
        try:
            self.s3_client().list_buckets()
        except ClientError as e:
            raise RgwError(f"a correctly signed request failed: {e}{self.logs('client.rgw.a')}") from e

    def _kill(self, timeout=20):
        """SIGKILLs our daemons (nothing to save: memstore data is throwaway, and a clean memstore
        shutdown would first dump every object to disk) and waits until they are gone."""
        pids = [p for p in self.pids().values() if p]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while any(_alive(p) for p in pids):
            if time.monotonic() > deadline:
                raise RgwError(f"Ceph daemons {[p for p in pids if _alive(p)]} survived SIGKILL for {timeout}s")
            time.sleep(0.1)
        return pids

    def _remove(self, keep_logs):
        for entry in _ENTRIES:
            if keep_logs and entry == "log":
                continue
            path = os.path.join(self.state_dir, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)

    def stop(self):
        """Kills the daemons, removes everything start() made and the state directory if it is
        then empty. Idempotent: stopping a stopped (or never started) cluster does nothing."""
        pids = self._kill()
        self._remove(keep_logs=False)
        try:
            os.rmdir(self.state_dir)
        except OSError:
            pass
        return pids

    # -- S3 ---------------------------------------------------------------------------------

    def s3_client(self, access_key=None, secret_key=None):
        """A botocore S3 client (SigV4, path-style, no retries) for this RGW and the test user."""
        import botocore.session
        from botocore.config import Config
        session = botocore.session.Session()
        return session.create_client(
            "s3", region_name=self.region, endpoint_url=self.endpoint,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 1}, connect_timeout=10, read_timeout=60,
                          proxies={}))

    def create_bucket(self, name) -> str:
        """Creates bucket `name` (at least 3 characters) owned by the test user; returns the name."""
        self.s3_client().create_bucket(Bucket=name)
        return name


# ---------------------------------------------------------------------------------------------
# command line


def _cli_start(state_dir) -> int:
    state_dir = os.path.abspath(state_dir)
    if os.path.exists(os.path.join(state_dir, STATE_FILE)) or os.path.exists(os.path.join(state_dir, "run")):
        print(f"rgw_cluster: removing a stale cluster in {state_dir}")
        RgwCluster(state_dir).stop()
    t0 = time.monotonic()
    cluster = RgwCluster(state_dir)
    try:
        cluster.start()
    except (RgwError, OSError, subprocess.SubprocessError, ImportError) as e:
        print(f"rgw_cluster: cannot start Ceph RGW in {state_dir}: {e}", file=sys.stderr)
        return 1
    print(f"rgw_cluster: Ceph RGW at {cluster.endpoint} (access key {cluster.access_key}) in "
          f"{time.monotonic() - t0:.1f}s, state in {os.path.join(state_dir, STATE_FILE)}", file=sys.stderr)
    print(cluster.endpoint)
    return 0


def _cli_stop(state_dir) -> int:
    try:
        cluster = RgwCluster.from_state_dir(state_dir)
    except RgwError:  # no (readable) state: the pid files and ceph.conf path are all stop() needs
        cluster = RgwCluster(state_dir)
    try:
        pids = cluster.stop()
    except (RgwError, OSError) as e:
        print(f"rgw_cluster: warning: stopping the cluster in {state_dir}: {e}", file=sys.stderr)
        return 0
    print(f"rgw_cluster: stopped {len(pids)} Ceph daemon(s) and removed the data in {cluster.state_dir}")
    return 0


USAGE = "usage: rgw_cluster.py start STATE_DIR | stop STATE_DIR"


def main(argv) -> int:
    commands = {"start": _cli_start, "stop": _cli_stop}
    if len(argv) != 3 or argv[1] not in commands:
        print(USAGE, file=sys.stderr)
        return 2
    return commands[argv[1]](argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
