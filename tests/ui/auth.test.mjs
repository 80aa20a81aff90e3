// Browser tests of the UI's login against `mlhub server --auth basic`: the login form, wrong
// credentials, a READ-only user's view and writes, sign-out, and a user without permission.
// Missing chromium or a missing binary fails the run; nothing is skipped.
//
//   MLHUB_BIN=build/src/mlhub node --test tests/ui/auth.test.mjs
//   env: MLHUB_UI_DIST=ui/dist  serve that build (passed to the server as MLHUB_UI_DIR)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { apiClient, launchBrowser, startMlhub, waitForText } from './lib.mjs';
import { PNG } from './seed.mjs';

const ADMIN = { username: 'admin', password: 'admin-pw-for-ui-tests' };
const ALICE = { username: 'alice', password: 'alice-pw' };
const BOB = { username: 'bob', password: 'bob-pw' };
const NOTE = 'Note written by the admin.';

let server;
let browser;
let page;
let admin;
let expId;
let runId;
const pageErrors = [];
// Requests for which Chromium would have shown its own Basic-auth dialog (see watchAuthPrompts).
const authPrompts = [];

before(async () => {
  server = await startMlhub({
    args: ['--auth', 'basic'],
    env: { MLHUB_AUTH_ADMIN_PASSWORD: ADMIN.password },
  });
  const index = await fetch(`${server.url}/`).then((r) => r.text());
  if (!index.includes('<div id="app">'))
    throw new Error(`${server.url}/ does not serve the UI (build mlhub with it, or set MLHUB_UI_DIST)`);

  admin = apiClient(server.url, ADMIN);
  expId = (await admin.post('/experiments/create', { name: 'secret-exp' })).experiment_id;
  const run = await admin.post('/runs/create', {
    experiment_id: expId,
    run_name: 'secret-run',
    start_time: Date.now(),
  });
  runId = run.run.info.run_id;
  await admin.post('/runs/set-tag', { run_id: runId, key: 'mlflow.note.content', value: NOTE });
  await admin.putArtifact(expId, runId, 'notes.txt', 'artifact behind a login\n');
  await admin.putArtifact(expId, runId, 'plots/red.png', PNG);
  for (const [user, permission] of [
    [ALICE, 'READ'],
    [BOB, 'NO_PERMISSIONS'],
  ]) {
    await admin.post('/users/create', user);
    await admin.post('/experiments/permissions/create', {
      experiment_id: expId,
      username: user.username,
      permission,
    });
  }

  browser = await launchBrowser();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await watchAuthPrompts(page);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Headless Chromium shows no dialogs, so a native Basic-auth prompt would go unnoticed (or hang a
 * headed browser). DevTools' Fetch.authRequired fires exactly where Chromium would ask the user
 * for credentials; record each one and cancel it.
 */
async function watchAuthPrompts(p) {
  const cdp = await browser.context.newCDPSession(p);
  const ignore = () => {};
  cdp.on('Fetch.requestPaused', (e) =>
    cdp.send('Fetch.continueRequest', { requestId: e.requestId }).catch(ignore),
  );
  cdp.on('Fetch.authRequired', (e) => {
    authPrompts.push(e.request.url);
    cdp
      .send('Fetch.continueWithAuth', {
        requestId: e.requestId,
        authChallengeResponse: { response: 'CancelAuth' },
      })
      .catch(ignore);
  });
  await cdp.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*' }] });
}

const go = (p) => page.goto(server.url + p);

async function signIn({ username, password }) {
  await page.waitForSelector('#login-form');
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await page.press('#login-form input[name=password]', 'Enter');
}

const storedCredentials = () => page.evaluate(() => sessionStorage.getItem('mlhub.credentials'));

test('the API needs credentials, the UI itself does not', async () => {
  const res = await fetch(`${server.url}/ajax-api/2.0/mlflow/experiments/search`, {
    method: 'POST',
    body: '{}',
  });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
  assert.equal((await fetch(`${server.url}/experiments`)).status, 200);
});

test('the experiments page shows the login form; the username field has focus', async () => {
  await go('/experiments');
  await page.waitForSelector('#login-form');
  assert.equal(await page.$('#experiments-table'), null);
  assert.equal(await page.$('#signed-in-user'), null);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'username');
});

test('a wrong password says so and keeps the form', async () => {
  await signIn({ username: ALICE.username, password: 'wrong' });
  await waitForText(page, '#login-form [role=alert]', 'Wrong username or password');
  assert.ok(await page.$('#login-form'));
  assert.equal(await storedCredentials(), null);
});

test('alice signs in and sees the experiment, its run, note and artifacts', async () => {
  await signIn(ALICE);
  await waitForText(page, '#experiments-table', 'secret-exp');
  await waitForText(page, '#signed-in-user', 'alice');
  assert.match(await storedCredentials(), /"alice"/);

  // A reload keeps the tab's sign-in.
  await page.reload();
  await waitForText(page, '#experiments-table', 'secret-exp');

  await page.click('#experiments-table >> text=secret-exp');
  await waitForText(page, '#runs-table', 'secret-run');

  await go(`/runs/${runId}`);
  await waitForText(page, '#run-note', NOTE);

  // Artifacts are fetched with the credentials too: a text preview, an image, a download.
  await go(`/runs/${runId}?tab=artifacts&path=notes.txt`);
  await waitForText(page, 'pre.file', 'artifact behind a login');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('.preview-head >> text=Download'),
  ]);
  assert.equal(download.suggestedFilename(), 'notes.txt');
  assert.equal(fs.readFileSync(await download.path(), 'utf8'), 'artifact behind a login\n');

  await go(`/runs/${runId}?tab=artifacts&path=plots/red.png`);
  await page.waitForFunction(() => {
    const img = document.querySelector('img.preview-img');
    return img && img.complete && img.naturalWidth === 8;
  });
});

