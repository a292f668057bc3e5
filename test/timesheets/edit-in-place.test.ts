/// <reference lib="dom" />
import test from 'ava';
import type { ApiClient } from '../helpers/client.js';
import { launchBrowser } from '../helpers/browser.js';
import { unusedTotp, GOOD_PASSWORD } from '../helpers/factories.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

/**
 * Entries are edited in place on the day page (issue 16): each row has its own form
 * (no script needed), held to the same rules as adding one, keeping what was typed
 * after a problem; a submitted day has no edit forms.
 */

type Day = { state: string; total_minutes: number; entries: Array<{ id: string; minutes: number; note: string; start: string | null; date: string | null; task_id: string | null }> };

async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

test('form posts: an entry is changed in place (times, project and task, note; to a duration and back); a bad change keeps what was typed and changes nothing', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(2);
  const e = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '12:00'), project_id: projectId, note: 'rounds' });
  const page = await (await emp.c.call('GET', `/timesheets/day/${date}?lang=en`)).text();
  t.regex(page, new RegExp(`id="edit-${e.body.id}"`));
  t.regex(page, new RegExp(`<form[^>]*id="edit-${e.body.id}"[\\s\\S]*?value="${projectId}" selected[\\s\\S]*?name="start"[^>]*value="08:00"[\\s\\S]*?name="note" value="rounds"`), 'the edit form shows the entry as stored');

  const base = { date, base: date, project: `${projectId}/${taskId}`, start: '8:30', end: '1245', note: 'rounds and handover' };
  t.is((await postForm(emp.c, `/timesheets/entries/${e.body.id}/edit`, base)).status, 302);
  let day = (await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body;
  t.like(day.entries[0], { id: e.body.id, minutes: 255, note: 'rounds and handover', task_id: taskId });
  t.is(day.entries.length, 1, 'changed, not added');

  const bad = await postForm(emp.c, `/timesheets/entries/${e.body.id}/edit?lang=en`, { ...base, start: '17:00', end: '09:00', note: 'typed, not saved' });
  t.is(bad.status, 422);
  t.regex(bad.text, /end: the end is at or before the start/);
  t.regex(bad.text, new RegExp(`<details class="edit" open><summary>Edit</summary>\\s*<form[^>]*id="edit-${e.body.id}"[\\s\\S]*?name="start"[^>]*value="17:00"[\\s\\S]*?name="note" value="typed, not saved"`), 'that row’s form is open with what was typed');
  day = (await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body;
  t.is(day.entries[0]!.note, 'rounds and handover', 'nothing changed');

  const long = await postForm(emp.c, `/timesheets/entries/${e.body.id}/edit?lang=en`, { ...base, start: '6', end: '20' });
  t.is(long.status, 422, 'the same limits as adding');
  t.regex(long.text, /name="confirm_long"/);
  t.is((await postForm(emp.c, `/timesheets/entries/${e.body.id}/edit`, { ...base, start: '6', end: '20', confirm_long: 'yes' })).status, 302);

  t.is((await postForm(emp.c, `/timesheets/entries/${e.body.id}/edit`, { ...base, start: '', end: '', duration: '2,5' })).status, 302);
  day = (await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body;
  t.like(day.entries[0], { start: null, date, minutes: 150 });
  t.is((await postForm(emp.c, `/timesheets/entries/${e.body.id}/edit`, { ...base, duration: '' })).status, 302);
  day = (await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body;
  t.like(day.entries[0], { date: null, minutes: 255 });

  // Someone else's entry: 404, nothing changed.
  const other = await person(a);
  t.is((await postForm(other.c, `/timesheets/entries/${e.body.id}/edit`, base)).status, 404);
  // A submitted day has no edit forms, and a forged post is refused.
  t.is((await emp.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  t.notRegex(await (await emp.c.call('GET', `/timesheets/day/${date}`)).text(), /id="edit-/);
  t.is((await postForm(emp.c, `/timesheets/entries/${e.body.id}/edit`, { ...base, note: 'late' })).status, 409);
});

test('Chromium: an entry is edited in place on the day page, keyboard and mouse, and the total follows', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(1);
  const e = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '09:00'), end: at(date, '12:00'), project_id: projectId, note: 'morning rounds' });
  t.is(e.status, 201);
  const browser = await launchBrowser(t);
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${a.url}/sign-in?lang=en`);
  await page.fill('input[name=username]', emp.username);
  await page.fill('input[name=password]', GOOD_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  if (emp.secret) {
    await page.fill('input[name=code]', await unusedTotp(a, emp.username, emp.secret));
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  }
  await page.goto(`${a.url}/timesheets/day/${date}`);
  t.is((await page.textContent('#day-total'))?.trim(), '3:00');
  const form = page.locator(`#edit-${e.body.id}`);
  t.false(await form.isVisible(), 'the edit form is folded away until asked for');
  await page.locator('#entries details.edit summary').first().click();
  t.true(await form.isVisible());
  await form.locator('input[name=end]').fill('1230');
  await form.locator('input[name=note]').fill('rounds, then handover');
  await Promise.all([page.waitForNavigation(), form.locator('input[name=note]').press('Enter')]);
  t.is((await page.textContent('#day-total'))?.trim(), '3:30');
  t.regex((await page.textContent('#entries')) ?? '', /rounds, then handover/);
  t.is(await page.locator('#entries tbody tr').count(), 1);
  // A mistake keeps the form open with what was typed.
  await page.locator('#entries details.edit summary').first().click();
  await form.locator('input[name=start]').fill('17:00');
  await form.locator('input[name=end]').fill('9:00');
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
  t.regex((await page.textContent('[role=alert]')) ?? '', /end: the end is at or before the start/);
  t.true(await form.isVisible());
  t.is(await form.locator('input[name=start]').inputValue(), '17:00');
  t.is((await page.textContent('#day-total'))?.trim(), '3:30', 'nothing changed');
  // The 422 page itself is the one error the browser reports.
  t.deepEqual(errors.filter((m) => !/status of 422/.test(m)), []);
});
