#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Swap time of `mlhub serve` following the registry (issue 7): from the moment the alias moves
to the moment the new version answers.

  bench/swap_time.py path/to/mlhub [ROUNDS] [POLL_S]     (defaults: 10 rounds, 1.0 s: the default
                                                          --registry-poll-interval)

Starts `mlhub server` (SQLite, proxied local artifacts) and registers two versions of the
TorchScript MLP 13 -> 64 -> 1 (tests/e2e/torch_testlib.py, different weights), serves
`models:/<name>@champion`, then for each round moves the alias to the other version and polls
V2 inference every 2 ms until the answer names the new version and carries its predictions.
Prints each round and the mean / max. The figure includes up to one poll interval of waiting for
the next registry check (mean ~ POLL_S / 2), the download through the artifact proxy, the load
(plus the warm-up run) and the flip.
"""
import os
import sys
import tempfile
import time

import numpy as np
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
os.environ.setdefault("MLHUB_BIN", os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "")

import torch_testlib  # noqa: E402
from mlhub_testlib import Client, ServerProcess, unique  # noqa: E402
from serving_testlib import ServeProcess, register_model_version  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    poll_s = sys.argv[3] if len(sys.argv) > 3 else "1.0"
    tmp = tempfile.mkdtemp(prefix="mlhub-swap-")
    tracking = ServerProcess(os.path.join(tmp, "tracking"))
    tracking.start()
    serve = None
    try:
        name = unique("swap")
        modules, versions = [], []
        for seed in (1, 2):
            module = torch_testlib.mlp(seed=seed)
            folder = torch_testlib.write_mlflow_pytorch(
                os.path.join(tmp, f"mlp{seed}"), module, torch_testlib.MLP_TENSOR_SIGNATURE)
            modules.append(module)
            versions.append(register_model_version(tracking.url, name, folder))
        client = Client(tracking.url)
        client.ok_post("registered-models/alias",
                       {"name": name, "alias": "champion", "version": versions[0]})
        serve = ServeProcess(os.path.join(tmp, "serve"), {"m": f"models:/{name}@champion"},
                             grpc=False, extra_args=["--tracking-uri", tracking.url,
                                                     "--registry-poll-interval", poll_s])
        serve.start()
        x = np.random.default_rng(0).normal(size=(1, torch_testlib.FEATURES)).astype(np.float32)
        expected = {v: torch_testlib.forward(m, x).reshape(-1) for v, m in zip(versions, modules)}
        body = {"inputs": [{"name": "input", "shape": [1, 13], "datatype": "FP32",
                            "data": x.reshape(-1).tolist()}]}
        session = requests.Session()

        def answer():
            r = session.post(f"{serve.url}/v2/models/m/infer", json=body, timeout=10)
            r.raise_for_status()
            out = r.json()
            return out["model_version"], np.asarray(out["outputs"][0]["data"], dtype=np.float32)

        times = []
        for i in range(rounds):
            target = versions[(i + 1) % 2]
            start = time.monotonic()
            client.ok_post("registered-models/alias",
                           {"name": name, "alias": "champion", "version": target})
            while True:
                version, values = answer()
                if version == target:
                    assert np.allclose(values, expected[target], rtol=1e-5), (values, target)
                    break
                if time.monotonic() - start > 30:
                    sys.exit(f"round {i}: version {target} not served after 30 s")
                time.sleep(0.002)
            times.append(time.monotonic() - start)
            print(f"round {i + 1}: version {target} serving {times[-1] * 1000:.0f} ms after the "
                  "alias moved", flush=True)
            time.sleep(0.3)
        print(f"swap time over {rounds} rounds, --registry-poll-interval {poll_s}: mean "
              f"{np.mean(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (target <= 2000 ms)")
    finally:
        if serve:
            serve.kill()
        tracking.terminate()


if __name__ == "__main__":
    main()
