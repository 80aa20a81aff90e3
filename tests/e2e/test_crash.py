# SPDX-License-Identifier: Apache-2.0
"""Durability: acknowledged writes survive SIGKILL; batches are all-or-nothing; restarts keep data."""
import threading
import time

import pytest
import requests

from mlhub_testlib import API, ARTIFACTS, Client, DeterministicStream, params_dict, run_tags

WRITERS = 6
METRICS_PER_BATCH = 50
PARAMS_PER_BATCH = 5


def _batch(rid, key):
    return {
        "run_id": rid,
        "metrics": [{"key": key, "value": float(j), "timestamp": 1000 + j, "step": j}
                    for j in range(METRICS_PER_BATCH)],
        "params": [{"key": f"{key}_p{j}", "value": f"{key}-{j}"} for j in range(PARAMS_PER_BATCH)],
    }


def _traffic_then_sigkill(srv, rid, cycle, attempted, acked, want_acked):
    """WRITERS threads send log-batch requests until `want_acked` of them were acknowledged in
    this cycle, then the server is SIGKILLed while they are still sending."""
    lock = threading.Lock()
    stop = threading.Event()
    errors, acked_now = [], []

    def writer(t):
        s = requests.Session()
        k = 0
        while not stop.is_set():
            key = f"c{cycle}b{t}_{k}"
            k += 1
            with lock:
                attempted.append(key)
            try:
                r = s.post(f"{srv.url}{API}/runs/log-batch", json=_batch(rid, key), timeout=10)
            except requests.RequestException:
                return  # the server is gone
            if r.status_code == 200:
                with lock:
                    acked.append(key)
                    acked_now.append(key)
            else:
                errors.append((key, r.status_code, r.text[:300]))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(WRITERS)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(acked_now) < want_acked and not errors:
        time.sleep(0.01)
    srv.proc.kill()  # SIGKILL while the writers are still sending
    srv.proc.wait(10)
    stop.set()
    for th in threads:
        th.join(15)
    assert not errors, f"log-batch failed under load: {errors[:5]}"
    assert len(acked_now) >= 20, f"only {len(acked_now)} batches acknowledged before the kill"


@pytest.mark.timeout_s(180)
def test_sigkill_mid_traffic_keeps_acknowledged_batches(make_server):
    srv = make_server().start()
    c = Client(srv.url)
    exp = c.create_experiment()
    rid = c.create_run(exp)["info"]["run_id"]
    attempted, acked = [], []
    _traffic_then_sigkill(srv, rid, 0, attempted, acked, want_acked=200)
    srv.start()  # recover, take more traffic, crash again
    _traffic_then_sigkill(srv, rid, 1, attempted, acked, want_acked=200)

    srv.start()  # same database, same artifacts
    c = Client(srv.url)
    run = c.get_run(rid)
    assert run["info"]["experiment_id"] == exp
    params = params_dict(run)
    acked_set = set(acked)
    partial, lost = [], []
    for key in attempted:
        n_metrics = len(c.history(rid, key))
        n_params = sum(1 for j in range(PARAMS_PER_BATCH) if params.get(f"{key}_p{j}") == f"{key}-{j}")
        full = n_metrics == METRICS_PER_BATCH and n_params == PARAMS_PER_BATCH
        empty = n_metrics == 0 and n_params == 0
        if not (full or empty):
            partial.append((key, n_metrics, n_params))
        if key in acked_set and not full:
            lost.append((key, n_metrics, n_params))
    assert not lost, f"acknowledged batches lost or incomplete after SIGKILL: {lost[:10]} ({len(lost)} in all)"
    assert not partial, f"partially applied batches: {partial[:10]} ({len(partial)} in all)"
    # the restarted server is fully usable
    c.ok_post("runs/log-batch", _batch(rid, "after_restart"))
    assert len(c.history(rid, "after_restart")) == METRICS_PER_BATCH
    assert srv.terminate() == 0, srv.log()


def test_restart_keeps_everything(make_server):
    srv = make_server().start()
    c = Client(srv.url)
    exp = c.create_experiment("persist-me", tags=[{"key": "k", "value": "v"}])
    run = c.create_run(exp, run_name="persisted")
    rid = run["info"]["run_id"]
    c.log_metric(rid, "m", 1.5, step=3, timestamp=77)
    c.ok_post("runs/log-parameter", {"run_id": rid, "key": "p", "value": "pv"})
    c.ok_post("runs/set-tag", {"run_id": rid, "key": "t", "value": "tv"})
    c.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 99})
    url = f"{ARTIFACTS}/{exp}/{rid}/artifacts/model/MLmodel"
    assert requests.put(srv.url + url, data=b"flavors: {}\n", headers={"Content-Type": "text/plain"},
                        timeout=30).status_code == 200
    assert srv.terminate() == 0, srv.log()

    srv.start()
    c = Client(srv.url)
    e = c.ok_get("experiments/get-by-name", {"experiment_name": "persist-me"})["experiment"]
    assert e["experiment_id"] == exp and {t["key"]: t["value"] for t in e["tags"]} == {"k": "v"}
    got = c.get_run(rid)
    assert got["info"]["run_name"] == "persisted" and got["info"]["status"] == "FINISHED"
    assert got["info"]["end_time"] == 99
    assert params_dict(got) == {"p": "pv"} and run_tags(got)["t"] == "tv"
    assert c.history(rid, "m") == [{"key": "m", "value": 1.5, "timestamp": 77, "step": 3}]
    assert requests.get(srv.url + url, timeout=30).content == b"flavors: {}\n"
    # ids keep counting without reuse
    assert c.create_experiment() != exp
    assert c.ok_get("experiments/get", {"experiment_id": "0"})["experiment"]["name"] == "Default"
    assert srv.terminate() == 0, srv.log()


def test_sigkill_mid_upload_leaves_no_partial_file(make_server):
    """An upload cut short by a crash must not leave a truncated file that reads as the artifact."""
    srv = make_server().start()
    c = Client(srv.url)
    exp = c.create_experiment()
    rid = c.create_run(exp)["info"]["run_id"]
    rel = f"{exp}/{rid}/artifacts/partial.bin"
    stream = DeterministicStream(64)
    sent = threading.Event()

    def body():
        for i, chunk in enumerate(stream.generator()):
            if i == 8:
                sent.set()
                time.sleep(30)  # hold the request open until the server is killed
            yield chunk

    th = threading.Thread(target=lambda: _swallow(lambda: requests.put(
        f"{srv.url}{ARTIFACTS}/{rel}", data=body(), headers={"Content-Type": "application/octet-stream"}, timeout=40)),
        daemon=True)
    th.start()
    assert sent.wait(15)
    time.sleep(0.5)
    srv.proc.kill()
    srv.proc.wait(10)
    srv.start()
    r = requests.get(f"{srv.url}{ARTIFACTS}/{rel}", timeout=30)
    assert r.status_code == 404, f"a partial upload is visible after the crash ({len(r.content)} bytes)"
    listing = requests.get(f"{srv.url}{ARTIFACTS}", params={"path": f"{exp}/{rid}/artifacts"}, timeout=30).json()
    assert not [f for f in listing.get("files", []) if not f["is_dir"]], listing
    assert srv.terminate() == 0, srv.log()


def _swallow(fn):
    try:
        fn()
    except Exception:
        pass
