# SPDX-License-Identifier: Apache-2.0
"""The offline validator (tools/k8s-validate) on every deploy/ root and on broken fixtures.

Every root must build with `kubectl kustomize` and pass: strict schemas (unknown fields are
errors) for built-in kinds and for the Argo CD / KServe CRDs in ../shared/k8s/crds, the API
server's own rules, and our policy (resources, securityContext, probes). Roots that may hold a
Secret with data are only the dev ones; everything else is also checked for plaintext Secrets.
The fixtures prove the validator can fail: each one breaks exactly one rule of fixtures/valid.
"""
import os
import re
import subprocess

import pytest

from deploy_testlib import (DEPLOY, FIXTURES, REPO, VALIDATOR, kubectl, kustomize_roots, node,
                            rel, run_validator)

ROOTS = kustomize_roots()
DEV_ROOTS = [r for r in ROOTS if rel(r).startswith("deploy/overlays/dev")]
STRICT_ROOTS = [r for r in ROOTS if r not in DEV_ROOTS]
INVALID = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


def test_expected_roots_exist():
    names = {rel(r) for r in ROOTS}
    for want in ["deploy/base", "deploy/overlays/dev", "deploy/overlays/prod", "deploy/argocd",
                 "deploy/kserve/runtime", "deploy/kserve/inferenceservices", "deploy/kserve/gpu"]:
        assert want in names, f"{want} is not a Kustomize root"
    for component in ["namespace", "postgres", "minio", "tracking", "inference", "kserve-runtime"]:
        for env in ["dev", "prod"]:
            assert f"deploy/overlays/{env}/{component}" in names


@pytest.mark.parametrize("root", ROOTS, ids=rel)
def test_root_builds(root):
    proc = subprocess.run([kubectl(), "kustomize", str(root)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "kind:" in proc.stdout


@pytest.fixture(scope="module")
def strict_results():
    return run_validator(STRICT_ROOTS, "--no-plaintext-secrets")


@pytest.fixture(scope="module")
def dev_results():
    return run_validator(DEV_ROOTS)


@pytest.mark.parametrize("root", STRICT_ROOTS, ids=rel)
def test_root_passes_validator_without_plaintext_secrets(strict_results, root):
    _, results, out = strict_results
    assert results.get(str(root)) == [], out


@pytest.mark.parametrize("root", DEV_ROOTS, ids=rel)
def test_dev_root_passes_validator(dev_results, root):
    _, results, out = dev_results
    assert results.get(str(root)) == [], out


def test_validator_summary_and_status(strict_results, dev_results):
    for (rc, results, out), roots in [(strict_results, STRICT_ROOTS), (dev_results, DEV_ROOTS)]:
        assert rc == 0, out
        assert f"kustomize-roots: {len(roots)} passed, 0 failed" in out


def test_dev_secrets_are_rejected_where_plaintext_is_forbidden():
    # The same check that keeps prod clean does see the dev overlay's generated Secrets.
    rc, results, out = run_validator([DEPLOY / "overlays" / "dev" / "secrets"], "--no-plaintext-secrets")
    assert rc == 1, out
    problems = results[str(DEPLOY / "overlays" / "dev" / "secrets")]
    assert len(problems) == 3 and all("plaintext Secret" in p for p in problems), out


@pytest.fixture(scope="module")
def fixture_results():
    return run_validator([FIXTURES / "valid", *INVALID], "--no-plaintext-secrets")


def test_valid_fixture_passes(fixture_results):
    _, results, out = fixture_results
    assert results[str(FIXTURES / "valid")] == [], out


def expected_problem(fixture):
    text = (fixture / "kustomization.yaml").read_text()
    m = re.search(r"^# expect: (.+)$", text, re.M)
    assert m, f"{fixture.name}: no '# expect:' line"
    return m.group(1).strip()


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.name)
def test_broken_fixture_is_rejected(fixture_results, fixture):
    rc, results, out = fixture_results
    assert rc == 1, out
    problems = results[str(fixture)]
    # Exactly the one rule the fixture breaks: nothing else about it is wrong.
    assert len(problems) == 1, problems
    assert expected_problem(fixture) in problems[0], problems


def test_every_rule_class_has_a_fixture():
    names = {p.name for p in INVALID}
    for rule in ["unknown-field", "wrong-type", "crd-unknown-field", "crd-enum", "selector-mismatch",
                 "requests-over-limits", "gpu-request-limit", "cluster-scoped-namespace", "no-schema",
                 "missing-probe", "missing-limits", "weak-security-context", "plaintext-secret"]:
        assert rule in names


def test_validator_fails_without_kubectl(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "KUBECTL": ""}
    proc = subprocess.run([node(), str(VALIDATOR), str(FIXTURES / "valid")], capture_output=True,
                          text=True, env=env, cwd=REPO)
    local = VALIDATOR.parent / "bin" / "kubectl"
    if local.exists():  # bootstrap's fallback copy is found without PATH: that is the point of it
        assert proc.returncode == 0, proc.stdout + proc.stderr
    else:
        assert proc.returncode == 2 and "kubectl not found" in proc.stderr


def test_validator_refuses_a_missing_crd_folder(tmp_path):
    proc = subprocess.run([node(), str(VALIDATOR), "--crds", str(tmp_path / "nope"), str(FIXTURES / "valid")],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2 and "cannot read CRD folder" in proc.stderr
