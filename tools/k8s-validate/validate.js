#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// k8s-validate: offline checks of Kubernetes manifests, as close to what an API server would say
// as we can get without one (docs/deploy.md, "Validation"). Each PATH is a Kustomize root
// (rendered with `kubectl kustomize`) or a rendered YAML file. Checks, in order:
//   schema    built-in kinds against kubernetes-models' OpenAPI validators (types, enums,
//             required fields, formats) plus an unknown-field walk over @kubernetes/client-node's
//             type maps; custom kinds against their CRD's openAPIV3Schema (--crds DIR) compiled
//             with ajv, objects closed (additionalProperties: false) unless the schema sets
//             x-kubernetes-preserve-unknown-fields, as the API server's pruning + strict field
//             validation do. A kind with no schema is an error unless --ignore-missing.
//   api       rules the API server enforces outside the schema: DNS names, label syntax,
//             selector matches template labels, request <= limit, extended resources (GPUs)
//             request == limit, no namespace on cluster-scoped kinds, no probes on init
//             containers, no duplicate objects; and references inside the output (a Service,
//             PDB or HPA that selects / targets nothing).
//   policy    ours (off with --no-policy): every container and init container of a workload
//             (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, KServe runtimes) has cpu
//             and memory requests and limits and a restrictive securityContext; long-running
//             containers have liveness and readiness probes. Job containers and init containers
//             are exempt from probes: they run to completion, and the API forbids probes on init
//             containers.
//   secrets   with --no-plaintext-secrets: no Secret with data or stringData in the output.
// Prints one line per PATH, its problems indented below it, and a closing line
// "kustomize-roots: N passed, M failed". Exit status: 0 all passed, 1 a PATH failed, 2 usage or
// environment error (no kubectl, unreadable CRD folder).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import YAML from "yaml";
import * as clientModels from "@kubernetes/client-node/dist/gen/models/all.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

// ---- command line ---------------------------------------------------------------------------

function usage(message) {
  if (message) console.error(`k8s-validate: ${message}`);
  console.error(
    "usage: validate.js [--crds DIR] [--no-plaintext-secrets] [--no-policy] [--ignore-missing]\n" +
      "                   [--roots-under DIR] PATH...",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { crds: null, allowPlaintextSecrets: true, policy: true, ignoreMissing: false, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--crds") opts.crds = value();
    else if (a === "--no-plaintext-secrets") opts.allowPlaintextSecrets = false;
    else if (a === "--no-policy") opts.policy = false;
    else if (a === "--ignore-missing") opts.ignoreMissing = true;
    else if (a === "--roots-under") opts.paths.push(...findRoots(value()));
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else opts.paths.push(a);
  }
  if (opts.paths.length === 0) usage("nothing to validate");
  return opts;
}

// Every folder holding a Kustomization, except Components (they cannot be built on their own).
function findRoots(dir) {
  const roots = [];
  const walk = (d) => {
    const file = KUSTOMIZATION_FILES.map((f) => path.join(d, f)).find((f) => fs.existsSync(f));
    if (file && YAML.parse(fs.readFileSync(file, "utf8"))?.kind !== "Component") roots.push(d);
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") walk(path.join(d, e.name));
    }
  };
  walk(dir);
  if (roots.length === 0) usage(`no Kustomize root under ${dir}`);
  return roots;
}

// ---- rendering --------------------------------------------------------------------------------

function kubectl() {
  // $KUBECTL, then PATH, then the copy scripts/bootstrap.sh fetches when PATH has none.
  const candidates = [process.env.KUBECTL];
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    if (dir) candidates.push(path.join(dir, "kubectl"));
  }
  candidates.push(path.join(HERE, "bin", "kubectl"));
  const found = candidates.find((c) => c && fs.existsSync(c));
  if (!found) {
    console.error(
      "k8s-validate: kubectl not found (PATH, $KUBECTL or tools/k8s-validate/bin); run scripts/bootstrap.sh",
    );
    process.exit(2);
  }
  return found;
}

