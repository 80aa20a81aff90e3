// The UI's only way to the server: MLflow's public REST API under /ajax-api (plus mlhub's
// downsampled-history route), so everything the UI does a user can script too.

export const API = '/ajax-api/2.0/mlflow';
const API3 = '/ajax-api/3.0/mlflow';
const MLHUB_API = '/ajax-api/2.0/mlhub';

/** An error answer from the server; `message` is what the user sees. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

function qs(query: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

// ---- Credentials (for `mlhub server --auth basic`) ----

// HTTP Basic has no session: the credentials must go with every request, so the UI has to keep
// them. sessionStorage keeps them across reloads of this tab but not after it is closed, and no
// other tab or site sees them (localStorage would keep a password on disk indefinitely).
const CREDS_KEY = 'mlhub.credentials';
/** Fired (on window) when the server answers 401 to a request sent with the stored credentials. */
export const AUTH_REQUIRED = 'mlhub:auth-required';

export interface Credentials {
  username: string;
  password: string;
}

export function credentials(): Credentials | null {
  try {
    return JSON.parse(sessionStorage.getItem(CREDS_KEY) ?? 'null');
  } catch {
    return null;
  }
}

export function setCredentials(c: Credentials | null): void {
  if (c) sessionStorage.setItem(CREDS_KEY, JSON.stringify(c));
  else sessionStorage.removeItem(CREDS_KEY);
}

