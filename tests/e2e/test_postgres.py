# SPDX-License-Identifier: Apache-2.0
"""PostgreSQL only: several server processes on one database, a migration race at startup, and
the database going away under load and coming back.

Each test has a private database on the session's cluster, or (when it must stop PostgreSQL) a
private cluster of its own.
"""
import re
import threading
import time

import pytest
import requests

from mlhub_testlib import API, Client, params_dict, private_postgres, run_parallel, strict_json, unique



def _db_name(uri):
    return uri.rsplit("/", 1)[1].split("?", 1)[0]


def _two_servers(server_factory, uri, **kw):
    a = server_factory(backend_uri=uri, **kw)
    b = server_factory(backend_uri=uri, **kw)
    a.spawn()
    b.spawn()
    return a.wait_ready(30), b.wait_ready(30)


# ---------------------------------------------------------------------------------------------
# two processes, one database


THREADS_PER_SERVER = 8
CALLS_PER_THREAD = 625          # 2 servers x 8 threads x 625 = 10,000 write calls
SHARED_RUNS = 4
BATCH_POINTS = 10
CROSS_READ_EVERY = 25


@pytest.mark.timeout_s(240)
def test_two_servers_one_database_lose_and_duplicate_nothing(server_factory, pg_database):
    servers = _two_servers(server_factory, pg_database("two"))
    c0 = Client(servers[0].url)
    exp = c0.create_experiment()
    rids = [c0.create_run(exp)["info"]["run_id"] for _ in range(SHARED_RUNS)]
    threads = 2 * THREADS_PER_SERVER

    def writer(t):
        """Thread t writes through server t % 2 and checks some of its writes through the other."""
        c = Client(servers[t % 2].url)
        other = Client(servers[(t + 1) % 2].url)
        want = [{"single": [], "batch": [], "params": {}} for _ in rids]
        for i in range(CALLS_PER_THREAD):
            r = (t + i) % SHARED_RUNS
            rid = rids[r]
            base = (t * CALLS_PER_THREAD + i) * BATCH_POINTS
            if i % 5 == 0:  # a log-batch: points and a param
                pts = [{"key": "batch", "value": float(base + j), "timestamp": base + j + 1, "step": base + j}
                       for j in range(BATCH_POINTS)]
                key, value = f"b{t}_{i}", f"batch-{t}-{i}"
                c.ok_post("runs/log-batch", {"run_id": rid, "metrics": pts, "params": [{"key": key, "value": value}]})
                want[r]["batch"].extend(range(base, base + BATCH_POINTS))
                want[r]["params"][key] = value
            elif i % CROSS_READ_EVERY == 1:  # a param, then read back through the other process
                key, value = f"p{t}_{i}", f"param-{t}-{i}"
                c.ok_post("runs/log-parameter", {"run_id": rid, "key": key, "value": value})
                want[r]["params"][key] = value
                seen = params_dict(other.get_run(rid)).get(key)
                assert seen == value, f"{key} acknowledged by one process but the other reads {seen!r}"
            else:
                c.log_metric(rid, "single", float(base), step=base, timestamp=base + 1)
                want[r]["single"].append(base)
        return want

    per_thread = run_parallel(threads, writer)

    for r, rid in enumerate(rids):
        single = sorted(s for w in per_thread for s in w[r]["single"])
        batch = sorted(s for w in per_thread for s in w[r]["batch"])
        params = {k: v for w in per_thread for k, v in w[r]["params"].items()}
        for srv in servers:
            c = Client(srv.url)
            for key, steps in (("single", single), ("batch", batch)):
                hist = c.history(rid, key)
                got = sorted(m["step"] for m in hist)
                assert len(hist) == len(steps), f"{srv.url} run {r} {key}: {len(hist)} points, {len(steps)} written"
                assert got == steps, f"{srv.url} run {r} {key}: lost or duplicated points"
                assert all(m["value"] == float(m["step"]) and m["timestamp"] == m["step"] + 1 for m in hist)
            run = c.get_run(rid)
            assert params_dict(run) == params, f"{srv.url} run {r}: params differ from what was acknowledged"
            assert len(run["data"]["params"]) == len(params), "duplicate param entries"
            latest = {m["key"]: m for m in run["data"]["metrics"]}
            assert latest["single"]["step"] == single[-1] and latest["batch"]["step"] == batch[-1], latest
    total_calls = sum(len(w[r]["single"]) + len(w[r]["batch"]) // BATCH_POINTS
                      + sum(1 for k in w[r]["params"] if k.startswith("p"))
                      for w in per_thread for r in range(SHARED_RUNS))
    assert total_calls == threads * CALLS_PER_THREAD == 10_000
    for srv in servers:
        assert srv.terminate() == 0, srv.log()


