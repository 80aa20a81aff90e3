// UI benchmark (issue 8's targets): an experiment of 10,000 runs x 50 metrics and a metric of
// 100,000 points, then in headless chromium: navigation -> first page of the runs table shown,
// navigation -> the 100k-point chart drawn, and the UI bundle's gzipped size.
//
//   MLHUB_BIN=build/src/mlhub node bench/ui/bench.mjs
//   env: RUNS (10000), METRICS (50), POINTS (100000), CONCURRENCY (8), MLHUB_UI_DIST,
//        MLHUB_UI_DEV_PROXY=1 (as in tests/ui), REPEAT (5 page loads, the median is printed)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { REPO, apiClient, launchBrowser, startMlhub } from '../../tests/ui/lib.mjs';

const RUNS = Number(process.env.RUNS ?? 10000);
const METRICS = Number(process.env.METRICS ?? 50);
const POINTS = Number(process.env.POINTS ?? 100000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const REPEAT = Number(process.env.REPEAT ?? 5);

/** Runs `fn(i)` for i in [0, n) with at most CONCURRENCY in flight. */
async function pool(n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function populate(api) {
  const t0 = Date.now();
  const { experiment_id: expId } = await api.post('/experiments/create', { name: 'bench-10k' });
  const now = Date.now();
  await pool(RUNS, async (i) => {
    const { run } = await api.post('/runs/create', {
      experiment_id: expId,
      run_name: `run-${i}`,
      start_time: now + i,
    });
    const metrics = Array.from({ length: METRICS }, (_, k) => ({
      key: `m${String(k).padStart(2, '0')}`,
      value: Math.sin(i + k),
      timestamp: now,
      step: 0,
    }));
    await api.post('/runs/log-batch', {
      run_id: run.info.run_id,
      metrics,
      params: [{ key: 'seed', value: String(i) }],
    });
  });
  const { run } = await api.post('/runs/create', { experiment_id: expId, run_name: 'long' });
  const longId = run.info.run_id;
  for (let s = 0; s < POINTS; s += 1000) {
    const metrics = [];
    for (let k = s; k < Math.min(POINTS, s + 1000); k++)
      metrics.push({ key: 'long', value: Math.exp(-k / 20000) + (k % 9973 === 0 ? 2 : 0), timestamp: now + k, step: k });
    await api.post('/runs/log-batch', { run_id: longId, metrics });
  }
  console.log(`populated ${RUNS} runs x ${METRICS} metrics + a ${POINTS}-point metric in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { expId, longId };
}

/** Milliseconds from navigation start until `selector` is in the page (the page's own clock). */
async function timeTo(page, url, selector) {
  const xs = [];
  for (let i = 0; i < REPEAT; i++) {
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForSelector(selector, { timeout: 60000 });
    xs.push(await page.evaluate(() => performance.now()));
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

function bundleGzipBytes(dist) {
  let total = 0;
  const walk = (d) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (/\.(js|css|html)$/.test(f.name)) total += zlib.gzipSync(fs.readFileSync(p), { level: 9 }).length;
    }
  };
  walk(dist);
  return total;
}

const server = await startMlhub();
let proxy;
let browser;
try {
  let base = server.url;
  const dist = path.resolve(REPO, process.env.MLHUB_UI_DIST ?? 'ui/dist');
  if (process.env.MLHUB_UI_DEV_PROXY === '1') {
    const { startDevServer } = await import('../../ui/scripts/serve.mjs');
    proxy = await startDevServer({ dist, target: server.url });
    base = `http://127.0.0.1:${proxy.address().port}`;
  }
  const { expId, longId } = await populate(apiClient(server.url));
  browser = await launchBrowser();
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const table = await timeTo(page, `${base}/experiments/${expId}`, '#runs-table tbody tr:nth-child(50)');
  const chart = await timeTo(
    page,
    `${base}/charts?runs=${longId}`,
    'figure[data-metric="long"][data-points] canvas',
  );
  const points = await page.getAttribute('figure[data-metric="long"]', 'data-points');
  console.log(`runs table, first page (50 rows) shown: ${table.toFixed(0)} ms after navigation (median of ${REPEAT})`);
  console.log(`chart of the ${POINTS}-point metric drawn: ${chart.toFixed(0)} ms after navigation (${points} points drawn)`);
  if (fs.existsSync(dist)) console.log(`UI bundle (${path.relative(REPO, dist)}, js+css+html) gzipped: ${(bundleGzipBytes(dist) / 1024).toFixed(1)} KB`);
} finally {
  await browser?.close();
  proxy?.close();
  await server.stop();
}
