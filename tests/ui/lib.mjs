// Helpers for the browser tests: start `mlhub server` on a free loopback port with a temp store,
// talk to its REST API, and launch Debian's chromium through playwright-core.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox', // the tests run as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** playwright-core is a dependency of ui/, so resolve it from there. */
export function loadPlaywright() {
  const req = createRequire(path.join(REPO, 'ui', 'package.json'));
  try {
    return req('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core is not installed: run \`npm ci\` in ui/ (${e.message})`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `mlhub server` (binary from MLHUB_BIN, default build/src/mlhub) on a free port with a
 * fresh SQLite store and artifact folder. MLHUB_UI_DIST, when set, is passed as MLHUB_UI_DIR so
 * the server serves that build instead of the embedded UI. Throws if the binary is missing.
 * `opts.args` are added to the command line (e.g. ['--auth', 'basic']), `opts.env` to its env.
 */
export async function startMlhub(opts = {}) {
  const bin = path.resolve(REPO, process.env.MLHUB_BIN ?? 'build/src/mlhub');
  if (!fs.existsSync(bin)) throw new Error(`mlhub binary not found at ${bin} (set MLHUB_BIN)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlhub-ui-test-'));
  const port = await freePort();
  const env = { ...process.env, ...opts.env };
  if (process.env.MLHUB_UI_DIST) env.MLHUB_UI_DIR = path.resolve(REPO, process.env.MLHUB_UI_DIST);
  const args = [
    'server',
    '--host', '127.0.0.1',
    '--port', String(port),
    '--backend-store-uri', `sqlite:///${path.join(dir, 'mlhub.db')}`,
    '--artifacts-destination', path.join(dir, 'artifacts'),
    ...(opts.args ?? []),
  ];
  const proc = spawn(bin, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mlhub server exited (${proc.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`mlhub server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dir,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A tiny client for the MLflow REST API that throws on error answers; `auth` ({username,
 * password}) is sent as HTTP Basic credentials.
 */
export function apiClient(base, auth) {
  const api = `${base}/ajax-api/2.0/mlflow`;
  const authHeader = auth
    ? { Authorization: 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64') }
    : {};
  async function call(method, p, body, root = api) {
    const res = await fetch(root + p, {
      method,
      headers: { ...authHeader, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  }
  return {
    get: (p, q = {}) => call('GET', `${p}?${new URLSearchParams(q)}`),
    post: (p, body) => call('POST', p, body),
    patch: (p, body) => call('PATCH', p, body),
    /** MLflow 3's own endpoints (/ajax-api/3.0/mlflow), e.g. the tracing API. */
    postV3: (p, body) => call('POST', p, body, `${base}/ajax-api/3.0/mlflow`),
    /** Uploads through the artifact proxy to `p`, relative to the proxy's root. */
    async putProxied(p, content) {
      const url = `${base}/ajax-api/2.0/mlflow-artifacts/artifacts/${p}`;
      const res = await fetch(url, { method: 'PUT', headers: authHeader, body: content });
      if (!res.ok) throw new Error(`PUT ${p}: ${res.status} ${await res.text()}`);
    },
    putArtifact(expId, runId, p, content) {
      return this.putProxied(`${expId}/${runId}/artifacts/${p}`, content);
    },
  };
}

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const { chromium } = loadPlaywright();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlhub-ui-chromium-'));
  // A persistent context is how playwright takes a fresh, throwaway profile folder.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `selector` matches an element whose text contains `text`. */
export async function waitForText(page, selector, text, timeout = 10000) {
  try {
    await page.waitForFunction(
      ([s, t]) => [...document.querySelectorAll(s)].some((e) => e.textContent.includes(t)),
      [selector, text],
      { timeout },
    );
  } catch {
    const got = await page.evaluate((s) => [...document.querySelectorAll(s)].map((e) => e.textContent).join(' | '), selector);
    throw new Error(`no "${selector}" containing "${text}" on ${page.url()}; found: ${got.slice(0, 500) || '(none)'}`);
  }
}

/** The texts of the run-name links in the runs table, sorted. */
export async function runNames(page) {
  const names = await page.$$eval('#runs-table tbody .run-link', (as) => as.map((a) => a.textContent));
  return names.sort();
}

/** Writes a screenshot to docs/screenshots/<name>.png when MLHUB_UI_SCREENSHOTS=1. */
export async function screenshot(page, name) {
  if (process.env.MLHUB_UI_SCREENSHOTS !== '1') return;
  const dir = path.join(REPO, 'docs', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
