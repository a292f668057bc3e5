import test from 'ava';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

type Err = { error: { code: string; details?: Array<{ field: string; message: string }> } };
type Day = { id: string | null; state: string; total_minutes: number; day_minutes: number; entries: Array<{ id: string; note: string; minutes_on_day: number; overlaps: boolean }>; totals: Array<{ project_id: string; task_id: string | null; minutes: number }> };

test('entries: 401 without a session, then create, read in the day view with totals, change, delete', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const anon = await fetch(`${a.url}/api/v1/me/days/${daysAgo(1)}`);
  t.is(anon.status, 401);
  const emp = await person(a);
  const date = daysAgo(1);
  const e1 = await emp.c.json<{ id: string; minutes: number }>('POST', '/api/v1/me/entries', { start: at(date, '09:00'), end: at(date, '10:30'), project_id: projectId, task_id: taskId, note: 'rota for ward 3' });
  t.is(e1.status, 201, JSON.stringify(e1.body));
  t.is(e1.body.minutes, 90);
  const e2 = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date, duration_minutes: 30, project_id: projectId });
  t.is(e2.status, 201);
  const day = await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.is(day.status, 200);
  t.is(day.body.state, 'draft');
  t.is(day.body.total_minutes, 120);
  t.deepEqual(day.body.totals.map((x) => [x.task_id, x.minutes]).sort(), [[null, 30], [taskId, 90]].sort());
  const patched = await emp.c.json<{ note: string; minutes: number }>('PATCH', `/api/v1/me/entries/${e1.body.id}`, { note: 'rota for ward 4', end: at(date, '11:00') });
  t.is(patched.status, 200);
  t.is(patched.body.minutes, 120);
  t.is(patched.body.note, 'rota for ward 4');
  t.is((await emp.c.call('DELETE', `/api/v1/me/entries/${e2.body.id}`)).status, 204);
  t.is((await emp.c.json('GET', `/api/v1/me/entries/${e2.body.id}`)).status, 404);
  const after = await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.is(after.body.total_minutes, 120);
});

test('bad input gets 422 naming the field, and nothing is written', async (t) => {
  const { a, projectId } = await timesheetApp(t, { timesheets: { note_max_length: 20 } });
  const emp = await person(a);
  const date = daysAgo(1);
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['end before start', { start: at(date, '10:00'), end: at(date, '09:00'), project_id: projectId }, 'end'],
    ['decades away', { start: '1990-01-01T09:00:00+01:00', end: '1990-01-01T10:00:00+01:00', project_id: projectId }, 'start'],
    ['far future', { date: '2090-05-01', duration_minutes: 60, project_id: projectId }, 'date'],
    ['note too long', { date, duration_minutes: 60, project_id: projectId, note: 'x'.repeat(21) }, 'note'],
    ['unknown project', { date, duration_minutes: 60, project_id: '00000000-0000-4000-8000-000000000000' }, 'project_id'],
    ['longer than the max', { start: at(date, '00:00'), end: new Date(Date.parse(at(date, '00:00')) + 25 * 3600_000).toISOString(), project_id: projectId }, 'end'],
    ['not a date', { date: '2026-02-30', duration_minutes: 60, project_id: projectId }, 'date'],
  ];
  for (const [name, body, field] of cases) {
    const r = await emp.c.json<Err>('POST', '/api/v1/me/entries', body);
    t.is(r.status, 422, name);
    t.true(r.body.error.details!.some((d) => d.field === field), `${name}: ${JSON.stringify(r.body.error.details)}`);
  }
  await a.db.knex('projects').where({ id: projectId }).update({ archived_at: a.db.knex.fn.now() });
  const archived = await emp.c.json<Err>('POST', '/api/v1/me/entries', { date, duration_minutes: 60, project_id: projectId });
  t.is(archived.status, 422);
  t.deepEqual(archived.body.error.details!.map((d) => d.field), ['project_id']);
  const tz = await emp.c.json<Err>('PUT', '/api/v1/me/timesheet-settings', { time_zone: 'Mars/Olympus_Mons' });
  t.is(tz.status, 422);
  t.deepEqual(tz.body.error.details!.map((d) => d.field), ['time_zone']);
  t.is(await a.db.knex('time_entries').count({ n: '*' }).first().then((r) => Number(r!.n)), 0);
  t.is(await a.db.knex('timesheet_days').count({ n: '*' }).first().then((r) => Number(r!.n)), 0);
});

