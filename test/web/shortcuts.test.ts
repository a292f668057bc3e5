/// <reference lib="dom" />
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { buildEmployee, buildProject, localDate } from '../helpers/factories.js';
import { pageAs } from './browser-session.js';

test('Chromium: keyboard shortcuts — ? opens the help dialog (focus inside, Escape closes, focus returns), t starts and stops the timer, never while typing; n, [ and ] move through days', async (t) => {
  const a = await startTestApp(t);
  await buildProject(a);
  const emp = await buildEmployee(a);
  const browser = await launchBrowser(t);
  const { page, errors } = await pageAs(browser, a.url, emp);
  const day = localDate(2);
  await page.goto(`${a.url}/timesheets/day/${day}?lang=en`);
  await page.waitForSelector('#timer-start');

  await page.focus('#main');
  await page.keyboard.press('?');
  t.true(await page.locator('#shortcuts').isVisible());
  t.true(await page.evaluate(() => document.getElementById('shortcuts')!.contains(document.activeElement)), 'focus is inside the dialog');
  t.regex((await page.textContent('#shortcuts')) ?? '', /Start or stop the timer/);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  t.true(await page.evaluate(() => document.getElementById('shortcuts')!.contains(document.activeElement)), 'Tab stays inside the modal dialog');
  await page.keyboard.press('Escape');
  t.false(await page.locator('#shortcuts').isVisible());
  t.is(await page.evaluate(() => document.activeElement?.id), 'main', 'focus returns where it was');

  // Typing a "t" in a field types it; it does not start the timer.
  await page.focus('#timer-note');
  await page.keyboard.type('tt');
  t.is(await page.inputValue('#timer-note'), 'tt');
  t.false((await emp.client.json<{ running: boolean }>('GET', '/api/v1/me/timer')).body.running);
  await page.focus('#main');
  await page.keyboard.press('t');
  await page.waitForSelector('#timer-stop');
  t.true((await emp.client.json<{ running: boolean }>('GET', '/api/v1/me/timer')).body.running);
  await page.focus('#main');
  await page.keyboard.press('t');
  await page.waitForSelector('#timer-start');
  t.false((await emp.client.json<{ running: boolean }>('GET', '/api/v1/me/timer')).body.running);

  // n: the new-entry form of this day; ] and [: the next and previous day.
  await page.focus('#main');
  await page.keyboard.press('n');
  t.true(await page.evaluate(() => document.getElementById('add-entry')?.contains(document.activeElement) ?? false));
  await page.focus('#main');
  await Promise.all([page.waitForURL(`**/timesheets/day/${localDate(1)}`), page.keyboard.press(']')]);
  await page.focus('#main');
  await Promise.all([page.waitForURL(`**/timesheets/day/${day}`), page.keyboard.press('[')]);
  t.deepEqual(errors, []);
});

test('Chromium: after a save without JavaScript widgets, focus returns where the action was (the fragment the redirect names)', async (t) => {
  const a = await startTestApp(t);
  const { projectId } = await buildProject(a);
  const emp = await buildEmployee(a);
  t.is((await emp.client.json('POST', '/api/v1/me/timer/start', { project_id: projectId, note: 'x' })).status, 201);
  const browser = await launchBrowser(t);
  const { page, errors } = await pageAs(browser, a.url, emp);
  await page.goto(`${a.url}/timesheets/timer?lang=en`);
  await page.fill('#timer-change input[name=note]', 'changed');
  await Promise.all([page.waitForNavigation(), page.click('#timer-change button[type=submit]:not([formaction])')]);
  t.regex(page.url(), /#timer-change$/);
  await page.waitForFunction(() => document.getElementById('timer-change')?.contains(document.activeElement) ?? false, undefined, { timeout: 3000 });
  t.is(await page.evaluate(() => document.activeElement?.tagName), 'SELECT', 'focus is back on the first field of the form that was saved');
  t.is((await emp.client.json<{ note: string }>('GET', '/api/v1/me/timer')).body.note, 'changed');
  t.deepEqual(errors, []);
});