function render(p) {
  if (fs.statSync(p).isDirectory()) {
    return execFileSync(kubectl(), ["kustomize", p], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }
  return fs.readFileSync(p, "utf8");
}

function parseDocs(text) {
  const objects = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`YAML: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

// ---- schemas: built-in kinds --------------------------------------------------------------------

function splitApiVersion(apiVersion) {
  const i = apiVersion.lastIndexOf("/");
  return i < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const builtinCache = new Map();
async function builtinModel(apiVersion, kind) {
  const key = `${apiVersion}|${kind}`;
  if (!builtinCache.has(key)) {
    const { group, version } = splitApiVersion(apiVersion);
    const spec = group
      ? `kubernetes-models/${group}/${version}/${kind}`
      : `kubernetes-models/${version}/${kind}`;
    let model = null;
    try {
      model = (await import(spec))[kind] ?? null;
    } catch {
      model = null;
    }
    builtinCache.set(key, model);
  }
  return builtinCache.get(key);
}

function formatAjvError(e) {
  const where = e.instancePath
    ? e.instancePath
        .slice(1)
        .split("/")
        .map((k, i) => (/^\d+$/.test(k) ? `[${k}]` : (i ? "." : "") + k))
        .join("")
    : "(root)";
  let what = e.message;
  if (e.keyword === "enum") what += ` (${e.params.allowedValues.join(", ")})`;
  if (e.keyword === "additionalProperties") return `${where}: unknown field "${e.params.additionalProperty}"`;
  return `${where}: ${what}`;
}

// A value that fails every branch of a oneOf/anyOf (e.g. a quantity) reports each branch and the
// oneOf itself; keep the most specific error per path: a format error, else the first one.
function conciseErrors(errors) {
  const byPath = new Map();
  for (const e of errors) {
    if (!byPath.has(e.instancePath)) byPath.set(e.instancePath, []);
    byPath.get(e.instancePath).push(e);
  }
  const out = [];
  for (const list of byPath.values()) {
    const specific = list.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf");
    const format = specific.filter((e) => e.keyword === "format");
    out.push(
      ...(format.length
        ? format
        : specific.length && list.length > specific.length
          ? specific.slice(0, 1)
          : list),
    );
  }
  return out;
}

// The unknown-field walk: kubernetes-models' validators accept any extra key, so walk the object
// along client-node's generated type maps and report every key they do not declare.
function typeMap(typeName) {
  const cls = clientModels[typeName];
  return cls && typeof cls.getAttributeTypeMap === "function" ? cls.getAttributeTypeMap() : null;
}

function strictWalk(value, typeName, where, problems) {
  let m;
  if ((m = /^Array<(.+)>$/.exec(typeName))) {
    if (Array.isArray(value)) value.forEach((v, i) => strictWalk(v, m[1], `${where}[${i}]`, problems));
    return;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(typeName))) {
    if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) strictWalk(v, m[1], `${where}.${k}`, problems);
    return;
  }
  const attrs = typeMap(typeName);
  if (!attrs || !value || typeof value !== "object" || Array.isArray(value)) return;
  const known = new Map(attrs.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const field = where ? `${where}.${k}` : k;
    if (!known.has(k)) problems.push(`${field}: unknown field "${k}"`);
    else strictWalk(v, known.get(k), field, problems);
  }
}

function clientTypeName(apiVersion, kind) {
  const { version } = splitApiVersion(apiVersion);
  return version[0].toUpperCase() + version.slice(1) + kind;
}

// ---- schemas: custom kinds (CRDs) --------------------------------------------------------------

function loadCrds(dir) {
  const crds = new Map();
  if (!dir) return crds;
  let files;
  try {
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  } catch (e) {
    console.error(`k8s-validate: cannot read CRD folder ${dir}: ${e.message}`);
    process.exit(2);
  }
  for (const f of files.sort()) {
    for (const crd of parseDocs(fs.readFileSync(path.join(dir, f), "utf8"))) {
      if (crd.kind !== "CustomResourceDefinition") continue;
      for (const v of crd.spec.versions) {
        crds.set(`${crd.spec.group}/${v.name}|${crd.spec.names.kind}`, {
          scope: crd.spec.scope,
          schema: v.schema?.openAPIV3Schema,
          validate: null,
        });
      }
    }
  }
  return crds;
}

// Close every object schema that lists its properties, as the API server's pruning does.
function closeObjects(schema) {
  if (!schema || typeof schema !== "object") return schema;
  const s = { ...schema };
  if (s.properties && !s["x-kubernetes-preserve-unknown-fields"] && s.additionalProperties === undefined) {
    s.additionalProperties = false;
  }
  if (s.properties)
    s.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, closeObjects(v)]));
  if (s.items) s.items = closeObjects(s.items);
  if (s.additionalProperties && typeof s.additionalProperties === "object")
    s.additionalProperties = closeObjects(s.additionalProperties);
  return s;
}

const ajv = new Ajv({
  strict: false,
  allErrors: true,
  logger: false,
  formats: {
    int32: { type: "number", validate: (x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31 },
    int64: { type: "number", validate: (x) => Number.isInteger(x) },
  },
});

// ---- API-server rules -------------------------------------------------------------------------

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "StorageClass",
  "CustomResourceDefinition",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "CSIDriver",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "APIService",
]);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const NATIVE_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage", "storage"]);

function checkName(obj, problems) {
  const name = obj.metadata?.name ?? "";
  if (obj.kind === "Service") {
    if (name.length > 63 || !DNS_1035.test(name))
      problems.push(`metadata.name "${name}" is not a DNS-1035 label`);
  } else if (obj.kind === "Namespace") {
    if (name.length > 63 || !DNS_LABEL.test(name))
      problems.push(`metadata.name "${name}" is not a DNS-1123 label`);
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    problems.push(`metadata.name "${name}" is not a DNS-1123 subdomain`);
  }
}

function checkLabels(labels, where, problems) {
  for (const [k, v] of Object.entries(labels ?? {})) {
    const slash = k.lastIndexOf("/");
    const prefix = slash < 0 ? null : k.slice(0, slash);
    const name = slash < 0 ? k : k.slice(slash + 1);
    if (
      (prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) ||
      name.length > 63 ||
      !LABEL_NAME.test(name)
    ) {
      problems.push(`${where}: invalid label key "${k}"`);
    }
    const value = String(v ?? "");
    if (value.length > 63 || (value !== "" && !LABEL_NAME.test(value)))
      problems.push(`${where}: invalid label value "${value}" for ${k}`);
  }
}

function selectorMatches(selector, labels) {
  if (!selector) return false;
  labels = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

// Kubernetes quantities ("250m", "1Gi", "2", "1e3") as numbers, for comparisons only.
function quantity(q) {
  const m = /^([+-]?[0-9.]+)(e[+-]?[0-9]+|m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$/.exec(String(q));
  if (!m) return NaN;
  const scale = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  const s = m[2];
  return (
    parseFloat(m[1]) * (s === undefined ? 1 : s.startsWith("e") ? 10 ** parseInt(s.slice(1), 10) : scale[s])
  );
}

function checkResources(resources, where, problems) {
  const requests = resources?.requests ?? {};
  const limits = resources?.limits ?? {};
  for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
    const extended = !NATIVE_RESOURCES.has(name) && !name.startsWith("hugepages-");
    if (extended) {
      if (!(name in limits)) problems.push(`${where}: extended resource ${name} needs a limit`);
      else if (name in requests && quantity(requests[name]) !== quantity(limits[name])) {
        problems.push(
          `${where}: extended resource ${name}: request ${requests[name]} must equal limit ${limits[name]}`,
        );
      }
    } else if (name in requests && name in limits && quantity(requests[name]) > quantity(limits[name])) {
      problems.push(`${where}: ${name} request ${requests[name]} exceeds limit ${limits[name]}`);
    }
  }
}

// ---- workloads: where the containers are ------------------------------------------------------

const POD_TEMPLATE_PATHS = {
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};
const RUN_TO_COMPLETION = new Set(["Job", "CronJob"]);

function podTemplate(obj) {
  if (obj.kind === "Pod") return { metadata: obj.metadata, spec: obj.spec };
  const p = POD_TEMPLATE_PATHS[obj.kind];
  return p ? p.reduce((o, k) => o?.[k], obj) : null;
}

// [{container, where, init, pod}] for every container the object will run.
function containersOf(obj) {
  const out = [];
  const template = podTemplate(obj);
  if (template?.spec) {
    for (const [i, c] of (template.spec.initContainers ?? []).entries())
      out.push({ c, where: `initContainers[${i}] ${c.name}`, init: true, pod: template.spec });
    for (const [i, c] of (template.spec.containers ?? []).entries())
      out.push({ c, where: `containers[${i}] ${c.name}`, init: false, pod: template.spec });
  }
  if (obj.kind === "ServingRuntime" || obj.kind === "ClusterServingRuntime") {
    for (const [i, c] of (obj.spec?.containers ?? []).entries())
      out.push({ c, where: `spec.containers[${i}] ${c.name}`, init: false, pod: {}, runtime: true });
  }
  return out;
}

function checkWorkload(obj, problems, policy) {
  const template = podTemplate(obj);
  if (
    template &&
    obj.kind !== "Pod" &&
    obj.kind !== "CronJob" &&
    (obj.kind !== "Job" || obj.spec?.manualSelector)
  ) {
    if (!selectorMatches(obj.spec?.selector, template.metadata?.labels)) {
      problems.push(`spec.selector does not match the pod template's labels`);
    }
  }
  if (template) checkLabels(template.metadata?.labels, "pod template labels", problems);
  for (const { c, where, init } of containersOf(obj)) {
    checkResources(c.resources, where, problems);
    const sidecar = init && c.restartPolicy === "Always";
    if (init && !sidecar && (c.livenessProbe || c.readinessProbe || c.startupProbe)) {
      problems.push(`${where}: init containers may not have probes`);
    }
  }
  // InferenceService: its containers are built by KServe from the predictor's fields.
  if (obj.kind === "InferenceService") {
    const p = obj.spec?.predictor ?? {};
    if (p.model) checkResources(p.model.resources, "spec.predictor.model", problems);
    for (const [i, c] of (p.containers ?? []).entries())
      checkResources(c.resources, `spec.predictor.containers[${i}]`, problems);
  }
  if (policy) checkPolicy(obj, problems);
}