/** `Basic base64(user:password)`, UTF-8 encoded so non-ASCII passwords work. */
function basicAuth(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.username}:${c.password}`);
  return 'Basic ' + btoa(String.fromCharCode(...bytes));
}

/**
 * fetch() with the given credentials. `credentials: 'omit'` is what keeps the browser from
 * popping up its own Basic-auth dialog on a 401 carrying `WWW-Authenticate: Basic` (Chromium
 * prompts for any same-origin fetch that may use credentials, even one with an Authorization
 * header); the UI shows its own login form instead. The server uses no cookies.
 */
async function send(url: string, init: RequestInit, c: Credentials | null): Promise<Response> {
  const headers = new Headers(init.headers);
  // Marks the request as the UI's own, for a server that answers those 401s without a challenge.
  headers.set('X-Requested-With', 'XMLHttpRequest');
  if (c) headers.set('Authorization', basicAuth(c));
  try {
    return await fetch(url, { ...init, headers, credentials: 'omit' });
  } catch (e) {
    throw new ApiError(`Cannot reach the server: ${(e as Error).message}`, 0, 'NETWORK');
  }
}

/**
 * fetch() with the stored credentials. A 401 means they are missing or no longer valid: they are
 * dropped and AUTH_REQUIRED fired, so the app shows its login form (unless someone signed in
 * while this request was on its way).
 */
async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const c = credentials();
  const res = await send(url, init, c);
  if (res.status === 401) {
    if (JSON.stringify(c) === JSON.stringify(credentials())) {
      setCredentials(null);
      dispatchEvent(new Event(AUTH_REQUIRED));
    }
    throw new ApiError('Sign in to continue.', 401, 'UNAUTHENTICATED');
  }
  return res;
}

/** Checks a username and password by reading the user's own record; throws if they are wrong. */
export async function verifyCredentials(c: Credentials): Promise<void> {
  const res = await send(`${API}/users/get${qs({ username: c.username })}`, {}, c);
  if (res.status === 401) throw new ApiError('Wrong username or password.', 401, 'UNAUTHENTICATED');
  // 403: the credentials are right, the user may just not read that record.
  if (!res.ok && res.status !== 403) throw await errorOf(res);
}

/** The ApiError for an error answer: its JSON `message`, else its text. */
async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const json = JSON.parse(text);
    const message = json.message || text.trim() || `HTTP ${res.status}`;
    return new ApiError(message, res.status, json.error_code || 'HTTP');
  } catch {
    // Not JSON (a proxy's error page, a plain "Not Found", "Permission denied"): show the text.
    return new ApiError(text.trim() || res.statusText || `HTTP ${res.status}`, res.status, 'HTTP');
  }
}

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await apiFetch(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  try {
    return (text ? JSON.parse(text) : {}) as T;
  } catch {
    return {} as T; // a success answer that is not JSON carries nothing the UI reads
  }
}

export const get = <T>(path: string, query: Query = {}) => request<T>('GET', API + path + qs(query));
export const post = <T>(path: string, body: unknown) => request<T>('POST', API + path, body);
const del = <T>(path: string, body: unknown) => request<T>('DELETE', API + path, body);

// ---- Types (only the fields the UI reads) ----

export interface KV {
  key: string;
  value: string;
}
export interface Metric {
  key: string;
  value: number; // at run time also "NaN", "Infinity" or "-Infinity" (strings), as MLflow sends those
  timestamp: number;
  step: number;
}
export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: KV[];
}
export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: string;
}
export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KV[]; tags?: KV[] };
  /** MLflow 3: the logged models the run produced. */
  outputs?: { model_outputs?: { model_id: string; step?: number }[] };
}
/** MLflow 3's logged model: what log_model stores, with its own files, params and metrics. */
export interface LoggedModelInfo {
  model_id: string;
  experiment_id: string;
  name: string;
  artifact_uri: string;
  creation_timestamp_ms?: number;
  last_updated_timestamp_ms?: number;
  status?: string;
  status_message?: string;
  model_type?: string;
  source_run_id?: string;
  tags?: KV[];
}
export interface ModelMetric extends Metric {
  run_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}
export interface LoggedModel {
  info: LoggedModelInfo;
  data: { params?: KV[]; metrics?: ModelMetric[] };
}
export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}
export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  aliases?: string[];
  tags?: KV[];
}
export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: KV[];
  aliases?: { alias: string; version: string }[];
}

// ---- Experiments ----

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export const searchExperiments = (filter: string, viewType: ViewType, pageToken?: string) =>
  post<{ experiments?: Experiment[]; next_page_token?: string }>('/experiments/search', {
    max_results: 100,
    filter: filter || undefined,
    view_type: viewType,
    order_by: ['name ASC'],
    page_token: pageToken || undefined,
  });
export const getExperiment = (id: string) =>
  get<{ experiment: Experiment }>('/experiments/get', { experiment_id: id });
export const createExperiment = (name: string) =>
  post<{ experiment_id: string }>('/experiments/create', { name });
export const renameExperiment = (id: string, name: string) =>
  post('/experiments/update', { experiment_id: id, new_name: name });
export const deleteExperiment = (id: string) => post('/experiments/delete', { experiment_id: id });
export const restoreExperiment = (id: string) => post('/experiments/restore', { experiment_id: id });

// ---- Runs ----

export interface RunSearch {
  experimentIds: string[];
  filter?: string;
  orderBy?: string;
  pageToken?: string;
  maxResults?: number;
  viewType?: ViewType;
}
export const searchRuns = (s: RunSearch) =>
  post<{ runs?: Run[]; next_page_token?: string }>('/runs/search', {
    experiment_ids: s.experimentIds,
    filter: s.filter || undefined,
    order_by: s.orderBy ? [s.orderBy] : undefined,
    page_token: s.pageToken || undefined,
    max_results: s.maxResults ?? 50,
    run_view_type: s.viewType ?? 'ACTIVE_ONLY',
  });
export const getRun = (id: string) => get<{ run: Run }>('/runs/get', { run_id: id });
export const setRunTag = (runId: string, key: string, value: string) =>
  post('/runs/set-tag', { run_id: runId, key, value });
export const renameRun = (runId: string, name: string) =>
  post('/runs/update', { run_id: runId, run_name: name });
export const deleteRun = (runId: string) => post('/runs/delete', { run_id: runId });

// ---- Metric history ----

/** One chart point; min/max are the bucket's extremes when the server downsampled. */
export interface HistPoint {
  step: number;
  timestamp: number;
  value: number;
  min: number;
  max: number;
}
export interface History {
  points: HistPoint[];
  total: number;
  downsampled: boolean;
}

/**
 * A metric's history for a chart: at most `maxPoints` points from mlhub's downsampling route, so a
 * 100,000-step metric costs the browser a few KB. Falls back to MLflow's full get-history on a
 * server without that route (404).
 */
export async function metricHistory(
  runId: string,
  key: string,
  maxPoints: number,
  xAxis: 'step' | 'time',
): Promise<History> {
  const q = qs({ run_id: runId, metric_key: key, max_points: maxPoints, x_axis: xAxis });
  try {
    const r = await request<{ total_points: number; downsampled: boolean; points: HistPoint[] }>(
      'GET',
      `${MLHUB_API}/metrics/get-history-downsampled${q}`,
    );
    return { points: r.points ?? [], total: r.total_points, downsampled: r.downsampled };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || e.code === 'RESOURCE_DOES_NOT_EXIST') throw e;
  }
  const metrics: Metric[] = [];
  let token: string | undefined;
  do {
    const r = await get<{ metrics?: Metric[]; next_page_token?: string }>('/metrics/get-history', {
      run_id: runId,
      metric_key: key,
      page_token: token,
    });
    metrics.push(...(r.metrics ?? []));
    token = r.next_page_token;
  } while (token);
  const sortKey = xAxis === 'time' ? 'timestamp' : 'step';
  metrics.sort((a, b) => a[sortKey] - b[sortKey] || a.timestamp - b.timestamp);
  const points = metrics.map((m) => ({ ...m, min: m.value, max: m.value }));
  return { points, total: points.length, downsampled: false };
}

// ---- Logged models (MLflow 3) ----

export const getLoggedModel = (id: string) =>
  get<{ model: LoggedModel }>(`/logged-models/${encodeURIComponent(id)}`);
export const searchLoggedModels = (experimentId: string, filter: string, pageToken?: string) =>
  post<{ models?: LoggedModel[]; next_page_token?: string }>('/logged-models/search', {
    experiment_ids: [experimentId],
    filter: filter || undefined,
    max_results: 100,
    page_token: pageToken || undefined,
  });

// ---- Traces ----

/** MLflow's TraceInfoV3, as the v3 tracing API answers it. */
export interface TraceInfo {
  trace_id: string;
  client_request_id?: string;
  trace_location: { mlflow_experiment?: { experiment_id: string } };
  request_preview?: string;
  response_preview?: string;
  request_time: string; // RFC 3339
  execution_duration?: string; // "1.250s"
  state: string;
  trace_metadata?: Record<string, string>;
  tags?: Record<string, string>;
  assessments?: Assessment[];
}

/** Feedback on a trace (from a human, an LLM judge or code), or an expectation. */
export interface Assessment {
  assessment_id: string;
  assessment_name: string;
  source?: { source_type?: string; source_id?: string };
  feedback?: { value?: unknown; error?: { error_code?: string; error_message?: string } };
  expectation?: { value?: unknown; serialized_value?: { value?: string } };
  rationale?: string;
  valid?: boolean;
}

export const searchTraces = (experimentId: string, filter: string, pageToken?: string) =>
  request<{ traces?: TraceInfo[]; next_page_token?: string }>('POST', `${API3}/traces/search`, {
    locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
    filter: filter || undefined,
    max_results: 50,
    page_token: pageToken || undefined,
  });
export const getTrace = (id: string) =>
  request<{ trace: { trace_info: TraceInfo } }>(
    'GET',
    `${API3}/traces/${encodeURIComponent(id)}`,
  ).then((r) => r.trace.trace_info);

/**
 * A trace's spans: the traces.json its client wrote under the trace's artifact location, read
 * through the artifact proxy ({"spans": [...]}, in MLflow 3's or MLflow 2's span layout).
 */
export async function traceSpans(trace: TraceInfo): Promise<Record<string, unknown>[]> {
  const location = trace.tags?.['mlflow.artifactLocation'] ?? '';
  const root = proxiedRoot(location);
  if (root === undefined) throw new Error(`The spans are at ${location}, not behind this server.`);
  const res = await apiFetch(`${PROXY}/${root}/traces.json`);
  if (!res.ok) throw await errorOf(res);
  const data = (await res.json()) as { spans?: unknown };
  if (!Array.isArray(data?.spans)) throw new Error('traces.json holds no list of spans.');
  return data.spans.filter(
    (s): s is Record<string, unknown> => typeof s === 'object' && s !== null && !Array.isArray(s),
  );
}

// ---- Artifacts ----

/** A tree of files the UI lists and downloads: a run's artifacts, or a logged model's. */
export interface ArtifactSource {
  /** Tells sources apart (effects re-run when it changes). */
  key: string;
  list(path: string): Promise<{ files?: FileInfo[] }>;
  /** The proxied download URL of one file. */
  url(path: string): string;
  /** Set when this server does not hold the files (a client-side s3:// root): why not. */
  unavailable?: string;
}

export const listArtifacts = (runId: string, path: string) =>
  get<{ files?: FileInfo[]; root_uri?: string }>('/artifacts/list', { run_id: runId, path });

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const PROXY = '/ajax-api/2.0/mlflow-artifacts/artifacts';

/** "mlflow-artifacts:/0/models/m-.../artifacts" (or with a //host authority): the proxy path. */
function proxiedRoot(uri: string): string | undefined {
  return /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/i.exec(uri)?.[1]?.replace(/\/+$/, '');
}

export function runArtifacts(run: RunInfo): ArtifactSource {
  return {
    key: `run:${run.run_id}`,
    list: (path) => listArtifacts(run.run_id, path),
    url: (path) => `${PROXY}/${run.experiment_id}/${run.run_id}/artifacts/${encodePath(path)}`,
  };
}

export function modelArtifacts(model: LoggedModelInfo): ArtifactSource {
  const root = proxiedRoot(model.artifact_uri) ?? '';
  return {
    key: `model:${model.model_id}`,
    unavailable:
      proxiedRoot(model.artifact_uri) === undefined
        ? `The files are at ${model.artifact_uri}, not behind this server.`
        : undefined,
    list: (path) =>
      get<{ files?: FileInfo[] }>(
        `/logged-models/${encodeURIComponent(model.model_id)}/artifacts/directories`,
        { artifact_directory_path: path },
      ),
    url: (path) => `${PROXY}/${root}/${encodePath(path)}`,
  };
}

/** An artifact file's content; throws the server's message on an error answer. */
export async function fetchArtifact(source: ArtifactSource, path: string): Promise<Response> {
  if (source.unavailable) throw new Error(source.unavailable);
  const res = await apiFetch(source.url(path));
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function fetchArtifactText(
  source: ArtifactSource,
  path: string,
  limit: number,
): Promise<string> {
  const text = await (await fetchArtifact(source, path)).text();
  return text.length > limit ? text.slice(0, limit) : text;
}

// ---- Model registry ----

export const searchModels = (filter: string, pageToken?: string) =>
  get<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(
    '/registered-models/search',
    { filter, max_results: 100, page_token: pageToken, order_by: 'name ASC' },
  );
export const getModel = (name: string) =>
  get<{ registered_model: RegisteredModel }>('/registered-models/get', { name });
export const searchVersions = (name: string) =>
  get<{ model_versions?: ModelVersion[] }>('/model-versions/search', {
    filter: `name = '${name.replace(/'/g, "\\'")}'`,
    max_results: 1000,
  });
export const setAlias = (name: string, alias: string, version: string) =>
  post('/registered-models/alias', { name, alias, version });
export const deleteAlias = (name: string, alias: string) =>
  del('/registered-models/alias', { name, alias });
export const transitionStage = (name: string, version: string, stage: string) =>
  post('/model-versions/transition-stage', {
    name,
    version,
    stage,
    archive_existing_versions: false,
  });
export const setModelTag = (name: string, key: string, value: string) =>
  post('/registered-models/set-tag', { name, key, value });
