// Browser tests of mlhub's web UI: a real `mlhub server` (MLHUB_BIN) with data created through
// the REST API, and Debian's chromium driven headless by playwright-core. Missing chromium or a
// missing binary fails the run; nothing is skipped.
//
//   MLHUB_BIN=build/src/mlhub node --test tests/ui/ui.test.mjs
//   env: MLHUB_UI_DIST=ui/dist  serve that build (passed to the server as MLHUB_UI_DIR)
//        MLHUB_UI_SCREENSHOTS=1 write docs/screenshots/*.png
//        MLHUB_UI_DEV_PROXY=1   (development) serve MLHUB_UI_DIST from a Node proxy in front of the
//                               server, for a binary that serves no UI
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  REPO,
  apiClient,
  launchBrowser,
  runNames,
  screenshot,
  startMlhub,
  waitForText,
} from './lib.mjs';
import { LOGGED_MODEL, LOSS_STEPS, MODEL, ODD_TRACE_ID, PAGING_RUNS, RUNS, TRACE_ID, seed } from './seed.mjs';

let server;
let proxy;
let browser;
let page;
let base;
let api;
let data;
const pageErrors = [];

before(async () => {
  server = await startMlhub();
  api = apiClient(server.url);
  base = server.url;
  if (process.env.MLHUB_UI_DEV_PROXY === '1') {
    const { startDevServer } = await import('../../ui/scripts/serve.mjs');
    const dist = path.resolve(REPO, process.env.MLHUB_UI_DIST ?? 'ui/dist');
    proxy = await startDevServer({ dist, target: server.url });
    base = `http://127.0.0.1:${proxy.address().port}`;
  }
  // Fail fast (every test, with one clear reason) when the server has no UI to serve.
  const index = await fetch(`${base}/`).then((r) => r.text());
  if (!index.includes('<div id="app">'))
    throw new Error(`${base}/ does not serve the UI (build mlhub with it, or set MLHUB_UI_DIST)`);
  browser = await launchBrowser();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => d.accept()); // confirm() before deletes
  data = await seed(api);
});

after(async () => {
  await browser?.close();
  proxy?.close();
  await server?.stop();
});

const go = (p) => page.goto(base + p);

test('the server serves the UI at / and at deep links', async () => {
  for (const p of ['/', '/experiments/1', '/models/x']) {
    const res = await fetch(base + p);
    const html = await res.text();
    assert.equal(res.status, 200, `GET ${p}: ${res.status} ${html.slice(0, 200)}`);
    assert.match(html, /<div id="app">/, `GET ${p} is not the UI's index.html`);
  }
});

test('experiments: list, search, create, rename, delete and restore', async () => {
  await go('/');
  await waitForText(page, '#experiments-table', 'iris-demo');
  await waitForText(page, '#experiments-table', 'other-experiment');
  // A server without --auth: no login form, no sign-in control (tests/ui/auth.test.mjs has them).
  assert.equal(await page.$('#login-form'), null);
  assert.equal(await page.$('#signed-in-user'), null);
  await screenshot(page, 'experiments');

  await page.fill('input[name=q]', 'iris');
  await page.press('input[name=q]', 'Enter');
  await page.waitForURL(/q=iris/);
  await page.waitForFunction(() => !document.body.textContent.includes('other-experiment'));
  await waitForText(page, '#experiments-table', 'iris-demo');

  await go('/experiments');
  await page.fill('input[placeholder=name]', 'made-in-ui');
  await page.press('input[placeholder=name]', 'Enter');
  await page.waitForURL(/\/experiments\/\d+$/);
  const id = page.url().split('/').pop();
  assert.equal((await api.get('/experiments/get', { experiment_id: id })).experiment.name, 'made-in-ui');

  await go('/experiments');
  const row = `#experiments-table tr[data-experiment-id="${id}"]`;
  await page.click(`${row} >> text=Rename`);
  await page.fill(`${row} input`, 'renamed-in-ui');
  await page.press(`${row} input`, 'Enter');
  await waitForText(page, row, 'renamed-in-ui');
  assert.equal((await api.get('/experiments/get', { experiment_id: id })).experiment.name, 'renamed-in-ui');

  await go('/experiments');
  await page.click(`${row} >> text=Delete`);
  await page.waitForSelector(row, { state: 'detached' });
  assert.equal((await api.get('/experiments/get', { experiment_id: id })).experiment.lifecycle_stage, 'deleted');
  await go('/experiments?view=deleted');
  await page.click(`${row} >> text=Restore`);
  await page.waitForSelector(row, { state: 'detached' });
  assert.equal((await api.get('/experiments/get', { experiment_id: id })).experiment.lifecycle_stage, 'active');
});

