// Browser tests of the admin console: headless Debian Chromium driven by
// playwright-core. Started by harness.py (env ADMIN_URL, ADMIN_USER,
// ADMIN_PASSWORD, AUDITOR_USER, AUDITOR_PASSWORD, BAIT_PORT). ONLY=regex runs
// just the tests whose names match (each such test must log itself in).
// Prints "N passed, N failed"; exit 1 on failure.
// Screenshots go to tests/browser/artifacts/.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkStrings } from './check_strings.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(HERE, 'artifacts');
const URL_BASE = process.env.ADMIN_URL;
const USER = process.env.ADMIN_USER;
const PASSWORD = process.env.ADMIN_PASSWORD;
const BAIT_PORT = Number(process.env.BAIT_PORT || 9);
fs.mkdirSync(ARTIFACTS, { recursive: true });

const results = [];
const ONLY = process.env.ONLY ? new RegExp(process.env.ONLY) : null;
async function test(name, fn) {
  if (ONLY && !ONLY.test(name)) return;
  const started = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}
function assert(cond, message) { if (!cond) throw new Error('assertion failed: ' + message); }

// Anything that connects to the bait port (the HTML mail's remote image) is a failure.
let baitConnections = 0;
const bait = net.createServer((s) => { baitConnections++; s.destroy(); });
await new Promise((resolve, reject) => { bait.once('error', reject); bait.listen(BAIT_PORT, '127.0.0.1', resolve); });

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailtee-chromium-'));
// A fresh profile (--user-data-dir) every run: playwright passes it for a persistent context.
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  ignoreHTTPSErrors: true, viewport: { width: 1366, height: 900 }, locale: 'en-US',
});
const page = context.pages()[0] || await context.newPage();
const requests = [];
const consoleErrors = [];
page.on('request', (r) => requests.push(r.url()));
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
const shot = (name, p = page) => p.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true });

async function login(p, user, password) {
  await p.fill('#login-user', user);
  await p.fill('#login-password', password);
  await p.click('#login-submit');
}

await test('UI strings: every key in English and Japanese, every used key defined', async () => {
  const problems = await checkStrings(path.join(HERE, '..', '..', 'admin', 'web'));
  assert(problems.length === 0, problems.join('; '));
});

await test('console page is served with CSP default-src self and no inline script', async () => {
  const r = await page.goto(URL_BASE + '/');
  const csp = r.headers()['content-security-policy'] || '';
  assert(csp.includes("default-src 'self'"), 'CSP header: ' + csp);
  const inline = await page.$$eval('script:not([src])', (s) => s.length);
  assert(inline === 0, 'inline scripts: ' + inline);
  await page.waitForSelector('#login-form');
  await shot('01-login');
});

await test('wrong password shows an error and stays on the login page', async () => {
  await login(page, USER, 'not-the-password');
  await page.waitForSelector('.login-form .alert-error:not([hidden])');
  const text = await page.textContent('.login-form .alert-error');
  assert(/wrong/i.test(text), 'error text: ' + text);
});

await test('login shows the dashboard with status, listener and volume chart', async () => {
  await login(page, USER, PASSWORD);
  await page.waitForSelector('.stats .stat-value');
  await page.waitForSelector('.table td.strong');
  assert((await page.textContent('.table td.strong')) === 'submission', 'listener name');
  await page.waitForSelector('svg.chart rect.bar');
  const bars = await page.$$('svg.chart rect.bar');
  assert(bars.length >= 1, 'volume bars: ' + bars.length);
  await page.waitForSelector('.hbar');
  await shot('02-dashboard');
});