@pytest.mark.timeout_s(120)
def test_two_servers_create_experiments_and_race_on_names(server_factory, pg_database):
    servers = _two_servers(server_factory, pg_database("exps"))
    threads, per = 16, 10
    prefix = unique("cc")

    def create(t):
        c = Client(servers[t % 2].url)
        return [(f"{prefix}-{t}-{i}", c.create_experiment(f"{prefix}-{t}-{i}")) for i in range(per)]

    made = dict(pair for chunk in run_parallel(threads, create) for pair in chunk)
    assert len(made) == threads * per
    assert len(set(made.values())) == threads * per, "two experiments got the same id"
    assert "0" not in made.values()
    for srv in servers:
        c = Client(srv.url)
        for name, exp_id in made.items():
            got = c.ok_get("experiments/get-by-name", {"experiment_name": name})["experiment"]
            assert got["experiment_id"] == exp_id, (srv.url, name, got)
        listed = c.ok_post("experiments/search", {"max_results": 1000})["experiments"]
        ours = {e["name"]: e["experiment_id"] for e in listed if e["name"].startswith(prefix)}
        assert ours == made, f"{srv.url}: experiments/search disagrees with what was created"

    # the same name from 16 threads over two processes: exactly one wins
    name = unique("race")
    results = run_parallel(threads, lambda t: Client(servers[t % 2].url).post("experiments/create", {"name": name}))
    oks = [js for st, js in results if st == 200]
    assert len(oks) == 1, results
    assert all(st == 400 and js["error_code"] == "RESOURCE_ALREADY_EXISTS" for st, js in results if st != 200), results
    for srv in servers:
        got = Client(srv.url).ok_get("experiments/get-by-name", {"experiment_name": name})["experiment"]
        assert got["experiment_id"] == oks[0]["experiment_id"]

    # one param key with different values from both processes: exactly one wins, the rest are 400
    rid = Client(servers[0].url).create_run(made[f"{prefix}-0-0"])["info"]["run_id"]
    results = run_parallel(threads, lambda t: Client(servers[t % 2].url).post(
        "runs/log-parameter", {"run_id": rid, "key": "race", "value": f"v{t}"}))
    winners = [t for t, (st, _) in enumerate(results) if st == 200]
    assert len(winners) == 1, results
    assert all(st == 400 and js["error_code"] == "INVALID_PARAMETER_VALUE" for st, js in results if st != 200), results
    for srv in servers:
        assert params_dict(Client(srv.url).get_run(rid)) == {"race": f"v{winners[0]}"}
    for srv in servers:
        assert srv.terminate() == 0, srv.log()


# ---------------------------------------------------------------------------------------------
# migrations: two processes starting on an empty database


_APPLIED = re.compile(r"applied schema migration (\d+)\b")


@pytest.mark.timeout_s(120)
def test_two_servers_starting_together_migrate_once(server_factory, pg_cluster, pg_database):
    for round_ in range(3):
        uri = pg_database("mig")
        a, b = _two_servers(server_factory, uri)  # spawned back to back, then both awaited
        applied = [[int(n) for n in _APPLIED.findall(srv.log())] for srv in (a, b)]
        rows = pg_cluster.psql("SELECT version FROM schema_migrations ORDER BY version", db=_db_name(uri))
        versions = [int(v) for (v,) in rows]
        assert versions and versions == list(range(1, versions[-1] + 1)), versions
        assert 1 in applied[0] + applied[1], f"round {round_}: nobody logged applying migration 1: {applied}"
        assert sum(1 in lst for lst in applied) == 1, \
            f"round {round_}: 'applied schema migration 1' must be in exactly one log: {applied}"
        assert sorted(applied[0] + applied[1]) == versions, \
            f"round {round_}: every migration must be applied exactly once in all: {applied} vs {versions}"
        assert pg_cluster.psql("SELECT experiment_id, name FROM experiments", db=_db_name(uri)) == [("0", "Default")]
        ca, cb = Client(a.url), Client(b.url)
        ea, eb = ca.create_experiment("from-a"), cb.create_experiment("from-b")
        assert ea != eb
        assert cb.ok_get("experiments/get", {"experiment_id": ea})["experiment"]["name"] == "from-a"
        assert ca.ok_get("experiments/get", {"experiment_id": eb})["experiment"]["name"] == "from-b"
        for srv in (a, b):
            assert srv.terminate() == 0, srv.log()