test('runs table: columns, OR filter, sort and deep links', async () => {
  await go(`/experiments/${data.expId}`);
  await page.waitForSelector('#runs-table');
  assert.deepEqual(await runNames(page), RUNS.map((r) => r.name));
  // Default columns include the metrics and params of the runs.
  for (const h of ['acc', 'loss', 'lr', 'model']) await waitForText(page, '#runs-table thead', h);
  await screenshot(page, 'runs');

  const filter = "metrics.acc > 0.9 OR params.model = 'lr'";
  await page.fill('#run-filter', filter);
  await page.press('#run-filter', 'Enter');
  await page.waitForURL(/filter=/);
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 3);
  assert.deepEqual(await runNames(page), ['run-1', 'run-2', 'run-3']);

  // The filter lives in the URL: a fresh load of it shows the same rows.
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 3);
  assert.equal(await page.inputValue('#run-filter'), filter);

  // Parentheses and AND, as our grammar allows.
  await go(
    `/experiments/${data.expId}?filter=${encodeURIComponent("(params.model = 'xgb' OR params.model = 'rf') AND tags.team = 'blue'")}`,
  );
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 2);
  assert.deepEqual(await runNames(page), ['run-1', 'run-3']);

  // Sort by acc, descending, from the column header; the order is in the URL.
  await go(`/experiments/${data.expId}?cols=metrics.acc,params.model,tags.team`);
  await waitForText(page, '#runs-table thead', 'team');
  await page.click('#runs-table thead button:has-text("acc")');
  await page.waitForURL(/order=metrics.acc/);
  // The default order (newest first) also starts with run-3: wait for the whole sorted order.
  const sorted = ['run-3', 'run-1', 'run-0', 'run-2'].join();
  const order = () =>
    page.$$eval('#runs-table tbody .run-link', (as) => as.map((a) => a.textContent).join());
  await page
    .waitForFunction(
      (want) => [...document.querySelectorAll('#runs-table tbody .run-link')].map((a) => a.textContent).join() === want,
      sorted,
      { timeout: 10000 },
    )
    .catch(() => {});
  assert.equal(await order(), sorted);
});

test('runs table: an API error shows its message', async () => {
  await go(`/experiments/${data.expId}?filter=${encodeURIComponent('metrics.acc >> 1')}`);
  await waitForText(page, '.error', 'Invalid filter');
  await go('/runs/doesnotexist');
  await waitForText(page, '.error', 'Run with id=doesnotexist not found');
  await go('/experiments/424242');
  await page.waitForSelector('.error');
});

test('runs table: paging with page tokens', async () => {
  await go(`/experiments/${data.pagingId}`);
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 50);
  await page.click('#next-page');
  await page.waitForURL(/pt=/);
  await page.waitForFunction(
    (n) => document.querySelectorAll('#runs-table tbody tr').length === n,
    PAGING_RUNS - 50,
  );
  await page.click('text=Previous');
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 50);
});

