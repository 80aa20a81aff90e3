# SPDX-License-Identifier: Apache-2.0
"""The mlhub command lines in deploy/ against the real binary's `--help` ($MLHUB_BIN).

Every option passed to mlhub (the tracking server, the inference API, the KServe runtime and the
InferenceServices' extra args, the migration and bucket Jobs) must be one that subcommand lists,
and the ports the containers, probes and Services use must be the ones the flags set.
"""
import pytest

from deploy_testlib import mlhub_flags, objects, one, pod_spec, split_mlhub_args

# Every root whose output runs mlhub.
MLHUB_ROOTS = ["base", "overlays/dev", "overlays/prod", "kserve/runtime", "overlays/prod/kserve-runtime",
               "kserve/inferenceservices", "kserve/gpu"]


def mlhub_commands():
    """(root, where, args) for every mlhub command line in the rendered output."""
    found = []
    for root in MLHUB_ROOTS:
        for obj in objects(root):
            where = f"{root}: {obj['kind']}/{obj['metadata']['name']}"
            if obj["kind"] in ("Deployment", "StatefulSet", "Job", "CronJob"):
                for c in pod_spec(obj).get("containers", []) + pod_spec(obj).get("initContainers", []):
                    if "mlhub" in c["image"]:
                        found.append((root, f"{where} {c['name']}", c["args"]))
            elif obj["kind"] == "ClusterServingRuntime":
                for c in obj["spec"]["containers"]:
                    found.append((root, f"{where} {c['name']}", c["args"]))
            elif obj["kind"] == "InferenceService":
                # KServe appends the predictor's args to the runtime's `mlhub serve` command.
                args = obj["spec"]["predictor"]["model"].get("args")
                if args:
                    found.append((root, where, ["serve", *args]))
    return found


COMMANDS = mlhub_commands()


def test_mlhub_commands_found():
    subs = {split_mlhub_args(args)[0] for _, _, args in COMMANDS}
    assert subs >= {("server",), ("serve",), ("db", "upgrade"), ("storage", "init")}, subs


@pytest.mark.parametrize("root,where,args", COMMANDS, ids=[w for _, w, _ in COMMANDS])
def test_every_option_is_a_real_flag(root, where, args):
    sub, options, _ = split_mlhub_args(args)
    unknown = sorted(set(options) - mlhub_flags(*sub))
    assert not unknown, f"{where}: mlhub {' '.join(sub)} has no {unknown}"


def port_of(container, name):
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    assert name in ports, f"{container['name']}: no port named {name}"
    return ports[name]


def probe_port(container, probe):
    port = container[probe]["httpGet"]["port"]
    return port_of(container, port) if isinstance(port, str) else port


@pytest.mark.parametrize("root", ["base", "overlays/dev", "overlays/prod"])
def test_inference_deployment_matches_serve_flags(root):
    c = pod_spec(one(root, "Deployment", "mlhub-inference"))["containers"][0]
    sub, opts, _ = split_mlhub_args(c["args"])
    assert sub == ("serve",)
    assert opts["--host"] == "0.0.0.0"
    assert port_of(c, "http") == int(opts["--http-port"]) == 8080
    assert port_of(c, "grpc") == int(opts["--grpc-port"]) == 8081
    assert "--model" in opts or "--model-dir" in opts
    # Liveness: the process answers; readiness and startup: every model is loaded.
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert c["startupProbe"]["httpGet"]["path"] == "/ready"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert probe_port(c, probe) == 8080
    # Sized for a model load: at least 5 minutes before the pod is restarted.
    startup = c["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300
    service = one(root, "Service", "mlhub-inference")
    targets = {p["name"]: p["targetPort"] for p in service["spec"]["ports"]}
    assert targets == {"http": "http", "grpc": "grpc"}


@pytest.mark.parametrize("root", ["kserve/runtime", "overlays/dev/kserve-runtime", "overlays/prod/kserve-runtime"])
def test_runtime_matches_serve_flags_and_kserve_conventions(root):
    rt = one(root, "ClusterServingRuntime", "mlhub-runtime")
    assert "namespace" not in rt["metadata"]
    [c] = rt["spec"]["containers"]
    assert c["name"] == "kserve-container"  # KServe finds the model server by this name
    sub, opts, _ = split_mlhub_args(c["args"])
    assert sub == ("serve",)
    assert opts["--model-dir"] == "/mnt/models"  # where the storage initializer puts storageUri
    assert opts["--model-name"] == "{{.Name}}"
    assert opts["--host"] == "0.0.0.0"
    http, grpc = int(opts["--http-port"]), int(opts["--grpc-port"])
    assert http == 8080  # KServe's default HTTP port
    # Standard mode treats a port whose name contains "grpc" as gRPC; the HTTP one must not be h2c.
    assert port_of(c, "http") == http and port_of(c, "grpc") == grpc
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert probe_port(c, probe) == http
    spec = rt["spec"]
    assert spec["protocolVersions"] == ["v1", "v2", "grpc-v2"]  # all three are served
    assert {f["name"] for f in spec["supportedModelFormats"]} == {"mlflow", "xgboost", "pytorch"}
    assert spec["annotations"]["prometheus.kserve.io/port"] == str(http)
    assert spec["annotations"]["prometheus.kserve.io/path"] == "/metrics"


@pytest.mark.parametrize("root", ["base", "overlays/dev", "overlays/prod"])
def test_tracking_deployment_matches_server_flags(root):
    c = pod_spec(one(root, "Deployment", "mlhub-tracking"))["containers"][0]
    sub, opts, _ = split_mlhub_args(c["args"])
    assert sub == ("server",)
    assert opts["--host"] == "0.0.0.0"
    assert port_of(c, "http") == int(opts["--port"]) == 5000
    assert opts["--artifacts-destination"] == "s3://mlflow-artifacts"
    env = {e["name"]: e for e in c["env"]}
    # --backend-store-uri=$(MLFLOW_BACKEND_STORE_URI): expanded by the kubelet from env.
    assert opts["--backend-store-uri"] == "$(MLFLOW_BACKEND_STORE_URI)"
    assert env["MLFLOW_BACKEND_STORE_URI"]["value"].startswith("postgresql://")
    assert "PGPASSWORD" in env and "secretKeyRef" in env["PGPASSWORD"]["valueFrom"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert c[probe]["httpGet"]["path"] == "/health" and probe_port(c, probe) == 5000
    service = one(root, "Service", "mlhub-tracking")
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(5000, "http")]


@pytest.mark.parametrize("root", ["base", "overlays/dev", "overlays/prod"])
def test_migration_and_bucket_jobs(root):
    job = one(root, "Job", "mlhub-db-upgrade")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    c = pod_spec(job)["containers"][0]
    sub, opts, _ = split_mlhub_args(c["args"])
    assert sub == ("db", "upgrade") and opts["--backend-store-uri"] == "$(MLFLOW_BACKEND_STORE_URI)"
    job = one(root, "Job", "minio-buckets")
    c = pod_spec(job)["containers"][0]
    sub, opts, buckets = split_mlhub_args(c["args"])
    assert sub == ("storage", "init")
    assert buckets == ["s3://mlflow-artifacts", "s3://models", "s3://datasets", "s3://experiments"]
    env = {e["name"] for e in c.get("env", [])}
    assert "MLFLOW_S3_ENDPOINT_URL" in env
    assert {"secretRef": {"name": "minio-credentials"}} in c["envFrom"]
