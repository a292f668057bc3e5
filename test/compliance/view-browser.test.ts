/// <reference lib="dom" />
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { buildAuditor, unusedTotp } from '../helpers/factories.js';

test('Chromium: the auditor goes from /audit to the log, filters with the form and pages on by seq; no console error (CSP)', async (t) => {
  const a = await startTestApp(t);
  const auditor = await buildAuditor(a);
  await a.db.knex.transaction((trx) => a.app.services.audit.recordMany(trx, Array.from({ length: 30 }, (_, i) => ({ action: 'auth.login.failed', actorId: 'acct-walker', payload: { i } }))));
  await a.app.services.audit.flush();
  const browser = await launchBrowser(t);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  // Signs in through the pages (the TOTP step takes a code the factory has not used).
  await page.goto(`${a.url}/sign-in?lang=en`);
  await page.keyboard.type(auditor.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(auditor.password!);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await page.fill('input[name=code]', await unusedTotp(a, auditor.username, auditor.totpSecret!));
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);

  await page.goto(`${a.url}/audit?lang=en`);
  t.is(await page.textContent('h1'), 'Auditor’s view');
  await Promise.all([page.waitForNavigation(), page.click('#auditor-views a[href="/audit/log"]')]);
  await page.fill('#actor', 'acct-walker');
  await Promise.all([page.waitForNavigation(), page.click('#log-filter button[type=submit]')]);
  t.true(page.url().includes('actor=acct-walker'));
  const first = await page.$$eval('#events tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
  t.is(first.length, 30, 'all 30 events of that actor fit the default page');
  t.is(await page.$('#next-page'), null, 'no next page');

  await page.goto(`${a.url}/audit/log?actor=acct-walker&limit=20`);
  const one = await page.$$eval('#events tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
  await Promise.all([page.waitForNavigation(), page.click('#next-page')]);
  const two = await page.$$eval('#events tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
  t.deepEqual([...one, ...two], first, 'the two pages are the one list, in order, without repeats');
  t.is(await page.inputValue('#actor'), 'acct-walker', 'the filter stays in the form');

  for (const path of ['/audit/verification', '/audit/access-review', '/audit/retention', '/audit/configuration']) {
    const res = await page.goto(`${a.url}${path}`);
    t.is(res?.status(), 200, path);
  }
  t.deepEqual(errors, []);
});
