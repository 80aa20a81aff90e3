#!/usr/bin/python3
"""Latency/RSS scenarios of bench/run.sh (Debian python3 + requests, no PyPI).

  latency.py history BASE_URL SERVER_PID   # scenario 4: get-history of a 100,000-point metric
  latency.py search  BASE_URL              # scenario 5: runs/search over 10,000 runs

Data is loaded over one keep-alive connection; each timed call is a separate curl
(`-w %{time_total}`: connect + request + full response, no client-side JSON parsing).
Prints "RESULT name value" lines for run.sh and "ERROR ..." lines for anything that went wrong.
$MLHUB_BENCH_AFTER_LOAD, when set, is a shell command run between loading and the timed searches.
"""
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from urllib.parse import urlparse

import requests

DEADLINE_S = 240  # bound on the data loading of one scenario
TIMED_CALLS = 20
errors = 0


def result(name, value):
    print(f"RESULT {name} {value}", flush=True)


def error(msg):
    global errors
    errors += 1
    print(f"ERROR {msg}", flush=True)


class Api:
    """Bare keep-alive JSON client (far cheaper per request than requests.Session)."""

    def __init__(self, base):
        u = urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.prefix = "/api/2.0/mlflow/"

    def post(self, path, body):
        self.conn.request("POST", self.prefix + path, json.dumps(body),
                          {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"POST {path} -> {r.status}: {data[:300]!r}")
        return json.loads(data)

    def new_run(self, experiment_id):
        run = self.post("runs/create", {"experiment_id": experiment_id,
                                        "start_time": int(time.time() * 1000), "tags": []})
        return run["run"]["info"]["run_id"]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def curl_ms(url, body=None):
    """One timed call; returns milliseconds, or None (and reports) on a non-200."""
    cmd = ["curl", "-s", "-o", "/dev/null", "--max-time", "30",
           "-w", "%{http_code} %{time_total}", url]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", body]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=40).stdout.split()
    if len(out) != 2 or out[0] != "200":
        error(f"timed call {url} -> {out}")
        return None
    return float(out[1]) * 1000


def timed(url, body=None):
    ms = [m for m in (curl_ms(url, body) for _ in range(TIMED_CALLS)) if m is not None]
    if not ms:
        return None, None
    return statistics.median(ms), max(ms)


def history(base, pid):
    api = Api(base)
    exp = api.post("experiments/create", {"name": f"bench-history-{time.time_ns()}"})
    run_id = api.new_run(exp["experiment_id"])
    ts = int(time.time() * 1000)
    t0 = time.monotonic()
    for b in range(100):  # 100 log-batch requests x 1000 points, steps 0..99999
        metrics = [{"key": "loss", "value": 1.0 / (1 + s), "timestamp": ts + s, "step": s}
                   for s in range(b * 1000, (b + 1) * 1000)]
        api.post("runs/log-batch", {"run_id": run_id, "metrics": metrics})
        if time.monotonic() - t0 > DEADLINE_S:
            error("filling the history took too long")
            return
    result("history_fill_s", f"{time.monotonic() - t0:.2f}")

    url = f"{base}/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key=loss"
    rss_before = rss_kb(pid)
    r = requests.get(url, timeout=60)  # first call: check the answer once
    if r.status_code != 200:
        error(f"get-history -> {r.status_code}: {r.text[:300]}")
        return
    body = r.json()
    points = body.get("metrics", [])
    result("history_points", len(points))
    result("history_response_mb", f"{len(r.content) / 1e6:.1f}")
    if body.get("next_page_token"):
        error("get-history returned a next_page_token (2.9 returns the whole history)")
    steps = sorted(p["step"] for p in points)
    if steps != list(range(100000)):
        error("get-history steps are not exactly 0..99999")
    time.sleep(0.2)
    rss_first = rss_kb(pid)  # after the first call: the 20 timed calls should not grow it
    med, mx = timed(url)
    time.sleep(0.2)
    rss_after = rss_kb(pid)
    if med is not None:
        result("history_median_ms", f"{med:.1f}")
        result("history_max_ms", f"{mx:.1f}")
    result("history_rss_before_mb", f"{rss_before / 1024:.1f}")
    result("history_rss_after_first_mb", f"{rss_first / 1024:.1f}")
    result("history_rss_after_mb", f"{rss_after / 1024:.1f}")
    result("history_rss_growth_mb", f"{(rss_after - rss_before) / 1024:.1f}")
    result("history_rss_growth_timed_mb", f"{(rss_after - rss_first) / 1024:.1f}")


def search(base):
    api = Api(base)
    exp = api.post("experiments/create", {"name": f"bench-search-{time.time_ns()}"})["experiment_id"]
    rnd = random.Random(42)
    models = ["xgb", "rf", "lr", "mlp"]
    ts = int(time.time() * 1000)
    t0 = time.monotonic()
    for i in range(10000):  # each run: runs/create + one log-batch (2 metrics, 1 param)
        run_id = api.new_run(exp)
        api.post("runs/log-batch", {
            "run_id": run_id,
            "metrics": [{"key": "acc", "value": rnd.random(), "timestamp": ts, "step": 0},
                        {"key": "loss", "value": rnd.random() * 2, "timestamp": ts, "step": 0}],
            "params": [{"key": "model", "value": models[i % 4]}]})
        if time.monotonic() - t0 > DEADLINE_S:
            error(f"loading runs took too long ({i + 1} of 10000 done)")
            return
    result("search_load_s", f"{time.monotonic() - t0:.2f}")
    after_load = os.environ.get("MLHUB_BENCH_AFTER_LOAD")
    if after_load:  # e.g. ANALYZE on PostgreSQL, as pgbench does after loading
        subprocess.run(after_load, shell=True, check=True, timeout=300)

    url = f"{base}/api/2.0/mlflow/runs/search"
    query = {"experiment_ids": [exp],
             "filter": "metrics.acc > 0.5 and params.model = 'xgb'",
             "order_by": ["metrics.acc DESC"], "max_results": 100}
    body = json.dumps(query)
    r = requests.post(url, json=query, timeout=60)  # check the answer once
    if r.status_code != 200:
        error(f"runs/search -> {r.status_code}: {r.text[:300]}")
        return
    runs = r.json().get("runs", [])
    result("search_runs", len(runs))
    accs = []
    for run in runs:
        data = run.get("data", {})
        m = {x["key"]: x["value"] for x in data.get("metrics", [])}
        p = {x["key"]: x["value"] for x in data.get("params", [])}
        accs.append(m.get("acc", -1))
        if not (m.get("acc", -1) > 0.5 and p.get("model") == "xgb"):
            error(f"run {run['info']['run_id']} does not match the filter: {m} {p}")
            break
    if accs != sorted(accs, reverse=True):
        error("runs are not ordered by metrics.acc DESC")
    med, mx = timed(url, body)
    if med is not None:
        result("search_median_ms", f"{med:.2f}")
        result("search_max_ms", f"{mx:.2f}")


def main():
    try:
        if sys.argv[1] == "history":
            history(sys.argv[2], int(sys.argv[3]))
        elif sys.argv[1] == "search":
            search(sys.argv[2])
        else:
            sys.exit(__doc__)
    except Exception as e:  # report and let run.sh carry on with the next scenario
        error(f"{type(e).__name__}: {e}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