# ---------------------------------------------------------------------------------------------
# the database goes away under load and comes back


OUTAGE_WRITERS = 4
OUTAGE_POINTS = 5
OUTAGE_PARAMS = 2
CONNECT_TIMEOUT_S = 2
CLIENT_TIMEOUT_S = 30           # well above the connect timeout: a hang is an error, not a 503


@pytest.fixture
def private_cluster():
    yield from private_postgres("of its own")


def _outage_batch(rid, key):
    return {"run_id": rid,
            "metrics": [{"key": key, "value": float(j), "timestamp": 100 + j, "step": j} for j in range(OUTAGE_POINTS)],
            "params": [{"key": f"{key}_p{j}", "value": f"{key}:{j}"} for j in range(OUTAGE_PARAMS)]}


class _Load:
    """OUTAGE_WRITERS threads sending log-batch (one fresh key each) and one reader thread, all
    recording every answer together with the phase ("up", "down", "back") at send and at answer."""

    def __init__(self, url, rid):
        self.url, self.rid = url, rid
        self.phase = "up"
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.sent = []           # (key, phase at send, status, phase at answer)
        self.reads = []          # (phase at send, status, phase at answer)
        self.bad = []            # anything that is neither a 200 nor a proper 503
        self.streak = [0] * OUTAGE_WRITERS   # consecutive 200s per writer
        self.threads = [threading.Thread(target=self._writer, args=(t,), daemon=True)
                        for t in range(OUTAGE_WRITERS)]
        self.threads.append(threading.Thread(target=self._reader, daemon=True))

    def _check_answer(self, what, r):
        if r.status_code == 200:
            return True
        if r.status_code == 503:
            try:
                body = strict_json(r.text)
            except ValueError:
                body = None
            if (isinstance(body, dict) and body.get("error_code") == "TEMPORARILY_UNAVAILABLE"
                    and isinstance(body.get("message"), str)
                    and r.headers.get("Content-Type", "").startswith("application/json")):
                return False
        with self.lock:
            self.bad.append((what, self.phase, r.status_code, r.text[:300]))
        return False

    def _writer(self, t):
        s = requests.Session()
        k = 0
        while not self.stop.is_set():
            key = f"w{t}_{k}"
            k += 1
            sent_in = self.phase
            try:
                r = s.post(f"{self.url}{API}/runs/log-batch", json=_outage_batch(self.rid, key),
                           timeout=CLIENT_TIMEOUT_S)
            except requests.RequestException as e:
                with self.lock:
                    self.bad.append((key, sent_in, "exception", repr(e)))
                return
            ok = self._check_answer(key, r)
            with self.lock:
                self.sent.append((key, sent_in, r.status_code, self.phase))
                self.streak[t] = self.streak[t] + 1 if ok else 0
            if not ok:
                time.sleep(0.02)  # no busy loop against a database that is down

    def _reader(self):
        s = requests.Session()
        while not self.stop.is_set():
            sent_in = self.phase
            try:
                r = s.get(f"{self.url}{API}/runs/get", params={"run_id": self.rid}, timeout=CLIENT_TIMEOUT_S)
            except requests.RequestException as e:
                with self.lock:
                    self.bad.append(("runs/get", sent_in, "exception", repr(e)))
                return
            self._check_answer("runs/get", r)
            with self.lock:
                self.reads.append((sent_in, r.status_code, self.phase))
            time.sleep(0.02)

    def count(self, pred):
        with self.lock:
            return sum(1 for row in self.sent if pred(row))

    def wait_for(self, cond, limit_s, what):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            with self.lock:
                if self.bad:
                    break
            if cond():
                return
            time.sleep(0.05)
        with self.lock:
            summary = {"sent": len(self.sent), "acked": sum(1 for r in self.sent if r[2] == 200),
                       "503": sum(1 for r in self.sent if r[2] == 503), "reads": len(self.reads),
                       "bad": self.bad[:5]}
        pytest.fail(f"{what} did not happen within {limit_s}s (polling); load so far: {summary}")


