# SPDX-License-Identifier: Apache-2.0
"""What the rendered stack must contain (issue 9): components, sizes, replicas per environment,
security settings, prod's NetworkPolicies, digest pins and lack of Secrets, and the Argo CD
applications. The validator (test_validate.py) checks that it is well-formed; this checks that it
is what we meant."""
import re

import pytest

from deploy_testlib import DEPLOY, kustomize_roots, objects, one, pod_spec, rel, render

CLUSTER_SCOPED = {"Namespace", "ClusterServingRuntime"}
WORKLOADS = ("Deployment", "StatefulSet", "Job")


@pytest.mark.parametrize("root", ["overlays/dev", "overlays/prod", "kserve/inferenceservices"])
def test_everything_namespaced_is_in_mlops(root):
    for obj in objects(root):
        if obj["kind"] not in CLUSTER_SCOPED:
            assert obj["metadata"].get("namespace") == "mlops", f"{obj['kind']}/{obj['metadata']['name']}"


@pytest.mark.parametrize("root", ["overlays/dev", "overlays/prod"])
def test_postgres(root):
    sts = one(root, "StatefulSet", "postgres")
    c = pod_spec(sts)["containers"][0]
    assert re.search(r"postgres(:15|@sha256:)", c["image"]), c["image"]
    assert "pg_isready" in " ".join(c["livenessProbe"]["exec"]["command"])
    assert "pg_isready" in " ".join(c["readinessProbe"]["exec"]["command"])
    [claim] = sts["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    headless = one(root, "Service", "postgres-headless")
    assert headless["spec"]["clusterIP"] == "None"
    assert sts["spec"]["serviceName"] == "postgres-headless"
    assert one(root, "Service", "postgres")["spec"]["ports"][0]["port"] == 5432
    sql = one(root, "ConfigMap", "postgres-init")["data"]["01-init.sql"]
    assert 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"' in sql
    assert "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" in sql and "GRANT" in sql
    assert "shared_preload_libraries=pg_stat_statements" in c["args"]


@pytest.mark.parametrize("root", ["overlays/dev", "overlays/prod"])
def test_minio(root):
    assert one(root, "PersistentVolumeClaim", "minio-data")["spec"]["resources"]["requests"]["storage"] == "100Gi"
    ports = {p["name"]: p["port"] for p in one(root, "Service", "minio")["spec"]["ports"]}
    assert ports == {"api": 9000, "console": 9001}
    assert one(root, "Deployment", "minio")["spec"]["strategy"]["type"] == "Recreate"


@pytest.mark.parametrize("root,replicas,hpa,requests,limits", [
    ("base", 2, (2, 5), ("250m", "256Mi"), ("500m", "512Mi")),
    ("overlays/dev", 1, (1, 2), ("250m", "256Mi"), ("500m", "512Mi")),
    ("overlays/prod", 3, (3, 10), ("500m", "512Mi"), ("1000m", "1Gi")),
])
def test_sizes_per_environment(root, replicas, hpa, requests, limits):
    inference = one(root, "Deployment", "mlhub-inference")
    assert inference["spec"]["replicas"] == replicas
    rolling = inference["spec"]["strategy"]["rollingUpdate"]
    assert (rolling["maxSurge"], rolling["maxUnavailable"]) == (1, 0)
    c = pod_spec(inference)["containers"][0]
    assert (c["resources"]["requests"]["cpu"], c["resources"]["requests"]["memory"]) == requests
    assert (c["resources"]["limits"]["cpu"], c["resources"]["limits"]["memory"]) == limits
    autoscaler = one(root, "HorizontalPodAutoscaler", "mlhub-inference")
    assert autoscaler["apiVersion"] == "autoscaling/v2" and "behavior" in autoscaler["spec"]
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == hpa
    tracking = one(root, "Deployment", "mlhub-tracking")
    assert tracking["spec"]["replicas"] == replicas
    c = pod_spec(tracking)["containers"][0]
    assert (c["resources"]["limits"]["cpu"], c["resources"]["limits"]["memory"]) == limits
    for name in ("mlhub-tracking", "mlhub-inference"):
        assert one(root, "PodDisruptionBudget", name)["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("root", ["overlays/dev", "overlays/prod"])
def test_mlhub_pods_run_as_1000_read_only_without_capabilities(root):
    for name in ("mlhub-tracking", "mlhub-inference"):
        spec = pod_spec(one(root, "Deployment", name))
        assert spec["securityContext"]["runAsUser"] == 1000 and spec["securityContext"]["runAsNonRoot"]
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False and spec["serviceAccountName"] == name
        sc = spec["containers"][0]["securityContext"]
        assert sc["readOnlyRootFilesystem"] and sc["capabilities"]["drop"] == ["ALL"]
        assert sc["allowPrivilegeEscalation"] is False
        one(root, "ServiceAccount", name)


def test_services_are_cluster_ip_in_dev():
    for svc in objects("overlays/dev", "Service"):
        assert svc["spec"].get("type", "ClusterIP") == "ClusterIP"


def test_dev_secrets_are_generated_and_marked_dev_only():
    secrets = {s["metadata"]["name"]: s for s in objects("overlays/dev", "Secret")}
    assert set(secrets) == {"postgres-credentials", "minio-credentials", "kserve-s3-credentials"}
    s3 = secrets["kserve-s3-credentials"]["metadata"]["annotations"]
    assert s3["serving.kserve.io/s3-endpoint"] == "minio.mlops.svc:9000"
    assert s3["serving.kserve.io/s3-usehttps"] == "0"
    text = (DEPLOY / "overlays" / "dev" / "secrets" / "kustomization.yaml").read_text()
    assert "DEV ONLY" in text and text.count("dev-only-") >= 3


# What prod runs: its overlay roots, and the KServe roots Argo CD deploys as they are.
PROD_ROOTS = [r for r in kustomize_roots()
              if rel(r).startswith("deploy/overlays/prod")
              or rel(r) in ("deploy/kserve/inferenceservices", "deploy/kserve/gpu")]


@pytest.mark.parametrize("root", PROD_ROOTS, ids=rel)
def test_prod_has_no_secret_and_pins_every_image_by_digest(root):
    for obj in render(root):
        assert obj["kind"] != "Secret", f"{rel(root)} creates Secret {obj['metadata']['name']}"
        containers = []
        if obj["kind"] in WORKLOADS:
            spec = pod_spec(obj)
            containers = spec.get("containers", []) + spec.get("initContainers", [])
        elif obj["kind"] == "ClusterServingRuntime":
            containers = obj["spec"]["containers"]
        for c in containers:
            assert re.fullmatch(r"[^@:]+(:[^@]+)?@sha256:[0-9a-f]{64}", c["image"]), c["image"]


def test_prod_network_policies():
    policies = {p["metadata"]["name"]: p for p in objects("overlays/prod", "NetworkPolicy")}
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    for name in ("postgres", "minio", "mlhub-tracking", "mlhub-inference"):
        assert name in policies, name
    allowed = policies["postgres"]["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]
    assert set(allowed["values"]) == {"mlhub-tracking", "mlhub-db-upgrade"}
    assert [p["port"] for p in policies["postgres"]["spec"]["ingress"][0]["ports"]] == [5432]
    assert [p["port"] for p in policies["minio"]["spec"]["ingress"][0]["ports"]] == [9000]


def test_prod_ingress_allows_large_slow_artifact_transfers():
    ing = one("overlays/prod", "Ingress", "mlhub-tracking")
    notes = ing["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600
    assert ing["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/"


def test_kserve_examples():
    isvc = one("kserve/inferenceservices", "InferenceService", "demo")
    predictor = isvc["spec"]["predictor"]
    assert predictor["model"]["storageUri"].startswith("s3://models/")
    assert predictor["model"]["runtime"] == "mlhub-runtime"
    assert predictor["minReplicas"] >= 1 and predictor["maxReplicas"] > predictor["minReplicas"]
    assert predictor["scaleMetric"] in ("cpu", "memory") and predictor["scaleTarget"]
    sa = one("kserve/inferenceservices", "ServiceAccount", predictor["serviceAccountName"])
    assert sa["secrets"] == [{"name": "kserve-s3-credentials"}]
    gpu = one("kserve/gpu", "InferenceService", "demo-gpu")["spec"]["predictor"]
    res = gpu["model"]["resources"]
    assert res["requests"]["nvidia.com/gpu"] == res["limits"]["nvidia.com/gpu"] == "1"
    assert gpu["nodeSelector"] == {"workload-type": "inference"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in gpu["tolerations"]


def test_argocd_applications():
    apps = {a["metadata"]["name"]: a for a in objects("argocd", "Application")}
    assert set(apps) == {"mlops-stack", "mlops-namespace", "mlops-postgres", "mlops-minio", "mlops-tracking",
                         "mlops-inference", "mlops-kserve-runtime", "mlops-kserve-inferenceservices"}
    roots = {rel(r) for r in kustomize_roots()}
    repo_urls = set()
    for name, app in apps.items():
        spec = app["spec"]
        assert app["metadata"]["namespace"] == "argocd"
        assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}, name
        assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"], name
        assert spec["source"]["path"] in roots, f"{name}: {spec['source']['path']} is not a root"
        repo_urls.add(spec["source"]["repoURL"])
    assert apps["mlops-stack"]["spec"]["source"]["path"] == "deploy/argocd"  # the app of apps
    # One repository, set in one place (deploy/argocd/repo.yaml) and copied by Kustomize.
    [url] = repo_urls
    hits = [p for p in DEPLOY.rglob("*") if p.is_file() and url in p.read_text()]
    assert [rel(p) for p in hits] == ["deploy/argocd/repo.yaml"], hits
    assert objects("argocd", "ConfigMap") == []  # the local-config holder is not deployed


@pytest.mark.parametrize("root,level", [("overlays/dev", "debug"), ("overlays/prod", None)])
def test_dev_logs_at_debug_level(root, level):
    for name in ("mlhub-tracking", "mlhub-inference"):
        env = {e["name"]: e.get("value") for e in pod_spec(one(root, "Deployment", name))["containers"][0].get("env", [])}
        assert env.get("MLHUB_LOG_LEVEL") == level, (name, env.get("MLHUB_LOG_LEVEL"))


def test_the_binary_reads_the_log_level_from_the_environment():
    import subprocess
    from deploy_testlib import mlhub_bin
    help_text = subprocess.run([mlhub_bin(), "--help"], capture_output=True, text=True, check=True).stdout
    assert "Env:MLHUB_LOG_LEVEL" in help_text and "debug" in help_text