test('an entry across midnight counts on both days; DST days have 23 and 25 hours; overlaps are flagged', async (t) => {
  const { a, projectId } = await timesheetApp(t, { timesheets: { max_days_back: 3660, max_days_ahead: 366 } });
  const emp = await person(a);
  const d1 = daysAgo(3);
  const d2 = daysAgo(2);
  const night = await emp.c.json('POST', '/api/v1/me/entries', { start: at(d1, '22:00'), end: at(d2, '02:00'), project_id: projectId, note: 'night shift' });
  t.is(night.status, 201);
  const overlap = await emp.c.json('POST', '/api/v1/me/entries', { start: at(d2, '01:00'), end: at(d2, '03:00'), project_id: projectId });
  t.is(overlap.status, 201);
  const day1 = await emp.c.json<Day>('GET', `/api/v1/me/days/${d1}`);
  const day2 = await emp.c.json<Day>('GET', `/api/v1/me/days/${d2}`);
  t.is(day1.body.total_minutes, 120);
  t.is(day2.body.total_minutes, 120 + 120);
  t.true(day2.body.entries.every((e) => e.overlaps));
  t.false(day1.body.entries[0]!.overlaps);
  // DST in Europe/Amsterdam (last Sundays of March and October of the current year).
  const year = new Date().getUTCFullYear();
  const lastSunday = (month: number) => {
    const d = new Date(Date.UTC(year, month + 1, 0));
    d.setUTCDate(d.getUTCDate() - d.getUTCDay());
    return d.toISOString().slice(0, 10);
  };
  const spring = await emp.c.json<Day>('GET', `/api/v1/me/days/${lastSunday(2)}`);
  const autumn = await emp.c.json<Day>('GET', `/api/v1/me/days/${lastSunday(9)}`);
  t.is(spring.body.day_minutes, 23 * 60);
  t.is(autumn.body.day_minutes, 25 * 60);
  const full = await emp.c.json('POST', '/api/v1/me/entries', { start: at(lastSunday(9), '00:00'), end: new Date(Date.parse(at(lastSunday(9), '00:00')) + 24 * 3600_000).toISOString(), project_id: projectId, confirm_long: true });
  t.is(full.status, 201, JSON.stringify(full.body));
  const autumn2 = await emp.c.json<Day>('GET', `/api/v1/me/days/${lastSunday(9)}`);
  t.is(autumn2.body.total_minutes, 24 * 60, 'the whole 24 h fall on the 25-hour day');
  // Per-person time zone: the same instant falls on another local date in Tokyo.
  const s = await emp.c.json<{ effective_time_zone: string }>('PUT', '/api/v1/me/timesheet-settings', { time_zone: 'Asia/Tokyo' });
  t.is(s.body.effective_time_zone, 'Asia/Tokyo');
});

test('mass assignment: owner, state and approver fields are refused with 422 and change nothing', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const other = await person(a);
  const date = daysAgo(1);
  const e = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date, duration_minutes: 60, project_id: projectId });
  for (const extra of [{ user_id: other.id }, { owner_id: other.id }, { status: 'approved' }, { state: 'approved' }, { approved_by: other.id }]) {
    const create = await emp.c.json<Err>('POST', '/api/v1/me/entries', { date, duration_minutes: 60, project_id: projectId, ...extra });
    t.is(create.status, 422);
    t.deepEqual(create.body.error.details!.map((d) => d.field), Object.keys(extra));
    const patch = await emp.c.json<Err>('PATCH', `/api/v1/me/entries/${e.body.id}`, { note: 'changed', ...extra });
    t.is(patch.status, 422);
  }
  const submit = await emp.c.json<Err>('POST', `/api/v1/me/days/${date}/submit`, { state: 'approved', approved_by: other.id });
  t.is(submit.status, 422);
  const rows = await a.db.knex('time_entries').select('owner_id');
  t.deepEqual(rows.map((r) => r.owner_id), [emp.id]);
  const day = await a.db.knex('timesheet_days').first('state', 'approved_by', 'owner_id');
  t.deepEqual(day, { state: 'draft', approved_by: null, owner_id: emp.id });
  const unchanged = await emp.c.json<{ note: string }>('GET', `/api/v1/me/entries/${e.body.id}`);
  t.is(unchanged.body.note, '');
});
