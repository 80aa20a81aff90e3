#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The seeds' "test the full pipeline locally", on the embedded defaults (`make demo`):

  1. start `mlhub server --serve-models` (SQLite + a local artifact folder, in a temp dir; the
     inference server runs in the same process and serves every registered model that has the
     alias `champion`);
  2. train an XGBoost regressor on 13 features, log its params and metrics and the MLflow model
     folder through the REST API, register it and point the alias `champion` at it: it is served;
  3. call `/predict` and V2 infer;
  4. train a better model, register it, move the alias, and watch the served version change
     with no restart.

Usage: scripts/demo.py path/to/mlhub   (Debian's python3 with numpy, xgboost, sklearn, requests)
Exit status 0 when every step answered as expected.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))

import numpy as np  # noqa: E402
import requests  # noqa: E402
import xgboost  # noqa: E402

import serving_testlib as lib  # noqa: E402
from mlhub_testlib import Client, ServerProcess, free_port  # noqa: E402


def say(text):
    print(f"== {text}", flush=True)


def train(trees, seed):
    x, y = lib.training_data(rows=2000, seed=seed)
    holdout_x, holdout_y = lib.training_data(rows=500, seed=seed + 100)
    model = xgboost.XGBRegressor(n_estimators=trees, max_depth=4, random_state=seed)
    model.fit(x, y)
    rmse = float(np.sqrt(np.mean((model.predict(holdout_x) - holdout_y) ** 2)))
    return model, rmse


def served_version(serve_url):
    r = requests.get(f"{serve_url}/v2/models/demo", timeout=10)
    return r.json()["versions"][0] if r.status_code == 200 else None


def wait_for_version(serve_url, version, what, timeout=30):
    """Waits until the served version of `demo` is `version`; returns the seconds it took."""
    start = time.monotonic()
    while served_version(serve_url) != version:
        assert time.monotonic() - start < timeout, what
        time.sleep(0.1)
    return time.monotonic() - start


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.environ["MLHUB_BIN"] = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="mlhub-demo-")
    serve_port = free_port()
    serve_url = f"http://127.0.0.1:{serve_port}"
    server = ServerProcess(os.path.join(work, "server"), extra_args=[
        "--serve-models", "--serve-http-port", str(serve_port), "--serve-grpc-port", "-1"])
    try:
        server.start()
        say(f"mlhub server --serve-models on {server.url}, inference on {serve_url} (store and "
            f"artifacts in {work}/server)")
        client = Client(server.url)

        model, rmse = train(trees=10, seed=1)
        folder = lib.write_mlflow_model(os.path.join(work, "model-v1"), model, "model.xgb", "xgb",
                                        None)
        v1 = lib.register_model_version(server.url, "demo", folder,
                                        params={"n_estimators": 10, "max_depth": 4},
                                        metrics={"rmse": rmse})
        client.ok_post("registered-models/alias", {"name": "demo", "alias": "champion",
                                                   "version": v1})
        say(f"registered demo version {v1} (rmse {rmse:.4f}), alias champion -> {v1}")

        wait_for_version(serve_url, v1, "the model with the alias was not served")
        say(f"mlhub serves demo@champion: serving version {served_version(serve_url)}")

        row = [lib.SEED_ROW]
        r = requests.post(f"{serve_url}/predict", json={"features": row}, timeout=10)
        assert r.status_code == 200, r.text
        first = r.json()
        say(f"POST /predict -> {first}")
        assert np.allclose(first["predictions"], model.predict(np.asarray(row, np.float32)),
                           rtol=1e-6)
        r = requests.post(f"{serve_url}/v2/models/demo/infer",
                          json={"inputs": [lib.v2_input(np.asarray(row, np.float32))]}, timeout=10)
        assert r.status_code == 200, r.text
        say(f"POST /v2/models/demo/infer -> {r.json()['outputs'][0]['data']} "
            f"(version {r.json()['model_version']})")

        better, better_rmse = train(trees=80, seed=1)
        folder = lib.write_mlflow_model(os.path.join(work, "model-v2"), better, "model.xgb",
                                        "xgb", None)
        v2 = lib.register_model_version(server.url, "demo", folder,
                                        params={"n_estimators": 80, "max_depth": 4},
                                        metrics={"rmse": better_rmse})
        assert better_rmse < rmse, (better_rmse, rmse)
        client.ok_post("registered-models/alias", {"name": "demo", "alias": "champion",
                                                   "version": v2})
        say(f"registered demo version {v2} (rmse {better_rmse:.4f}), alias champion -> {v2}")
        took = wait_for_version(serve_url, v2, "the served version did not change")
        say(f"mlhub now serves version {v2} ({took:.1f} s after the alias moved, no restart)")
        r = requests.post(f"{serve_url}/predict", json={"features": row}, timeout=10)
        assert r.status_code == 200 and r.json()["model_version"] == v2, r.text
        assert np.allclose(r.json()["predictions"], better.predict(np.asarray(row, np.float32)),
                           rtol=1e-6)
        say(f"POST /predict -> {r.json()}")
        say("demo passed")
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