await test('archive search finds the message by subject and opens it', async () => {
  await page.click('a[data-page="archive"]');
  await page.fill('#q-subject', 'quarterly');
  await page.click('#search-submit');
  await page.waitForSelector('#search-results tbody tr');
  const rows = await page.$$('#search-results tbody tr');
  assert(rows.length === 1, 'rows: ' + rows.length);
  await shot('03-search');
  await page.click('#search-results .subject-link');
  await page.waitForSelector('#message-subject');
  assert((await page.textContent('#message-subject')) === 'Quarterly report 見積書', 'decoded subject');
  await page.waitForSelector('#text-body');
  assert((await page.textContent('#text-body')).includes('こんにちは'), 'text body shown as text');
  const link = await page.waitForSelector('a.attachment-link');
  assert((await link.textContent()).includes('report-2026.pdf'), 'attachment listed');
  const href = await link.getAttribute('href');
  const r = await page.request.get(URL_BASE + href);
  assert(r.status() === 200, 'download status ' + r.status());
  assert(/^attachment;/.test(r.headers()['content-disposition'] || ''), 'Content-Disposition: ' + r.headers()['content-disposition']);
  assert((await r.text()).startsWith('%PDF-1.4 fake'), 'attachment bytes');
  await shot('04-message-text');
});

await test('HTML mail: sandboxed, no script runs, no remote image is fetched', async () => {
  const before = requests.length;
  await page.goto(URL_BASE + '/#/archive?subject=newsletter');
  await page.waitForSelector('#search-results .subject-link');
  await page.click('#search-results .subject-link');
  const frameEl = await page.waitForSelector('#html-frame');
  assert((await frameEl.getAttribute('sandbox')) === '', 'iframe sandbox=""');
  const frame = await frameEl.contentFrame();
  await frame.waitForSelector('#hello');
  await page.waitForTimeout(1500);  // time for an image / refresh / script to try
  const html = await frame.content();
  assert(!html.includes('PWNED'), 'script output in the frame');
  assert(!html.includes('<script'), 'script element kept');
  assert(!/data-pwned/.test(html), 'event handler ran');
  assert((await page.title()) !== 'PWNED', 'parent title changed');
  assert(html.includes('Styled paragraph stays'), 'content kept');
  const partUrl = URL_BASE + (await frameEl.getAttribute('src'));
  const r = await page.request.get(partUrl);
  const csp = r.headers()['content-security-policy'] || '';
  assert(csp.includes("default-src 'none'") && csp.includes('sandbox'), 'part CSP: ' + csp);
  assert(r.headers()['x-content-type-options'] === 'nosniff', 'nosniff');
  const remote = requests.slice(before).filter((u) => u.includes(':' + BAIT_PORT + '/') || !u.startsWith(URL_BASE));
  assert(remote.length === 0, 'requests outside the console: ' + remote.join(', '));
  assert(baitConnections === 0, 'connections to the bait port: ' + baitConnections);
  await shot('05-message-html');
});

