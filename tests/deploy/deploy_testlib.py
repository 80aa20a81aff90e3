# SPDX-License-Identifier: Apache-2.0
"""Shared helpers of the deploy/ tests: paths, rendering, the validator and mlhub's flags.

Every tool these tests need (kubectl, node, the validator's npm packages, the mlhub binary, the
CRD folder) is required: a missing one fails the test with a message naming it, never skips it.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
VALIDATOR = REPO / "tools" / "k8s-validate" / "validate.js"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# ctest passes MLHUB_K8S_CRDS; by default the shared folder next to the checkout.
CRDS = Path(os.environ.get("MLHUB_K8S_CRDS", REPO.parent / "shared" / "k8s" / "crds"))

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def require(condition, what):
    assert condition, f"missing: {what} (run scripts/bootstrap.sh)"


def kubectl():
    found = os.environ.get("KUBECTL") or shutil.which("kubectl")
    local = REPO / "tools" / "k8s-validate" / "bin" / "kubectl"
    if not found and local.exists():
        found = str(local)
    require(found, "kubectl")
    return found


def node():
    found = shutil.which("node")
    require(found, "node")
    require((VALIDATOR.parent / "node_modules" / "kubernetes-models").is_dir(),
            "tools/k8s-validate/node_modules (npm ci)")
    return found


def mlhub_bin():
    path = os.environ.get("MLHUB_BIN")
    require(path and Path(path).is_file(), "MLHUB_BIN (the mlhub binary; ctest sets it)")
    return path


def kustomize_roots(under=DEPLOY):
    """Every folder holding a Kustomization, except Components (not buildable on their own)."""
    roots = []
    for file in sorted(p for name in KUSTOMIZATION_FILES for p in under.rglob(name)):
        if yaml.safe_load(file.read_text()).get("kind") != "Component":
            roots.append(file.parent)
    return sorted(roots)


def rel(root):
    return root.relative_to(REPO).as_posix()


_rendered = {}


def render(root):
    """The objects `kubectl kustomize root` builds (cached per root)."""
    root = Path(root)
    if root not in _rendered:
        proc = subprocess.run([kubectl(), "kustomize", str(root)], capture_output=True, text=True)
        assert proc.returncode == 0, f"kubectl kustomize {rel(root)} failed:\n{proc.stderr}"
        _rendered[root] = [d for d in yaml.safe_load_all(proc.stdout) if d]
    return _rendered[root]


def objects(root, kind=None, name=None):
    return [o for o in render(DEPLOY / root)
            if (kind is None or o["kind"] == kind) and (name is None or o["metadata"]["name"] == name)]


def one(root, kind, name):
    found = objects(root, kind, name)
    assert len(found) == 1, f"{root}: expected one {kind}/{name}, found {len(found)}"
    return found[0]


def run_validator(paths, *flags):
    """Runs the validator on paths; returns (exit status, {path: [problem lines]}, stdout)."""
    require(CRDS.is_dir(), f"the CRD folder {CRDS}")
    proc = subprocess.run([node(), str(VALIDATOR), "--crds", str(CRDS), *flags, *map(str, paths)],
                          capture_output=True, text=True, cwd=REPO)
    results, current = {}, None
    for line in proc.stdout.splitlines():
        m = re.match(r"^(ok  |FAIL) (\S+?)(:.*)?$", line)
        if m:
            current = m.group(2)
            results[current] = []
        elif line.startswith("  - ") and current is not None:
            results[current].append(line[4:])
    return proc.returncode, results, proc.stdout + proc.stderr


def pod_spec(obj):
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


_help = {}


def mlhub_flags(*subcommand):
    """The long and short options `mlhub <subcommand> --help` lists, e.g. {'--port', '-p', ...}."""
    if subcommand not in _help:
        proc = subprocess.run([mlhub_bin(), *subcommand, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0, f"mlhub {' '.join(subcommand)} --help failed:\n{proc.stderr}"
        flags = set()
        in_options = False
        for line in proc.stdout.splitlines():
            if line.strip() == "Options:":
                in_options = True
            elif line and not line.startswith(" "):
                in_options = False
            elif in_options and re.match(r"^  -", line):
                # "  -p,--port UINT=5000", "  --serve-artifacts,--no-serve-artifacts{false}"
                names = re.sub(r"\{[^}]*\}", "", line.split()[0])
                flags.update(n for n in names.split(",") if n.startswith("-"))
        assert flags, f"no options parsed from mlhub {' '.join(subcommand)} --help"
        _help[subcommand] = flags
    return _help[subcommand]


def split_mlhub_args(args):
    """['serve', '--http-port=8080', ...] -> (('serve',), {'--http-port': '8080', ...}, positionals).

    Our manifests always write options as --name=value, so a bare --name is a switch."""
    sub = (args[0], args[1]) if args[0] in ("db", "storage") else (args[0],)
    options, positionals = {}, []
    for a in args[len(sub):]:
        if a.startswith("-"):
            name, _, value = a.partition("=")
            assert name not in options, f"{name} given twice in {args}"
            options[name] = value
        else:
            positionals.append(a)
    return sub, options, positionals