test('run page: params, metrics, tags, note, logged model, artifacts', async () => {
  const id = data.runIds['run-0'];
  await go(`/runs/${id}`);
  await waitForText(page, 'h1', 'run-0');
  await waitForText(page, '#run-params', 'xgb');
  await waitForText(page, '#run-metrics', 'loss');
  await waitForText(page, '#run-metrics', '0.85');
  await waitForText(page, '#run-tags', 'red');
  await waitForText(page, '#run-note', 'Note of run-0: baseline sweep.');
  await waitForText(page, '#logged-models', 'loader_module: mlflow.sklearn');
  await screenshot(page, 'run');

  // Editing the note writes the mlflow.note.content tag.
  await page.click('text=Edit note');
  await page.fill('#run-note textarea', 'edited from the UI');
  await page.click('text=Save note');
  await waitForText(page, '#run-note', 'edited from the UI');
  const tags = (await api.get('/runs/get', { run_id: id })).run.data.tags;
  assert.equal(tags.find((t) => t.key === 'mlflow.note.content').value, 'edited from the UI');

  await page.click('.tabs >> text=Artifacts');
  await page.click('.tree >> text=config/');
  await page.click('.tree >> text=params.json');
  await page.waitForURL(/path=config%2Fparams.json/);
  await waitForText(page, 'pre.file', '"depth": 6'); // pretty-printed JSON
  await screenshot(page, 'artifacts');
  const href = await page.getAttribute('.preview-head a', 'href');
  const file = await fetch(base + href);
  assert.equal(await file.text(), '{"depth":6,"features":["a","b"]}');

  await go(`/runs/${id}?tab=artifacts&path=notes.txt`);
  await waitForText(page, 'pre.file', 'second line');
  await go(`/runs/${id}?tab=artifacts&path=model/MLmodel`);
  await waitForText(page, 'pre.file', 'sklearn_version: 1.3.0');
  await go(`/runs/${id}?tab=artifacts&path=plots/red.png`);
  await page.waitForFunction(() => {
    const img = document.querySelector('img.preview-img');
    return img && img.complete && img.naturalWidth === 8;
  });
});

test('MLflow 3 logged models: the run shows its model, the experiment lists it, files browse', async () => {
  await go(`/runs/${data.runIds['run-1']}`);
  await waitForText(page, '#logged-models', LOGGED_MODEL);
  await waitForText(page, '#logged-models', 'sklearn_version: 1.5.2'); // the model's own MLmodel
  await page.click(`#logged-models >> text=${LOGGED_MODEL}`);
  await page.waitForURL(new RegExp(`/logged-models/${data.modelId}$`));
  await waitForText(page, 'h1', `${LOGGED_MODEL} ready`);
  await waitForText(page, '#logged-model-info', `models:/${data.modelId}`);
  await waitForText(page, '#logged-model-params', 'max_depth');
  await waitForText(page, '#logged-model-metrics', 'holdout');
  await waitForText(page, '#logged-model-metrics', '0.91');
  await waitForText(page, 'pre.file', 'sklearn_version: 1.5.2');
  await screenshot(page, 'logged-model');

  await page.click('.tabs >> text=Files');
  await page.click('.tree >> text=model.pkl');
  await page.waitForURL(/tab=files&path=model.pkl/);
  const fileHref = await page.getAttribute('.preview-head a', 'href');
  assert.equal(await (await fetch(base + fileHref)).text(), 'pickled bytes');

  await go(`/experiments/${data.expId}`);
  await page.click('#experiment-models');
  await page.waitForURL(new RegExp(`/experiments/${data.expId}/models$`));
  await waitForText(page, '#logged-models-table', LOGGED_MODEL);
  await waitForText(page, '#logged-models-table', 'f1 (holdout)=0.91');
  const runHref = await page.getAttribute('#logged-models-table td a.mono', 'href');
  assert.equal(runHref, `/runs/${data.runIds['run-1']}`);

  // deep links load the page directly
  await go(`/logged-models/${data.modelId}?tab=files&path=model.pkl`);
  await waitForText(page, 'pre.file, .preview', 'model.pkl');
  await go(`/experiments/${data.expId}/models`);
  await waitForText(page, '#logged-models-table', LOGGED_MODEL);

  // NaN metrics (strings on the wire) are shown, not a crash
  await go(`/experiments/${data.nanExpId}/models`);
  await waitForText(page, '#logged-models-table', 'loss=NaN');
  await page.click('#logged-models-table >> text=nan-model');
  await waitForText(page, '#logged-model-metrics', 'NaN');

  // run-0 has no model outputs: its legacy model folder is still found in its artifacts.
  await go(`/runs/${data.runIds['run-0']}`);
  await waitForText(page, '#logged-models', 'sklearn_version: 1.3.0');
});

