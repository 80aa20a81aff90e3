# SPDX-License-Identifier: Apache-2.0
"""`make demo` (scripts/demo.py) as a test: the whole pipeline on the embedded defaults — track a
run with params, metrics and the model, register it, serve it by alias, call /predict and V2
infer, register a better model, move the alias and see the served version change, no restart."""
import os
import subprocess

from mlhub_testlib import mlhub_bin

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "demo.py")


def test_demo_pipeline_runs_end_to_end():
    done = subprocess.run(["/usr/bin/python3", DEMO, mlhub_bin()], capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "== demo passed", done.stdout
    assert any("serving version 1" in line for line in lines), done.stdout
    assert any(line.startswith("== mlhub now serves version 2") for line in lines), done.stdout