function checkPolicy(obj, problems) {
  const template = podTemplate(obj);
  const podSc = template?.spec?.securityContext ?? {};
  if (template?.spec) {
    for (const f of ["hostNetwork", "hostPID", "hostIPC"])
      if (template.spec[f]) problems.push(`policy: ${f} is not allowed`);
  }
  for (const { c, where, init } of containersOf(obj)) {
    const r = c.resources ?? {};
    for (const kind of ["requests", "limits"]) {
      for (const res of ["cpu", "memory"])
        if (!r[kind]?.[res]) problems.push(`policy: ${where}: no ${res} ${kind}`);
    }
    const sc = c.securityContext ?? {};
    const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
    const weak = [];
    if (runAsNonRoot !== true) weak.push("runAsNonRoot: true");
    if (sc.allowPrivilegeEscalation !== false) weak.push("allowPrivilegeEscalation: false");
    if (sc.privileged === true) weak.push("privileged: false");
    if (sc.readOnlyRootFilesystem !== true) weak.push("readOnlyRootFilesystem: true");
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) weak.push("capabilities.drop: [ALL]");
    if ((sc.capabilities?.add ?? []).length) weak.push("no capabilities.add");
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") weak.push("seccompProfile RuntimeDefault");
    if (weak.length) problems.push(`policy: ${where}: securityContext needs ${weak.join(", ")}`);
    const sidecar = init && c.restartPolicy === "Always";
    const longRunning = (!init || sidecar) && !RUN_TO_COMPLETION.has(obj.kind);
    if (longRunning) {
      for (const probe of ["livenessProbe", "readinessProbe"])
        if (!c[probe]) problems.push(`policy: ${where}: no ${probe}`);
    }
  }
}

