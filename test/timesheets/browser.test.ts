/// <reference lib="dom" />
import test from 'ava';
import type { Page } from 'playwright-core';
import { launchBrowser, signInWithKeyboard } from '../helpers/browser.js';
import { GOOD_PASSWORD } from '../helpers/factories.js';
import { daysAgo, person, timesheetApp, type Person } from './helpers.js';

/** Signs a person in through the pages, keyboard only (see signInWithKeyboard). */
function signInPage(page: Page, url: string, p: Person): Promise<void> {
  return signInWithKeyboard(page, url, { username: p.username, password: GOOD_PASSWORD, totpSecret: p.secret });
}

test('Chromium: an employee records two entries and submits; the admin approves from the inbox; another team’s admin sees nothing; the employee sees the read', async (t) => {
  const { a } = await timesheetApp(t);
  const emp = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const stranger = await person(a, { adminOf: 'team-b' });
  await a.db.knex('accounts').where({ id: admin.id }).update({ display_name: 'Admin Anna' });
  const browser = await launchBrowser(t);
  const errors: string[] = [];
  const date = daysAgo(1);

  // The employee, keyboard only.
  const empCtx = await browser.newContext();
  const page = await empCtx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await signInPage(page, a.url, emp);
  await page.goto(`${a.url}/timesheets`);
  t.regex((await page.textContent('h1')) ?? '', /My week/);
  await page.goto(`${a.url}/timesheets/day/${date}`);
  for (const [start, end, note] of [['09:00', '12:00', 'morning rounds'], ['13:00', '15:30', 'handover']] as const) {
    await page.focus('#add-entry select[name=project]');
    await page.keyboard.press('Tab');
    await page.keyboard.type(start);
    await page.keyboard.press('Tab');
    await page.keyboard.type(end);
    await page.keyboard.press('Tab');
    await page.keyboard.type(note);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  }
  t.is(await page.locator('#entries tbody tr').count(), 2);
  t.is((await page.textContent('#day-total'))?.trim(), '5:30');
  await page.focus('#submit-day');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  // Submitting asks once: the day and its total, then one button.
  t.regex((await page.textContent('#submit-question')) ?? '', /5:30/);
  await page.focus('#confirm-submit');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  t.is((await page.textContent('#day-state'))?.trim(), 'Submitted');

  // The week grid: 1:30 on the day before, in one go; a bad cell is refused whole.
  const earlier = daysAgo(2);
  await page.goto(`${a.url}/timesheets?week=${earlier}`);
  await page.fill(`#h-${earlier}`, 'lots');
  await page.click('#week-grid button');
  t.regex((await page.textContent('.error')) ?? '', new RegExp(earlier));
  // Chromium logs the deliberate 422 as a console error; nothing else may appear there.
  const expected = errors.findIndex((e) => /status of 422/.test(e));
  t.not(expected, -1);
  errors.splice(expected, 1);
  await page.fill(`#h-${earlier}`, '1:30');
  await Promise.all([page.waitForNavigation(), page.click('#week-grid button')]);
  await page.goto(`${a.url}/timesheets/day/${earlier}`);
  t.is((await page.textContent('#day-total'))?.trim(), '1:30');

  // The other team's admin: an empty inbox, and the day's page is a 404.
  const sp = await (await browser.newContext()).newPage();
  await signInPage(sp, a.url, stranger);
  await sp.goto(`${a.url}/timesheets/inbox?lang=en`);
  t.true(await sp.locator('#inbox-empty').isVisible());
  const dayId = (await a.db.knex('timesheet_days').where({ owner_id: emp.id, date }).first('id')).id as string;
  const probe = await sp.goto(`${a.url}/timesheets/days/${dayId}`);
  t.is(probe!.status(), 404);

  // The admin in scope approves from the inbox.
  const ap = await (await browser.newContext()).newPage();
  await signInPage(ap, a.url, admin);
  await ap.goto(`${a.url}/timesheets/inbox?lang=en`);
  t.is(await ap.locator('#inbox tbody tr').count(), 1);
  await Promise.all([ap.waitForNavigation(), ap.click('#inbox a')]);
  t.regex((await ap.textContent('#entries')) ?? '', /morning rounds/);
  await ap.focus('#approve');
  await Promise.all([ap.waitForNavigation(), ap.keyboard.press('Enter')]);
  t.true(await ap.locator('#inbox-empty').isVisible());
  t.is((await a.db.knex('timesheet_days').where({ id: dayId }).first('state')).state, 'approved');

  // The employee sees who read the day.
  await page.goto(`${a.url}/timesheets/data-reads`);
  const reads = (await page.textContent('#reads')) ?? '';
  t.regex(reads, /Admin Anna/);
  t.notRegex(reads, new RegExp(stranger.username));
  t.deepEqual(errors, []);
});

test('Chromium: an operator adds a project with a task and archives another on the master-data page; an employee can pick the new one (with its task) and no longer the archived one', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const op = await person(a, { roles: ['operator'] });
  const emp = await person(a);
  const browser = await launchBrowser(t);
  const errors: string[] = [];
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await signInPage(page, a.url, op);
  await page.goto(`${a.url}/timesheets/projects?lang=en`);
  await page.focus('#add-project input[name=name]');
  await page.keyboard.type('Night shifts');
  await page.keyboard.press('Tab'); // customer: internal
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space'); // billable
  await page.keyboard.press('Tab');
  await page.keyboard.type('40');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const row = page.locator('#projects tr', { hasText: 'Night shifts' });
  t.regex((await row.textContent()) ?? '', /yes.*40/s);
  await row.locator('input[name=name]').fill('Cover');
  await Promise.all([page.waitForNavigation(), row.locator('input[name=name]').press('Enter')]);
  t.regex((await page.locator('#projects tr', { hasText: 'Night shifts' }).textContent()) ?? '', /Cover/);
  await Promise.all([page.waitForNavigation(), page.locator('#projects tr', { hasText: 'Ward rota' }).getByRole('button', { name: 'Archive' }).click()]);
  t.regex((await page.locator('#projects tr', { hasText: 'Ward rota' }).textContent()) ?? '', /archived/);

  const ep = await (await browser.newContext()).newPage();
  await signInPage(ep, a.url, emp);
  await ep.goto(`${a.url}/timesheets/day/${daysAgo(1)}?lang=en`);
  const options = await ep.locator('#add-entry select[name=project] option').allTextContents();
  t.true(options.some((o) => o.includes('Night shifts › Cover')));
  t.false(options.some((o) => o.includes('Ward rota')));
  t.is((await a.db.knex('projects').where({ id: projectId }).first('archived_at')).archived_at === null, false);
  // Employees see the list, not the forms.
  await ep.goto(`${a.url}/timesheets/projects`);
  t.is(await ep.locator('#add-project').count(), 0);
  t.deepEqual(errors, []);
});