test('traces: the experiment lists them, a trace shows its span tree and a span its inputs', async () => {
  await go(`/experiments/${data.expId}`);
  await page.click('#experiment-traces');
  await page.waitForURL(new RegExp(`/experiments/${data.expId}/traces$`));
  await waitForText(page, '#traces-table', 'answer-question');
  await waitForText(page, '#traces-table', '1.50 s');
  await waitForText(page, '#traces-table', 'What is mlhub?');
  // the server's trace filter, kept in the URL
  await page.fill('#list-filter', "trace.status = 'ERROR'");
  await page.press('#list-filter', 'Enter');
  await page.waitForURL(/filter=trace\.status/);
  // the unfiltered list may still show while the filtered one loads: wait for the OK trace to go
  await page.waitForFunction(
    () => !document.querySelector('#traces-table')?.textContent.includes('answer-question'),
  );
  await waitForText(page, '#traces-table', 'odd-spans');
  await page.click('text=Clear');
  await waitForText(page, '#traces-table', 'answer-question');
  await page.click('#traces-table >> text=answer-question');
  await page.waitForURL(new RegExp(`/traces/${TRACE_ID}$`));
  await waitForText(page, '#trace-info', TRACE_ID);
  await waitForText(page, '#span-tree', 'retrieve');
  await waitForText(page, '#span-tree', 'llm');
  await waitForText(page, '#span-detail', 'CHAIN'); // the root span, chosen first
  await page.click('#span-tree >> text=llm');
  await page.waitForURL(/span=s2/);
  await waitForText(page, '#span-detail', 'Answer from doc-1, doc-2');
  await waitForText(page, '#trace-metadata', data.runIds['run-2']);
  // the run the trace came from links to its traces
  await go(`/runs/${data.runIds['run-2']}`);
  await page.click('#run-traces');
  await waitForText(page, '#traces-table', 'answer-question');
  assert.equal(await page.locator('#traces-table >> text=odd-spans').count(), 0);
  await go(`/traces/${TRACE_ID}?span=s2`);
  await waitForText(page, '#span-detail', 'Answer from doc-1, doc-2');
  await waitForText(page, '#trace-assessments', 'relevance');
  await waitForText(page, '#trace-assessments', 'llm judge · judge-model');
  await waitForText(page, '#trace-assessments', '0.9');
  await screenshot(page, 'trace');
  // the tree is in order: root, then its children by start time, indented
  const names = await page.$$eval('#span-tree tr', (rows) => rows.map((r) => r.textContent.split(/\d/)[0].trim()));
  assert.deepEqual(names, ['answer-question', 'retrieve', 'llm']);

  // spans that form no tree are still all listed, once each
  await go(`/traces/${ODD_TRACE_ID}`);
  await waitForText(page, '#trace-info', ODD_TRACE_ID);
  await waitForText(page, '#span-tree', 'no-id');
  const odd = await page.$$eval('#span-tree tr', (rows) => rows.map((r) => r.textContent.split(/\d/)[0].trim()));
  assert.deepEqual(odd.sort(), ['cycle-x', 'cycle-y', 'no-id']);
});

/** Coloured pixels on the chart's canvas: uPlot draws lines, so a blank canvas means no chart. */
async function inkedPixels(metric) {
  return page.$eval(`figure[data-metric="${metric}"] canvas`, (c) => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
    return n;
  });
}

test('charts: one per metric, runs overlaid, log scale and smoothing in the URL', async () => {
  const ids = [data.runIds['run-0'], data.runIds['run-1']].join(',');
  await go(`/charts?runs=${ids}`);
  await page.waitForSelector('figure[data-metric="loss"][data-series="2"] canvas');
  await page.waitForSelector('figure[data-metric="acc"][data-series="2"] canvas');
  assert.ok((await inkedPixels('loss')) > 500, 'the loss chart is blank');
  await waitForText(page, 'figure[data-metric="loss"] figcaption', (2 * LOSS_STEPS).toLocaleString('en-US'));

  // With mlhub's downsampling route the browser gets far fewer points than were logged.
  const probe = await fetch(
    `${server.url}/ajax-api/2.0/mlhub/metrics/get-history-downsampled?run_id=${data.runIds['run-0']}&metric_key=loss&max_points=500`,
  );
  if (probe.status !== 404) {
    const drawn = Number(await page.getAttribute('figure[data-metric="loss"]', 'data-points'));
    assert.ok(drawn < 2 * LOSS_STEPS, `${drawn} points drawn: not downsampled`);
  }
  await screenshot(page, 'charts');

  await page.check('text=Log scale');
  await page.waitForURL(/log=1/);
  await page.fill('input[type=range]', '0.8');
  await page.waitForURL(/smooth=0.8/);
  await page.waitForSelector('figure[data-metric="loss"] canvas');
  assert.ok((await inkedPixels('loss')) > 500, 'the loss chart is blank on a log scale');

  await page.selectOption('.chart-controls select', 'time');
  await page.waitForURL(/x=time/);
  await page.waitForSelector('figure[data-metric="loss"][data-series="2"] canvas');

  // Selecting runs in the table leads to the same page.
  await go(`/experiments/${data.expId}`);
  await page.check('#runs-table input[aria-label="Select run-0"]');
  await page.check('#runs-table input[aria-label="Select run-1"]');
  await page.click('#chart-selected');
  await page.waitForSelector('figure[data-metric="loss"][data-series="2"] canvas');
});