@pytest.mark.timeout_s(180)
@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_outage_is_503_and_the_server_recovers_by_itself(mode, private_cluster, server_factory):
    cluster = private_cluster
    uri = cluster.create_database("outage")
    srv = server_factory(backend_uri=uri, extra_args=[
        "--db-connect-timeout", str(CONNECT_TIMEOUT_S), "--db-pool-size", "4"]).start()
    c = Client(srv.url)
    rid = c.create_run(c.create_experiment())["info"]["run_id"]
    port = cluster.port

    load = _Load(srv.url, rid)
    for th in load.threads:
        th.start()
    try:
        load.wait_for(lambda: load.count(lambda r: r[2] == 200) >= 40, 60, "40 acknowledged batches before the outage")

        cluster.stop(mode)  # while the writers are sending
        load.phase = "down"
        load.wait_for(lambda: load.count(lambda r: r[1] == "down" and r[2] == 503) >= 20
                      and any(r[0] == "down" and r[1] == 503 for r in list(load.reads)),
                      60, "503 answers to writes and reads while PostgreSQL is down")
        assert srv.proc.poll() is None, f"the server exited when PostgreSQL went away:\n{srv.log()}"

        load.phase = "restarting"
        cluster.start()
        assert cluster.port == port
        load.phase = "back"
        load.wait_for(lambda: min(load.streak) >= 5 and load.count(lambda r: r[1] == "back" and r[2] == 200) >= 40,
                      90, "recovery (every writer acknowledged 5 batches in a row after PostgreSQL came back)")
    finally:
        load.stop.set()
        for th in load.threads:
            th.join(CLIENT_TIMEOUT_S + 10)
    by_phase = {}
    for _, sent_in, status, answered_in in load.sent:
        by_phase[(sent_in, answered_in, status)] = by_phase.get((sent_in, answered_in, status), 0) + 1
    print(f"log-batch answers by (phase sent, phase answered, status): {by_phase}; "
          f"reads: {len(load.reads)}, of which 503: {sum(1 for r in load.reads if r[1] == 503)}")
    assert not [th for th in load.threads if th.is_alive()], "a client request hung"
    assert not load.bad, f"answers other than 200 / 503 TEMPORARILY_UNAVAILABLE: {load.bad[:10]}"
    assert srv.proc.poll() is None, f"the server exited:\n{srv.log()}"

    # nothing can be acknowledged while the database is down
    phantom = [row for row in load.sent if row[1] == "down" and row[3] == "down" and row[2] == 200]
    assert not phantom, f"batches acknowledged while PostgreSQL was down: {phantom[:10]}"

    # every acknowledged batch is there, whole; every other one is whole or absent
    c = Client(srv.url)
    params = params_dict(c.get_run(rid))
    lost, partial = [], []
    for key, _, status, _ in load.sent:
        hist = c.history(rid, key)
        points_ok = sorted((m["step"], m["value"], m["timestamp"]) for m in hist) == \
            [(j, float(j), 100 + j) for j in range(OUTAGE_POINTS)]
        n_params = sum(1 for j in range(OUTAGE_PARAMS) if params.get(f"{key}_p{j}") == f"{key}:{j}")
        full = points_ok and n_params == OUTAGE_PARAMS
        if status == 200 and not full:
            lost.append((key, len(hist), n_params))
        if not full and (hist or n_params):
            partial.append((key, len(hist), n_params))
    assert not lost, f"acknowledged batches missing after the outage: {lost[:10]} ({len(lost)} in all)"
    assert not partial, f"partially applied batches: {partial[:10]} ({len(partial)} in all)"
    sent_params = {f"{row[0]}_p{j}" for row in load.sent for j in range(OUTAGE_PARAMS)}
    assert set(params) <= sent_params, f"params nobody sent: {sorted(set(params) - sent_params)[:10]}"

    # still a normal server: a new write, then a clean shutdown
    c.ok_post("runs/log-batch", _outage_batch(rid, "after"))
    assert len(c.history(rid, "after")) == OUTAGE_POINTS
    assert srv.terminate() == 0, srv.log()