// Waits until the element's text contains `text` (case-sensitive). Not
// page.waitForFunction: while polling, Playwright evaluates the predicate as a
// string in the page, which the console's CSP (no 'unsafe-eval') refuses.
async function waitForText(selector, text, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const current = await page.textContent(selector).catch(() => null);
    if (current !== null && current.includes(text)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" in ${selector}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

await test('language switch EN -> JA is applied and remembered, JA -> EN back', async () => {
  await page.goto(URL_BASE + '/#/archive');
  await page.waitForSelector('a[data-page="archive"]');
  assert((await page.textContent('a[data-page="archive"]')).includes('Archive'), 'english nav');
  await page.selectOption('#lang-switch', 'ja');
  await waitForText('a[data-page="archive"]', 'アーカイブ');
  assert((await page.getAttribute('html', 'lang')) === 'ja', 'html lang=ja');
  await page.reload();
  await page.waitForSelector('a[data-page="archive"]');
  assert((await page.textContent('a[data-page="archive"]')).includes('アーカイブ'), 'remembered after reload');
  await page.waitForSelector('#search-results tbody tr');
  await shot('06-archive-ja');
  await page.goto(URL_BASE + '/#/dashboard');
  await page.waitForSelector('svg.chart');
  await shot('07-dashboard-ja');
  await page.selectOption('#lang-switch', 'en');
  await waitForText('a[data-page="archive"]', 'Archive');
});

const WORK_DIR = process.env.WORK_DIR || '';
const HELD_SENDER = process.env.HELD_SENDER || '';
// What the SMTP sink received (harness.py writes WORK_DIR/sink/N.json).
function sinkRecords() {
  const dir = path.join(WORK_DIR, 'sink');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^\d+\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}
async function waitFor(what, fn, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const released = (to) => sinkRecords().some((m) => m.mail_from === HELD_SENDER && m.rcpt_tos.includes(to));
let approvalsLive = false;

// Whoever is signed in on `page` signs out; `user` signs in (on the dashboard).
async function signInAs(user, password) {
  await page.goto(URL_BASE + '/#/dashboard');
  await page.waitForSelector('#login-form, #logout');
  if (await page.$('#logout')) {
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  }
  await login(page, user, password);
  await page.waitForSelector('#logout');
}

await test('auditor (read-only role): sees the role, no approve/reject/proxy controls, no configuration', async () => {
  await signInAs(process.env.AUDITOR_USER, process.env.AUDITOR_PASSWORD);
  await waitForText('#session-role', 'Auditor');
  assert(!(await page.$('a[data-page="config"]')), 'no Configuration entry in the menu');
  await page.goto(URL_BASE + '/#/approvals');
  await page.waitForSelector('#approvals > *:not(.loading)');
  const probe = await page.request.get(URL_BASE + '/api/approvals');
  if (probe.status() !== 404) {
    await page.waitForSelector('#approvals-read-only');
    await page.waitForSelector('.approval[data-id]');  // the held messages are listed ...
    assert((await page.$$('button[data-action]')).length === 0, 'approve/reject buttons shown to an auditor');
    assert(!(await page.$('#delegate-form')), 'proxy-approver form shown to an auditor');
    const id = await page.getAttribute('.approval[data-id]', 'data-id');
    // ... and the server refuses a decision anyway, with a reason in the console's language.
    const r = await page.evaluate(async (holdId) => {
      const session = await (await fetch('/api/session')).json();
      const res = await fetch(`/api/approvals/${encodeURIComponent(holdId)}/approve`, { method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token }, body: '{}' });
      return { status: res.status, body: await res.json() };
    }, id);
    assert(r.status === 403 && r.body.code === 'role_forbidden', 'approve as auditor: ' + JSON.stringify(r));
  }
  await shot('08a-auditor-approvals');
  // Configuration by URL: the shell falls back to the dashboard.
  await page.goto(URL_BASE + '/#/config');
  await page.waitForSelector('.stats .stat-value');
  assert(!(await page.$('#config-reload')), 'reload button shown to an auditor');
  // The archive is readable: search and open a message.
  await page.goto(URL_BASE + '/#/archive?subject=quarterly');
  await page.waitForSelector('#search-results tbody tr');
  await page.selectOption('#lang-switch', 'ja');
  await waitForText('#session-role', '監査担当');
  await page.selectOption('#lang-switch', 'en');
  await waitForText('#session-role', 'Auditor');
  await signInAs(USER, PASSWORD);
  await waitForText('#session-role', 'Administrator');
  assert(await page.$('a[data-page="config"]'), 'an admin has the Configuration entry');
});

await test('approvals page: approve a held message on behalf of the approver; it is sent', async () => {
  await page.goto(URL_BASE + '/#/approvals');
  const probe = await page.request.get(URL_BASE + '/api/approvals');
  if (probe.status() === 404) {
    await page.waitForSelector('#approvals .alert-info');
    assert((await page.textContent('#approvals .alert-info')).includes('not enabled'), 'not enabled notice');
    console.log('     (approvals not wired into this daemon: only the "not enabled" notice was checked)');
    await shot('08-approvals');
    return;
  }
  approvalsLive = true;
  const card = '.approval[data-id]:has-text("Approval by console")';
  await page.waitForSelector(card);
  await page.waitForSelector('#approval-log tbody tr');
  assert(!/\bnull\b|undefined/.test(await page.textContent('#approvals')), 'no "null"/"undefined" printed on the page');
  await shot('08-approvals');
  const id = await page.getAttribute(card, 'data-id');
  assert(!released('customer1@partner.example'), 'not sent before the approval');
  await page.click(card + ' button[data-action="approve"]');
  await page.waitForSelector('dialog[open] #decision-as');
  assert((await page.inputValue('#decision-as')) === 'bucho@company.example', 'the only approver is preselected');
  await page.fill('#decision-reason', 'checked by phone');
  await page.click('#decision-confirm');
  await page.waitForSelector('#approval-notice .alert-info');
  assert((await page.textContent('#approval-notice')).includes('approved ' + id), 'approved notice');
  await page.waitForSelector(`#approval-history tr[data-id="${id}"]`);
  await waitFor('the approved message at the provider', () => released('customer1@partner.example'));
  await page.goto(URL_BASE + '/#/approvals/' + encodeURIComponent(id));
  await waitForText('#decision-trail', 'admin:');
  assert((await page.textContent('#decision-trail')).includes('checked by phone'), 'reason in the trail');
  await shot('08b-approval-detail');
});

await test('approval link from the request mail: GET only shows, the form approves, the mail is sent', async () => {
  if (!approvalsLive) { console.log('     (skipped: approvals not wired)'); return; }
  const request = await waitFor('the approval request mail with links', () => sinkRecords().find(
    (m) => m.mail_from === 'approval@mailtee.local' && m.subject.includes('リンク承認') && m.links.length));
  const link = request.links.find((l) => !/reject/i.test(l)) || request.links[0];
  const linkPage = await context.newPage();
  const first = await linkPage.goto(link);
  assert(first.status() === 200, 'link page status ' + first.status());
  assert(first.headers()['content-security-policy'].includes("default-src 'none'"), 'script-free CSP');
  await linkPage.goto(link);  // a second GET (a link preview before the approver) still offers the form
  assert(!released('customer2@partner.example'), 'GET changed nothing');
  const approveButton = 'form button[type="submit"]';
  if (!(await linkPage.textContent('h1')).includes('Approve')) {
    // The first link was the reject one: use the other.
    await linkPage.goto(request.links.find((l) => l !== link));
  }
  await linkPage.click(approveButton);
  await linkPage.waitForSelector('h1');
  assert((await linkPage.textContent('h1')).includes('Done'), 'result page: ' + await linkPage.textContent('body'));
  await linkPage.screenshot({ path: path.join(ARTIFACTS, '08c-approval-link-done.png') });
  await waitFor('the link-approved message at the provider', () => released('customer2@partner.example'));
  const again = await linkPage.goto(link);
  assert(again.status() === 400 && !(await linkPage.content()).includes('<form'), 'a used link offers no form');
  await linkPage.close();
});

await test('approvals: one admin cannot approve for two approvers; the refusal speaks the console language', async () => {
  if (!approvalsLive) { console.log('     (skipped: approvals not wired)'); return; }
  const card = '.approval[data-id]:has-text("Quorum of two")';
  const tryApprove = async (as) => {
    await page.click(card + ' button[data-action="approve"]');
    await page.waitForSelector('dialog[open] #decision-as');
    await page.selectOption('#decision-as', as);
    await page.click('#decision-confirm');
  };
  await page.goto(URL_BASE + '/#/approvals');
  await page.waitForSelector(card);
  await tryApprove('bucho@company.example');
  await waitForText('#approval-notice', '1 of 2');
  await page.waitForSelector(card);
  await tryApprove('kacho@company.example');  // the same admin, for the other approver
  await page.waitForSelector('dialog[open] .alert-error:not([hidden])');
  const en = await page.textContent('dialog[open] .alert-error');
  assert(en.includes('Each approval must come from a different person'), 'refusal in English: ' + en);
  await shot('08d-approval-refused');
  await page.click('dialog[open] button.btn-ghost');
  await page.selectOption('#lang-switch', 'ja');
  await waitForText('a[data-page="archive"]', 'アーカイブ');
  await page.reload();  // a settled page in Japanese (the switch re-renders asynchronously)
  await page.waitForSelector(card);
  await tryApprove('kacho@company.example');
  await page.waitForSelector('dialog[open] .alert-error:not([hidden])');
  const ja = await page.textContent('dialog[open] .alert-error');
  assert(ja.includes('承認は別々の人が行う必要があります'), 'refusal in Japanese: ' + ja);
  await page.click('dialog[open] button.btn-ghost');
  await page.selectOption('#lang-switch', 'en');
  await waitForText('a[data-page="archive"]', 'Archive');
  assert(!sinkRecords().some((m) => m.rcpt_tos.includes('customer3@partner.example')), 'one person\'s two approvals did not release it');
});

await test('approvals on a phone: cards and tables fit the screen', async () => {
  if (!approvalsLive) { console.log('     (skipped: approvals not wired)'); return; }
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(URL_BASE + '/#/approvals');
  await phone.waitForSelector('#approval-log tbody tr, #approval-log-days');
  await phone.waitForSelector('#approval-history');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, 'horizontal overflow ' + overflow + 'px');
  await phone.screenshot({ path: path.join(ARTIFACTS, '08d-phone-approvals.png'), fullPage: true });
  await phone.close();
});

await test('log viewer shows the admin login lines of the system log', async () => {
  await page.goto(URL_BASE + '/#/logs');
  await page.waitForSelector('#log-view');
  await page.fill('#log-filter', 'login');
  await page.click('#log-show');
  await waitForText('#log-view', 'admin: user=');
  await shot('09-logs');
});

await test('config page is read-only and shows the listener', async () => {
  await page.goto(URL_BASE + '/#/config');
  await page.waitForSelector('#config-json', { state: 'attached' });
  assert((await page.textContent('.alert-info')).includes('read-only'), 'read-only notice');
  assert((await page.textContent('#config-json')).includes('"submission"'), 'listener in JSON');
  // Reload stays disabled until Validate finds the file on disk valid (it is not clicked: it restarts the daemon).
  assert(await page.isDisabled('#config-reload'), 'reload disabled before validating');
  await page.click('#config-validate');
  await page.waitForSelector('#config-reload:not([disabled])');
  const verdict = await page.textContent('#config-check-status');
  assert(verdict.includes('is valid') && !verdict.includes('null'), 'valid notice: ' + verdict);
  await shot('10-config');
});

await test('phone layout: bottom navigation, no horizontal scrolling', async () => {
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(URL_BASE + '/#/archive');
  await phone.waitForSelector('#search-results tbody tr');
  const box = await phone.$eval('nav.nav', (n) => n.getBoundingClientRect().toJSON());
  assert(box.bottom >= 840 && box.top > 700, 'nav at the bottom: ' + JSON.stringify(box));
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, 'horizontal overflow ' + overflow + 'px');
  await phone.screenshot({ path: path.join(ARTIFACTS, '11-phone-archive.png') });
  await phone.goto(URL_BASE + '/#/dashboard');
  await phone.waitForSelector('svg.chart');
  await phone.screenshot({ path: path.join(ARTIFACTS, '12-phone-dashboard.png') });
  await phone.close();
});

await test('logout returns to the login page; the API then answers 401', async () => {
  await page.goto(URL_BASE + '/#/dashboard');
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  const r = await page.request.get(URL_BASE + '/api/status');
  assert(r.status() === 401, 'status after logout: ' + r.status());
});

await test('no CSP violations or script errors on any page', async () => {
  const bad = consoleErrors.filter((e) => !/401|Unauthorized|Failed to load resource/.test(e));
  assert(bad.length === 0, bad.join(' | '));
});

await context.close();
bait.close();
fs.rmSync(userDataDir, { recursive: true, force: true });
const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
