/// <reference lib="dom" />
import test from 'ava';
import { launchBrowser, signInWithKeyboard } from '../helpers/browser.js';
import { GOOD_PASSWORD } from '../helpers/factories.js';
import { mondayOf } from '../../src/timesheets/page-kit.js';
import { addDays } from '../../src/timesheets/tz.js';
import { person, timesheetApp } from './helpers.js';

type Day = { total_minutes: number; totals: Array<{ task_id: string | null; minutes: number }> };

test('Chromium: a cell saves in place on leaving it and the totals follow; a bad value is marked and named; the picker is a combobox used by keyboard; the week fits 390 px', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  await a.db.knex('projects').insert({ name: 'Zebra crossing', code: 'ZX' });
  const emp = await person(a);
  const monday = mondayOf(addDays(mondayOf(new Date().toISOString().slice(0, 10)), -7));
  const d1 = addDays(monday, 1);
  const d2 = addDays(monday, 2);
  t.is((await emp.c.json('PUT', '/api/v1/me/week-cells', { date: monday, project_id: projectId, task_id: null, minutes: 60 })).status, 200);

  const browser = await launchBrowser(t);
  const ctx = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await signInWithKeyboard(page, a.url, { username: emp.username, password: GOOD_PASSWORD });
  await page.goto(`${a.url}/timesheets?week=${monday}&lang=en`);
  // The week's own content (main) fits; the grid scrolls inside its own box. (The shared header is another part's.)
  const wide = await page.evaluate(() => Array.from(document.querySelectorAll('main *')).filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.grid-scroll')).map((el) => `${el.tagName}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`));
  t.deepEqual(wide, [], 'nothing in main wider than 390 px');
  t.true(await page.evaluate(() => document.querySelector('.grid-scroll')!.getBoundingClientRect().right <= window.innerWidth));

  // In place: type into Tuesday's cell, leave it with Tab; the row, day and week totals follow.
  const key = `${projectId}/`;
  await page.focus(`input[name="c:${key}@${d1}"]`);
  await page.keyboard.type('2:30');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => /Saved/.test(document.getElementById('grid-status')?.textContent ?? ''));
  t.is((await page.textContent(`#total-${d1}`))?.trim(), '2:30');
  t.is((await page.textContent(`[data-row-total="${key}"]`))?.trim(), '3:30');
  t.is((await page.textContent('#week-total'))?.trim(), '3:30');
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${d1}`)).body.total_minutes, 150);
  // Focus moved on to the next cell, where Tab took it.
  t.is(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name), `c:${key}@${d2}`);

  // A bad value: marked invalid, the status names the cell, nothing saved.
  await page.keyboard.type('9x');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => /Not saved/.test(document.getElementById('grid-status')?.textContent ?? ''));
  t.is(await page.getAttribute(`input[name="c:${key}@${d2}"]`, 'aria-invalid'), 'true');
  t.regex((await page.textContent('#grid-status')) ?? '', /Ward rota, \w+ \d+ \w+/);
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${d2}`)).body.total_minutes, 0);
  const expected = errors.findIndex((e) => /status of 422/.test(e));
  t.not(expected, -1);
  errors.splice(expected, 1);

  // The picker: a combobox; typing searches, arrows move, Enter chooses.
  const combo = page.getByRole('combobox', { name: 'New row' });
  await combo.focus();
  t.is(await combo.getAttribute('aria-expanded'), 'false');
  await page.keyboard.type('plan');
  await page.waitForSelector('#week-grid [role="listbox"]:not([hidden]) [role="option"]');
  t.is(await combo.getAttribute('aria-expanded'), 'true');
  const options = await page.locator('#week-grid [role="option"]').allTextContents();
  t.deepEqual(options, ['Ward rota › Planning']);
  await page.keyboard.press('Enter');
  t.is(await page.inputValue('#new-project'), `${projectId}/${taskId}`);
  t.is(await combo.getAttribute('aria-expanded'), 'false');
  await combo.fill('');
  await page.keyboard.type('zx');
  await page.waitForFunction(() => document.querySelector('#week-grid [role="option"]')?.textContent === 'Zebra crossing [ZX]');
  await page.keyboard.press('Escape');
  t.is(await combo.getAttribute('aria-expanded'), 'false');
  t.is(await page.inputValue('#new-project'), `${projectId}/${taskId}`, 'Escape keeps the choice');

  // The new row's hours go with the form post (the bad cell corrected first: a post is all or none).
  await page.fill(`input[name="c:${key}@${d2}"]`, '0:15');
  await page.fill(`#h-${d2}`, '1');
  await Promise.all([page.waitForNavigation(), page.click('#week-grid button[type=submit]')]);
  const day2 = (await emp.c.json<Day>('GET', `/api/v1/me/days/${d2}`)).body;
  t.deepEqual(day2.totals.map((x) => [x.task_id, x.minutes]).sort(), [[null, 15], [taskId, 60]].sort());
  t.deepEqual(errors, []);
});