// Cross-object references inside one output: what a Service, PDB or HPA points at must be there.
function checkReferences(objects, report) {
  const templates = objects
    .filter((o) => podTemplate(o))
    .map((o) => ({ o, labels: podTemplate(o).metadata?.labels ?? {} }));
  for (const o of objects) {
    if (o.kind === "Service" && o.spec?.selector && Object.keys(o.spec.selector).length) {
      if (!templates.some((t) => selectorMatches({ matchLabels: o.spec.selector }, t.labels)))
        report(o, "spec.selector selects no pod template in this output");
    }
    if (
      o.kind === "PodDisruptionBudget" &&
      !templates.some((t) => selectorMatches(o.spec?.selector, t.labels))
    ) {
      report(o, "spec.selector selects no pod template in this output");
    }
    if (o.kind === "HorizontalPodAutoscaler") {
      const ref = o.spec?.scaleTargetRef ?? {};
      if (!objects.some((x) => x.kind === ref.kind && x.metadata?.name === ref.name))
        report(o, `spec.scaleTargetRef ${ref.kind}/${ref.name} is not in this output`);
    }
  }
}

// ---- one object, one PATH ---------------------------------------------------------------------

async function checkObject(obj, crds, opts) {
  const problems = [];
  if (!obj || typeof obj !== "object" || !obj.apiVersion || !obj.kind)
    return ["not a Kubernetes object (apiVersion and kind are required)"];
  if (!obj.metadata?.name) problems.push("metadata.name is required");
  const crd = crds.get(`${obj.apiVersion}|${obj.kind}`);
  const model = crd ? null : await builtinModel(obj.apiVersion, obj.kind);
  if (model) {
    try {
      new model(obj).validate();
    } catch (e) {
      for (const err of conciseErrors(e.errors ?? [{ instancePath: "", message: e.message }]))
        problems.push(formatAjvError(err));
    }
    const typeName = clientTypeName(obj.apiVersion, obj.kind);
    if (typeMap(typeName)) strictWalk(obj, typeName, "", problems);
    else if (!opts.ignoreMissing)
      problems.push(`no field list for ${obj.apiVersion} ${obj.kind} (unknown fields unchecked)`);
    if (CLUSTER_SCOPED.has(obj.kind) && obj.metadata?.namespace)
      problems.push(`${obj.kind} is cluster-scoped but has metadata.namespace`);
  } else if (crd) {
    if (!crd.validate) crd.validate = ajv.compile(closeObjects(crd.schema ?? {}));
    if (!crd.validate(obj))
      for (const err of conciseErrors(crd.validate.errors)) problems.push(formatAjvError(err));
    // CRD schemas leave metadata open ({type: object}); the API server still checks it.
    strictWalk(obj.metadata, "V1ObjectMeta", "metadata", problems);
    if (crd.scope === "Cluster" && obj.metadata?.namespace)
      problems.push(`${obj.kind} is cluster-scoped but has metadata.namespace`);
  } else if (!opts.ignoreMissing) {
    problems.push(
      `no schema for ${obj.apiVersion} ${obj.kind} (add its CRD to --crds, or pass --ignore-missing)`,
    );
  }
  if (obj.metadata?.name) checkName(obj, problems);
  checkLabels(obj.metadata?.labels, "metadata.labels", problems);
  checkWorkload(obj, problems, opts.policy);
  if (
    !opts.allowPlaintextSecrets &&
    obj.kind === "Secret" &&
    (Object.keys(obj.data ?? {}).length || Object.keys(obj.stringData ?? {}).length)
  ) {
    problems.push(
      "plaintext Secret (data/stringData) where none is allowed: reference an existing Secret or an ExternalSecret",
    );
  }
  return problems;
}

