/// <reference lib="dom" />
import test from 'ava';
import { launchBrowser } from '../helpers/browser.js';
import { startTestApp } from '../helpers/app.js';
import { buildEmployee, localDate } from '../helpers/factories.js';
import { cellId, mondayOf } from '../../src/timesheets/page-kit.js';
import { addDays } from '../../src/timesheets/tz.js';
import { pageAs } from '../web/browser-session.js';

/**
 * Focus after saves (issue 16): a save on the day page or the week grid posts a form
 * and comes back; the address then names the row or cell just saved, the notice links
 * to it, and (with script) the focus is on it, so the person does not start again at
 * the top of the page. At 390 px the day's times and totals never break inside.
 */
test('Chromium: after saving on the day page and the week grid, the URL fragment and the focus are the saved row or cell', async (t) => {
  const a = await startTestApp(t);
  const [p] = (await a.db.knex('projects').insert({ name: 'Roosterplanning' }).returning('id')) as Array<{ id: string }>;
  const projectId = p!.id;
  const emp = await buildEmployee(a);
  const browser = await launchBrowser(t);
  const { page, errors } = await pageAs(browser, a.url, emp, { width: 390, height: 700 });
  const date = localDate(1);
  type Day = { entries: Array<{ id: string }> };

  // Add an entry: back on the day with its row as the fragment, focused, and the notice linking to it.
  await page.goto(`${a.url}/timesheets/day/${date}?lang=nl`);
  await page.selectOption('#add-entry select[name=project]', projectId);
  await page.fill('#add-entry input[name=start]', '9:00');
  await page.fill('#add-entry input[name=end]', '10:30');
  await Promise.all([page.waitForNavigation(), page.click('#add-entry button[type=submit]')]);
  const id = (await emp.client.json<Day>('GET', `/api/v1/me/days/${date}`)).body.entries[0]!.id;
  t.is(new URL(page.url()).hash, `#entry-${id}`);
  t.is(await page.evaluate(() => document.activeElement?.id), `entry-${id}`, 'the saved row has the focus');
  t.is(await page.getAttribute('p.ok[role=status] a', 'href'), `#entry-${id}`, 'the notice links to the saved row');
  // At 390 px a time and a total stay on one line ("10:3|0" would read as two numbers) and the day fits the screen.
  const lines = await page.evaluate(() => Array.from(document.querySelectorAll('#entries tbody td:nth-child(-n+2), #entries tbody td:nth-child(5), #day-total')).map((td) => {
    const r = document.createRange();
    r.selectNodeContents(td);
    return new Set(Array.from(r.getClientRects()).map((x) => Math.round(x.top))).size;
  }));
  t.deepEqual(lines, [1, 1, 1, 1]);
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= 390));
  // The "overnight" tick box is on the line of its words, not alone above them.
  t.true(await page.evaluate(() => {
    const label = document.querySelector('#add-entry label.check')!;
    const box = label.querySelector('input')!.getBoundingClientRect();
    const r = document.createRange();
    r.selectNodeContents(label.lastChild!);
    const words = r.getClientRects()[0]!;
    return box.bottom > words.top && box.top < words.bottom;
  }));

  // Edit it in place: the same row again.
  await page.click(`#entry-${id} details.edit summary`);
  await page.fill(`#edit-${id} input[name=end]`, '11:00');
  await Promise.all([page.waitForNavigation(), page.click(`#edit-${id} button[type=submit]`)]);
  t.is(new URL(page.url()).hash, `#entry-${id}`);
  t.is(await page.evaluate(() => document.activeElement?.id), `entry-${id}`);

  // A problem is not a save: the page answers in place (422), no fragment, the alert is shown.
  await page.fill('#add-entry input[name=start]', '25:00');
  await Promise.all([page.waitForNavigation(), page.click('#add-entry button[type=submit]')]);
  t.is(new URL(page.url()).hash, '');
  t.true(await page.isVisible('p.error[role=alert]'));

  // The week grid without script: the whole form posts; back at the saved cell.
  const monday = mondayOf(date);
  // Two days side by side in the week that hold no timed entry (the day above has one, and a
  // timed cell is a link, not a field), whichever weekday the test runs on.
  const day = [0, 1, 2, 3, 4, 5].map((i) => addDays(monday, i)).find((d) => d !== date && addDays(d, 1) !== date)!;
  const cell = cellId(`${projectId}/`, day);
  const noScript = await (await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 700 } })).newPage();
  await noScript.context().addCookies(await page.context().cookies());
  await noScript.goto(`${a.url}/timesheets?week=${monday}&lang=nl`);
  await noScript.fill(`input[name="c:${projectId}/@${day}"]`, '2,5');
  await Promise.all([noScript.waitForNavigation(), noScript.click('#week-grid button[type=submit]')]);
  t.is(new URL(noScript.url()).hash, `#${cell}`);
  t.is(await noScript.getAttribute('p.ok[role=status] a', 'href'), `#${cell}`);
  t.is(await noScript.inputValue(`#${cell}`), '2:30');

  // With script, the same page comes back with the focus in that cell.
  await page.goto(`${a.url}${new URL(noScript.url()).pathname}${new URL(noScript.url()).search}#${cell}`);
  t.is(await page.evaluate(() => document.activeElement?.id), cell);
  // And a cell saved in place (Enter) keeps the focus where the person typed.
  const next = cellId(`${projectId}/`, addDays(day, 1));
  await page.fill(`#${next}`, '1');
  await page.focus(`#${next}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /Opgeslagen/.test(document.getElementById('grid-status')?.textContent ?? ''));
  t.is(await page.evaluate(() => document.activeElement?.id), next);
  // The one console error is the refused post above (422), which the browser reports.
  t.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
  t.is(errors.length, 1);
});
