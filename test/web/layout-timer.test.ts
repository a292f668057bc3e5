/// <reference lib="dom" />
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { buildEmployee, buildProject, localDate } from '../helpers/factories.js';
import { pageAs } from './browser-session.js';

test('Chromium: the timer widget is on every page — start on one page, it keeps counting on another, change the note while it runs, switch, stop shows the entry', async (t) => {
  const a = await startTestApp(t);
  const { projectId } = await buildProject(a, { name: 'Ward rota' });
  const emp = await buildEmployee(a);
  const browser = await launchBrowser(t);
  const { page, errors } = await pageAs(browser, a.url, emp);

  await page.goto(`${a.url}/account?lang=en`);
  await page.waitForSelector('#timer-start');
  t.is((await page.textContent('#timer-count'))?.trim(), 'No timer running');
  await page.selectOption('#timer-project', projectId);
  await page.fill('#timer-note', 'rounds');
  await page.click('#timer-start');
  await page.waitForSelector('#timer-stop');
  t.is(await page.evaluate(() => document.activeElement?.id), 'timer-stop', 'focus stays on the widget after starting');

  // Another page: the widget shows the running timer and its note, and counts.
  await page.goto(`${a.url}/timesheets?lang=en`);
  await page.waitForSelector('#timer-stop');
  t.is(await page.inputValue('#timer-note'), 'rounds');
  const first = await page.textContent('#timer-count');
  await page.waitForFunction((before) => document.getElementById('timer-count')?.textContent !== before, first, { timeout: 3000 });
  t.regex((await page.textContent('#timer-count')) ?? '', /^0:00:0\d$/);

  // Change the note while it runs (PATCH): stored, the start kept.
  const before = (await emp.client.json<{ started_at: string }>('GET', '/api/v1/me/timer')).body;
  await page.fill('#timer-note', 'rounds and handover');
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/me/timer') && r.request().method() === 'PATCH'), page.click('#timer-save')]);
  await page.waitForFunction(() => document.activeElement?.id === 'timer-save');
  const after = (await emp.client.json<{ started_at: string; note: string }>('GET', '/api/v1/me/timer')).body;
  t.is(after.note, 'rounds and handover');
  t.is(after.started_at, before.started_at);

  // Switch in one action: the first entry is written, a new timer runs.
  await page.fill('#timer-note', 'paperwork');
  await page.click('#timer-switch');
  await page.waitForSelector('#timer-last a');
  t.is((await emp.client.json<{ note: string }>('GET', '/api/v1/me/timer')).body.note, 'paperwork');

  // Stop: the widget links to the day of the entry it made.
  await page.click('#timer-stop');
  await page.waitForSelector('#timer-start');
  const href = await page.getAttribute('#timer-last a', 'href');
  t.is(href, `/timesheets/day/${localDate(0, 'UTC')}#entries`, 'the day the entry was made (the browser runs in UTC)');
  await page.click('#timer-last a');
  await page.waitForURL(/\/timesheets\/day\//);
  t.regex((await page.textContent('h1')) ?? '', new RegExp(href!.slice(16, 26)), 'the link opens the day of the entry');
  t.deepEqual(errors, []);
});

test('without JavaScript the widget is a link to the timer page, which starts, changes and stops the timer; stopping lands on the entry’s day', async (t) => {
  const a = await startTestApp(t);
  const { projectId } = await buildProject(a);
  const emp = await buildEmployee(a);
  const page = await (await emp.client.call('GET', '/timesheets')).text();
  t.regex(page, /<a href="\/timesheets\/timer" id="timer-link">/);
  const form = (fields: Record<string, string>) => new URLSearchParams({ _csrf: emp.client.csrf ?? '', ...fields }).toString();
  const fetchForm = (path: string, fields: Record<string, string>) =>
    fetch(a.url + path, { method: 'POST', redirect: 'manual', body: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...emp.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  const started = await fetchForm('/timesheets/timer/start', { project: projectId, note: 'first' });
  t.is(started.status, 302);
  t.regex((await (await emp.client.call('GET', '/timesheets/timer?lang=en')).text()), /Running since/);
  const changed = await fetchForm('/timesheets/timer/change', { project: projectId, note: 'second' });
  t.is(changed.status, 302);
  t.is((await emp.client.json<{ note: string }>('GET', '/api/v1/me/timer')).body.note, 'second');
  const stopped = await fetchForm('/timesheets/timer/stop', {});
  t.is(stopped.status, 302);
  t.regex(stopped.headers.get('location') ?? '', /^\/timesheets\/day\/\d{4}-\d{2}-\d{2}\?ok=ts\.saved#entries$/);
  t.false((await emp.client.json<{ running: boolean }>('GET', '/api/v1/me/timer')).body.running);
});