async function checkPath(p, crds, opts) {
  const lines = [];
  let objects;
  try {
    objects = parseDocs(render(p));
  } catch (e) {
    return { ok: false, count: 0, lines: [`render: ${(e.stderr?.toString() || e.message).trim()}`] };
  }
  const id = (o) =>
    `${o?.kind ?? "?"}/${o?.metadata?.namespace ? o.metadata.namespace + "/" : ""}${o?.metadata?.name ?? "?"}`;
  const seen = new Set();
  for (const o of objects) {
    for (const problem of await checkObject(o, crds, opts)) lines.push(`${id(o)}: ${problem}`);
    const key = `${o?.apiVersion}|${id(o)}`;
    if (seen.has(key)) lines.push(`${id(o)}: defined twice`);
    seen.add(key);
  }
  checkReferences(objects, (o, problem) => lines.push(`${id(o)}: ${problem}`));
  return { ok: lines.length === 0, count: objects.length, lines };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const crds = loadCrds(opts.crds);
  let passed = 0;
  let failed = 0;
  for (const p of opts.paths) {
    if (!fs.existsSync(p)) usage(`no such file or folder: ${p}`);
    const result = await checkPath(p, crds, opts);
    if (result.ok) {
      passed++;
      console.log(`ok   ${p}: ${result.count} objects`);
    } else {
      failed++;
      console.log(`FAIL ${p}`);
      for (const line of result.lines) console.log(`  - ${line}`);
    }
  }
  console.log(`kustomize-roots: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
