import test from 'ava';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

/**
 * Wrong input never becomes wrong time, through the API (issue 16): an end at or
 * before the start is refused; an entry over timesheets.max_entry_hours, or a day over
 * max_day_hours, needs `confirm_long`; nothing is written without it; the inbox flags
 * overnight entries, overlaps and days over the limit.
 */

type Err = { error: { code: string; details?: Array<{ field: string; message: string }> } };
const fields = (b: Err) => (b.error.details ?? []).map((d) => d.field);
const count = async (a: Awaited<ReturnType<typeof timesheetApp>>['a']) => Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n);

test('an end at or before the start (17:00 → 09:00 on the same day, 09:00 → 09:00) is 422 naming end; nothing saved', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(2);
  for (const [start, end] of [['17:00', '09:00'], ['09:00', '09:00']] as const) {
    const r = await emp.c.json<Err>('POST', '/api/v1/me/entries', { start: at(date, start), end: at(date, end), project_id: projectId });
    t.is(r.status, 422, `${start}→${end}`);
    t.deepEqual(fields(r.body), ['end']);
  }
  t.is(await count(a), 0);
});

test('17:00 → 09:00 the next day (16 h) is refused unless confirmed: 422 naming confirm_long, then 201 with confirm_long: true', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const d1 = daysAgo(3);
  const d2 = daysAgo(2);
  const body = { start: at(d1, '17:00'), end: at(d2, '09:00'), project_id: projectId, note: 'night shift' };
  const r = await emp.c.json<Err>('POST', '/api/v1/me/entries', body);
  t.is(r.status, 422);
  t.deepEqual(fields(r.body), ['confirm_long']);
  t.regex(r.body.error.details![0]!.message, /16:00 h, more than 12 h/);
  t.false(JSON.stringify(r.body).includes('night shift'), 'the refusal does not echo the note');
  t.is(await count(a), 0, 'nothing written');
  const ok = await emp.c.json<{ minutes: number }>('POST', '/api/v1/me/entries', { ...body, confirm_long: true });
  t.is(ok.status, 201);
  t.is(ok.body.minutes, 16 * 60);
  // Never more than 24 hours, confirmed or not.
  const huge = await emp.c.json<Err>('POST', '/api/v1/me/entries', { start: at(d1, '06:00'), end: new Date(Date.parse(at(d1, '06:00')) + 25 * 3600_000).toISOString(), project_id: projectId, confirm_long: true });
  t.is(huge.status, 422);
  t.deepEqual(fields(huge.body), ['end']);
});

test('a day whose total goes over max_day_hours needs confirming; a duration entry too; a batch names the entry', async (t) => {
  const { a, projectId } = await timesheetApp(t, { timesheets: { max_entry_hours: 10, max_day_hours: 11 } });
  const emp = await person(a);
  const date = daysAgo(2);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { start: at(date, '07:00'), end: at(date, '15:00'), project_id: projectId })).status, 201);
  const more = await emp.c.json<Err>('POST', '/api/v1/me/entries', { start: at(date, '16:00'), end: at(date, '20:00'), project_id: projectId });
  t.is(more.status, 422);
  t.deepEqual(fields(more.body), ['confirm_long']);
  t.regex(more.body.error.details![0]!.message, new RegExp(`the day ${date} would hold 12:00 h, more than 11 h`));
  const longDuration = await emp.c.json<Err>('POST', '/api/v1/me/entries', { date: daysAgo(3), duration_minutes: 10 * 60 + 30, project_id: projectId });
  t.is(longDuration.status, 422);
  t.deepEqual(fields(longDuration.body), ['confirm_long'], 'the configured max_entry_hours (10) holds');
  const batch = await emp.c.json<Err>('POST', '/api/v1/me/entries/batch', { entries: [{ date: daysAgo(4), duration_minutes: 60, project_id: projectId }, { date, duration_minutes: 240, project_id: projectId }] });
  t.is(batch.status, 422);
  t.deepEqual(fields(batch.body), ['entries.1.confirm_long']);
  t.is(await count(a), 1, 'only the first entry exists');
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { start: at(date, '16:00'), end: at(date, '20:00'), project_id: projectId, confirm_long: true })).status, 201);
});

test('PATCH: a change of times that makes the entry too long needs confirming; a new note on a long entry does not', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(2);
  const e = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '12:00'), project_id: projectId });
  const longer = await emp.c.json<Err>('PATCH', `/api/v1/me/entries/${e.body.id}`, { end: at(date, '21:00') });
  t.is(longer.status, 422);
  t.deepEqual(fields(longer.body), ['confirm_long', 'confirm_long'], 'the entry (13 h) and its day (13 h)');
  t.is((await emp.c.json('PATCH', `/api/v1/me/entries/${e.body.id}`, { end: at(date, '21:00'), confirm_long: true })).status, 200);
  t.is((await emp.c.json('PATCH', `/api/v1/me/entries/${e.body.id}`, { note: 'checked' })).status, 200);
  const backwards = await emp.c.json<Err>('PATCH', `/api/v1/me/entries/${e.body.id}`, { end: at(date, '07:00') });
  t.is(backwards.status, 422);
  t.deepEqual(fields(backwards.body), ['end']);
});

test('the inbox (GET /days) flags overnight entries, overlaps, long entries and long days; a plain day has no flags', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const [d1, d2, d3, d4] = [daysAgo(5), daysAgo(4), daysAgo(3), daysAgo(2)];
  const add = async (body: Record<string, unknown>) => {
    const r = await emp.c.json('POST', '/api/v1/me/entries', { project_id: projectId, ...body });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  };
  await add({ start: at(d1, '09:00'), end: at(d1, '17:00') }); // plain
  await add({ start: at(d2, '22:00'), end: at(d3, '02:00') }); // overnight: d2 and d3
  await add({ start: at(d3, '01:00'), end: at(d3, '03:00') }); // overlaps the night on d3
  await add({ start: at(d4, '06:00'), end: at(d4, '19:00'), confirm_long: true }); // 13 h: long entry and day
  for (const d of [d1, d2, d3, d4]) t.is((await emp.c.json('POST', `/api/v1/me/days/${d}/submit`)).status, 200);
  const inbox = await admin.c.json<{ days: Array<{ date: string; flags: string[] }> }>('GET', '/api/v1/days');
  const flags = Object.fromEntries(inbox.body.days.map((d) => [d.date, d.flags]));
  t.deepEqual(flags[d1], []);
  t.deepEqual(flags[d2], ['overnight']);
  t.deepEqual(flags[d3], ['overnight', 'overlap']);
  t.deepEqual(flags[d4], ['long_entry', 'long_day']);
});