test("a write alice may not do shows the server's Permission denied", async () => {
  await go(`/runs/${runId}`);
  await waitForText(page, '#run-note', NOTE);
  await page.click('text=Edit note');
  await page.fill('#run-note textarea', 'alice was here');
  await page.click('text=Save note');
  await waitForText(page, '#run-note [role=alert]', 'Permission denied');

  await go('/experiments');
  await page.click(`tr[data-experiment-id="${expId}"] >> text=Rename`);
  await page.fill(`tr[data-experiment-id="${expId}"] input`, 'renamed-by-alice');
  await page.press(`tr[data-experiment-id="${expId}"] input`, 'Enter');
  await waitForText(page, `tr[data-experiment-id="${expId}"] [role=alert]`, 'Permission denied');
  // Still signed in: a 403 is an error message, not a login.
  assert.equal(await page.$('#login-form'), null);

  const { run } = await admin.get('/runs/get', { run_id: runId });
  assert.equal(run.data.tags.find((t) => t.key === 'mlflow.note.content').value, NOTE);
  const { experiment } = await admin.get('/experiments/get', { experiment_id: expId });
  assert.equal(experiment.name, 'secret-exp');
});

test('sign out brings the login form back and forgets the credentials', async () => {
  await page.click('text=Sign out');
  await page.waitForSelector('#login-form');
  assert.equal(await page.$('#signed-in-user'), null);
  assert.equal(await storedCredentials(), null);
  await page.reload();
  await page.waitForSelector('#login-form');
});

test('bob does not see the experiment, and its URL shows the permission error', async () => {
  await signIn(BOB);
  await waitForText(page, '#signed-in-user', 'bob');
  await waitForText(page, '#experiments-table', 'Default');
  const names = await page.$$eval('#experiments-table tbody tr', (rs) => rs.map((r) => r.textContent));
  assert.ok(!names.some((n) => n.includes('secret-exp')), `bob sees: ${names.join(' | ')}`);

  await go(`/experiments/${expId}`);
  await waitForText(page, '.error', 'Permission denied');
  await go(`/runs/${runId}`);
  await waitForText(page, '.error', 'Permission denied');
  assert.equal(await page.$('#login-form'), null);
});

test('Chromium never asked for credentials itself; no page errors', () => {
  assert.deepEqual(authPrompts, []);
  assert.deepEqual(pageErrors, []);
});
