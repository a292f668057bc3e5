import test from 'ava';
import { mondayOf } from '../../src/timesheets/page-kit.js';
import { addDays } from '../../src/timesheets/tz.js';
import { inWall, walled } from '../../src/timesheets/repository.js';
import { draftsHandler } from '../../src/timesheets/retention.js';
import type { ApiClient } from '../helpers/client.js';
import { NO_HOLDS, timesheetDeps } from '../retention/forget-helpers.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

type Err = { error: { code: string; details?: Array<{ field: string; message: string }> } };
type Day = { state: string; total_minutes: number; entries: Array<{ id: string; note: string; minutes: number; start: string | null; project_id: string; task_id: string | null }> };
type Cell = { date: string; minutes: number; day_total_minutes: number };

/** A form post as a browser sends it (urlencoded, with the page's CSRF token). */
async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

const page = async (c: ApiClient, path: string) => (await c.call('GET', path)).text();

test('a cell set in place through the API: 401, 422 naming hours, replaces duration entries (notes kept), clears, refuses start–end cells and locked days', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const anon = await fetch(`${a.url}/api/v1/me/week-cells`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.is(anon.status, 401);
  const emp = await person(a);
  const date = daysAgo(3);
  const cell = (body: Record<string, unknown>) => emp.c.json<Cell & Err>('PUT', '/api/v1/me/week-cells', { date, project_id: projectId, task_id: taskId, ...body });

  const bad = await cell({ hours: 'lots' });
  t.is(bad.status, 422);
  t.is(bad.body.error.details?.[0]?.field, 'hours');
  t.is((await cell({ hours: '1:30', minutes: 90 })).status, 422);

  const first = await cell({ hours: '1:30' });
  t.is(first.status, 200, JSON.stringify(first.body));
  t.is(first.body.minutes, 90);
  t.is(first.body.day_total_minutes, 90);
  const day1 = await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.is(day1.body.entries.length, 1);

  // Two duration entries with notes in one cell: one remains, with the new minutes and both notes.
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date, duration_minutes: 30, project_id: projectId, task_id: taskId, note: 'handover' })).status, 201);
  const merged = await cell({ hours: '2,5' });
  t.is(merged.body.minutes, 150);
  const day2 = await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.is(day2.body.entries.length, 1);
  t.is(day2.body.entries[0]!.minutes, 150);
  t.is(day2.body.entries[0]!.note, 'handover');
  t.is(day2.body.total_minutes, 150);

  // Another row on the same day adds to the day total; a cleared cell removes its entries.
  const other = await emp.c.json<Cell>('PUT', '/api/v1/me/week-cells', { date, project_id: projectId, task_id: null, minutes: 60 });
  t.is(other.body.day_total_minutes, 210);
  const cleared = await cell({ hours: '' });
  t.is(cleared.body.minutes, 0);
  t.is(cleared.body.day_total_minutes, 60);

  // A cell holding a start–end entry is read-only here.
  const timedDate = daysAgo(4);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { start: at(timedDate, '09:00'), end: at(timedDate, '10:00'), project_id: projectId, task_id: taskId })).status, 201);
  const timed = await emp.c.json<Err>('PUT', '/api/v1/me/week-cells', { date: timedDate, project_id: projectId, task_id: taskId, hours: '3' });
  t.is(timed.status, 422);
  t.is(timed.body.error.details?.[0]?.field, 'hours');
  t.regex(timed.body.error.details?.[0]?.message ?? '', /day page/);
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${timedDate}`)).body.total_minutes, 60);

  // A submitted day is locked.
  t.is((await emp.c.json('POST', `/api/v1/me/days/${date}/submit`, {})).status, 200);
  const locked = await cell({ hours: '4' });
  t.is(locked.status, 409);
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body.total_minutes, 60);
});

test('the grid as a form: rows and totals per day, row and week; a bad cell refuses the whole post, names the cell and keeps what was typed; a locked day refuses', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a);
  const d1 = mondayOf(daysAgo(7)); // Monday and Tuesday of last week, whatever today is
  const d2 = addDays(d1, 1);
  const monday = mondayOf(d1);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: d1, duration_minutes: 60, project_id: projectId })).status, 201);
  const before = await page(emp.c, `/timesheets?week=${d1}&lang=en`);
  const key = `${projectId}/`;
  t.true(before.includes(`name="c:${key}@${d1}" value="1:00"`));
  t.regex(before, /<td id="week-total">1:00<\/td>/);

  // One bad cell: nothing saved, the cell named (row and day), the typed values still there.
  const refused = await postForm(emp.c, '/timesheets/week', { week: monday, [`c:${key}@${d1}`]: '2', [`c:${key}@${d2}`]: 'lots' });
  t.is(refused.status, 422);
  t.regex(refused.text, new RegExp(`Ward rota, \\w+ \\d+ \\w+ \\(${d2}\\): use hours`));
  t.true(refused.text.includes(`value="lots"`));
  t.true(refused.text.includes(`name="c:${key}@${d1}" value="2"`));
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${d1}`)).body.total_minutes, 60);

  // All good: both cells and a new row (project with task) in one post.
  const saved = await postForm(emp.c, '/timesheets/week', { week: monday, [`c:${key}@${d1}`]: '2', [`c:${key}@${d2}`]: '0:45', project: `${projectId}/${taskId}`, [`h_${d2}`]: '1.5' });
  t.is(saved.status, 302, saved.text.slice(0, 400));
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${d1}`)).body.total_minutes, 120);
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${d2}`)).body.total_minutes, 135);
  const after = await page(emp.c, `/timesheets?week=${d1}&lang=en`);
  t.regex(after, new RegExp(`<td id="total-${d2}" data-day-total="${d2}">2:15</td>`));
  t.regex(after, new RegExp(`data-row-total="${key}">2:45</td>`));
  t.regex(after, /<td id="week-total">4:15<\/td>/);
  t.true(after.includes(`name="c:${projectId}/${taskId}@${d2}" value="1:30"`));

  // A submitted day shows no input, and a crafted field for it is refused.
  t.is((await emp.c.json('POST', `/api/v1/me/days/${d1}/submit`, {})).status, 200);
  const lockedPage = await page(emp.c, `/timesheets?week=${d1}&lang=en`);
  t.false(lockedPage.includes(`name="c:${key}@${d1}"`));
  t.true(lockedPage.includes('cell-locked'));
  const crafted = await postForm(emp.c, '/timesheets/week', { week: monday, [`c:${key}@${d1}`]: '5' });
  t.is(crafted.status, 409);
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${d1}`)).body.total_minutes, 120);
});

test('copy last week fills only empty draft days and never overwrites; copy yesterday likewise', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a);
  const thisMonday = mondayOf(daysAgo(0));
  const lastMonday = addDays(thisMonday, -7);
  const put = (date: string, minutes: number, task: string | null) => emp.c.json('PUT', '/api/v1/me/week-cells', { date, project_id: projectId, task_id: task, minutes });
  await put(lastMonday, 120, null);
  await put(addDays(lastMonday, 1), 60, taskId);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { start: at(addDays(lastMonday, 2), '09:00'), end: at(addDays(lastMonday, 2), '09:45'), project_id: projectId, note: 'secret' })).status, 201);
  await put(addDays(thisMonday, 1), 30, null); // Tuesday of this week already holds time

  const r = await postForm(emp.c, '/timesheets/week/copy-last-week', { week: thisMonday });
  t.is(r.status, 302);
  t.is(r.location, `/timesheets?week=${thisMonday}&copied=2`);
  const day = async (d: string) => (await emp.c.json<Day>('GET', `/api/v1/me/days/${d}`)).body;
  t.is((await day(thisMonday)).total_minutes, 120);
  const tue = await day(addDays(thisMonday, 1));
  t.is(tue.total_minutes, 30);
  t.is(tue.entries.length, 1);
  const wed = await day(addDays(thisMonday, 2));
  t.is(wed.total_minutes, 45);
  t.is(wed.entries[0]!.start, null); // arrives as a duration
  t.is(wed.entries[0]!.note, ''); // notes stay behind

  // Again: every target now holds time, nothing is written.
  const again = await emp.c.json<{ entries: number }>('POST', `/api/v1/me/weeks/${thisMonday}/copy-previous`, {});
  t.is(again.status, 200);
  t.is(again.body.entries, 0);
  t.is((await day(thisMonday)).entries.length, 1);

  // Copy yesterday: into an empty day, then not again.
  const lastSun = addDays(lastMonday, 6);
  const sat = addDays(lastMonday, 5);
  await put(sat, 75, taskId);
  const y = await postForm(emp.c, `/timesheets/day/${lastSun}/copy-yesterday`, {});
  t.is(y.location, `/timesheets?week=${lastMonday}&copied=1`);
  t.is((await day(lastSun)).total_minutes, 75);
  const y2 = await postForm(emp.c, `/timesheets/day/${lastSun}/copy-yesterday`, {});
  t.is(y2.location, `/timesheets?week=${lastMonday}&copied=0`);
  t.is((await day(lastSun)).total_minutes, 75);
  t.regex(await page(emp.c, `/timesheets?week=${lastMonday}&copied=0&lang=en`), /Nothing copied/);
});

test('pins: a pinned row leads the grid; pins are private (row security) and go with unpinning', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a);
  const other = await person(a);
  const pinned = await emp.c.json<{ favourites: Array<{ task_id: string | null }> }>('PUT', '/api/v1/me/favourites', { project_id: projectId, task_id: taskId, pinned: true });
  t.is(pinned.status, 200);
  t.is(pinned.body.favourites.length, 1);
  t.is((await emp.c.json('PUT', '/api/v1/me/favourites', { project_id: projectId, task_id: taskId, pinned: true })).status, 200); // twice: no-op
  const bad = await emp.c.json<Err>('PUT', '/api/v1/me/favourites', { project_id: '00000000-0000-4000-8000-000000000000', pinned: true });
  t.is(bad.status, 422);
  t.is(bad.body.error.details?.[0]?.field, 'project_id');
  const html = await page(emp.c, '/timesheets?lang=en');
  t.true(html.includes(`<tr data-row="${projectId}/${taskId}"><th scope="row">Ward rota › Planning <span class="pin">(pinned)</span>`));

  // Row security: the other person's wall sees no pin of emp's, and cannot write one for emp.
  t.deepEqual((await other.c.json<{ favourites: unknown[] }>('GET', '/api/v1/me/favourites')).body.favourites, []);
  const seen = await inWall(a.db.knex, other.id, (w) => walled(w, (trx) => trx('timesheet_favourites').count('* as n').first()));
  t.is(Number((seen as { n: string }).n), 0);
  const own = await inWall(a.db.knex, emp.id, (w) => walled(w, (trx) => trx('timesheet_favourites').count('* as n').first()));
  t.is(Number((own as { n: string }).n), 1);
  await t.throwsAsync(inWall(a.db.knex, other.id, (w) => walled(w, (trx) => trx('timesheet_favourites').insert({ account_id: emp.id, project_id: projectId }))), { message: /row-level security/ });

  const unpin = await postForm(emp.c, '/timesheets/favourites', { week: daysAgo(0), project: `${projectId}/${taskId}`, pinned: 'false' });
  t.is(unpin.status, 302);
  t.deepEqual((await emp.c.json<{ favourites: unknown[] }>('GET', '/api/v1/me/favourites')).body.favourites, []);
});

test('long hours in the grid ask once, as on the day page: a cell over the entry limit, or a day grown over its limit, needs confirm_long (API and form)', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(5);
  const cell = (task: string | null, body: Record<string, unknown>) => emp.c.json<Err>('PUT', '/api/v1/me/week-cells', { date, project_id: projectId, task_id: task, ...body });
  const long = await cell(null, { hours: '13' });
  t.is(long.status, 422);
  t.is(long.body.error.details?.[0]?.field, 'confirm_long');
  t.is((await cell(null, { hours: '7' })).status, 200);
  const day = await cell(taskId, { hours: '6' });
  t.is(day.status, 422);
  t.regex(day.body.error.details?.[0]?.message ?? '', /13:00 h, more than 12 h/);
  t.is((await cell(taskId, { hours: '6', confirm_long: true })).status, 200);
  t.is((await cell(taskId, { hours: '5' })).status, 200); // a long day that shrinks asks nothing
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body.total_minutes, 720);

  const other = daysAgo(6);
  const monday = mondayOf(other);
  const field = `c:${projectId}/@${other}`;
  const asked = await postForm(emp.c, '/timesheets/week', { week: monday, project: `${projectId}/`, [`h_${other}`]: '14' });
  t.is(asked.status, 422);
  t.true(asked.text.includes('name="confirm_long"'));
  t.regex(asked.text, /bevestig om hem op te slaan/, 'the page is Dutch (the default language), and so is its problem');
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${other}`)).body.total_minutes, 0);
  const confirmed = await postForm(emp.c, '/timesheets/week', { week: monday, project: `${projectId}/`, [`h_${other}`]: '14', confirm_long: 'yes' });
  t.is(confirmed.status, 302);
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${other}`)).body.total_minutes, 840);
  t.true((await page(emp.c, `/timesheets?week=${other}&lang=en`)).includes(`name="${field}" value="14:00"`));
});

test('erasing a person removes their pins with their drafts (uurwerk erase --person)', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const other = await person(a);
  for (const p of [emp, other]) t.is((await p.c.json('PUT', '/api/v1/me/favourites', { project_id: projectId, pinned: true })).status, 200);
  await draftsHandler(timesheetDeps(a)).erase!(a.db.knex, emp.id, { dryRun: false, holds: NO_HOLDS });
  t.deepEqual(await a.db.knex('timesheet_favourites').pluck('account_id'), [other.id]);
});