test('run page charts tab draws the run metrics', async () => {
  await go(`/runs/${data.runIds['run-2']}?tab=charts`);
  await page.waitForSelector('figure[data-metric="loss"][data-series="1"] canvas');
  assert.ok((await inkedPixels('loss')) > 200);
});

test('compare: diff table highlights differences, parallel coordinates plot', async () => {
  await go(`/experiments/${data.expId}`);
  await page.check('#runs-table input[aria-label="Select all runs on this page"]');
  await page.click('#compare-selected');
  await page.waitForSelector('#compare-table');
  await waitForText(page, 'h1', 'Compare 4 runs');
  assert.equal(await page.getAttribute('#compare-table tr[data-col="params.model"]', 'class'), 'differs');
  assert.equal(await page.getAttribute('#compare-table tr[data-col="metrics.acc"]', 'class'), 'differs');
  assert.equal(await page.$$eval('#parallel-coords path.run-line', (p) => p.length), 4);
  await screenshot(page, 'compare');

  // Two runs with the same model: that row is not highlighted.
  const same = [data.runIds['run-0'], data.runIds['run-3']].join(',');
  await go(`/compare?runs=${same}`);
  await page.waitForSelector('#compare-table');
  assert.equal(await page.getAttribute('#compare-table tr[data-col="params.model"]', 'class'), '');
  assert.equal(await page.getAttribute('#compare-table tr[data-col="params.lr"]', 'class'), 'differs');
});

test('registry: models, versions, alias and stage set from the UI', async () => {
  await go('/models');
  await waitForText(page, '#models-table', MODEL);
  await waitForText(page, '#models-table', 'owner=ml-team');
  await screenshot(page, 'models');

  await page.click(`#models-table >> text=${MODEL}`);
  await page.waitForURL(new RegExp(`/models/${MODEL}$`));
  await page.waitForSelector('#versions-table tr[data-version="2"]');
  await page.waitForSelector('#versions-table tr[data-version="1"]');
  // The source-run link leads to the run.
  const runHref = await page.getAttribute('#versions-table tr[data-version="1"] a', 'href');
  assert.equal(runHref, `/runs/${data.runIds['run-0']}`);

  await page.fill('#set-alias input', 'champion');
  await page.selectOption('#set-alias select', '1');
  await page.press('#set-alias input', 'Enter');
  await waitForText(page, '#aliases', '@champion');
  await waitForText(page, '#versions-table tr[data-version="1"]', '@champion');
  const m = (await api.get('/registered-models/get', { name: MODEL })).registered_model;
  assert.deepEqual(m.aliases, [{ alias: 'champion', version: '1' }]);

  await page.selectOption('#versions-table tr[data-version="2"] select', 'Production');
  await page.click('#versions-table tr[data-version="2"] >> text=Apply');
  await waitForText(page, '#versions-table tr[data-version="2"] .stage', 'Production');
  const v = (await api.get('/model-versions/get', { name: MODEL, version: '2' })).model_version;
  assert.equal(v.current_stage, 'Production');
  await screenshot(page, 'model');

  await page.click('#aliases tr[data-alias="champion"] >> text=Delete');
  await waitForText(page, '#aliases', 'No aliases.');
  const m2 = (await api.get('/registered-models/get', { name: MODEL })).registered_model;
  assert.deepEqual(m2.aliases ?? [], []);
});

test('no uncaught errors in the page', () => {
  assert.deepEqual(pageErrors, []);
});
