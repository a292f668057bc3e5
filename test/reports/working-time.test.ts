import test from 'ava';
import { REPORTS_SUBJECT } from '../../src/reports/store.js';
import { checkWorkingTime } from '../../src/reports/working-time.js';
import { parseConfig } from '../../src/platform/config.js';
import { at, person } from '../timesheets/helpers.js';
import { reportsApp } from './helpers.js';

type View = {
  days: Array<{ date: string; total_minutes: number; breaks: Array<{ minutes: number }> }>;
  shifts: Array<{ date: string; worked_minutes: number; break_minutes: number }>;
  warnings: Array<{ code: string; date: string; value: number; limit: number }>;
};

const rules = parseConfig({}, 'default').reports.working_time;

test('a night shift over the spring and the autumn daylight-saving change counts the hours that passed (pure rules)', (t) => {
  const spring = checkWorkingTime([{ id: 'a', start: at('2026-03-28', '22:00'), end: at('2026-03-29', '06:00'), date: null, minutes: 420 }], [{ date: '2026-03-28', total_minutes: 120 }, { date: '2026-03-29', total_minutes: 300 }], rules, 'Europe/Amsterdam');
  t.deepEqual(spring.shifts.map((s) => [s.date, s.worked_minutes]), [['2026-03-28', 420]], '22:00–06:00 is 7 h when the clocks go forward');
  t.deepEqual(spring.warnings.map((w) => w.code), ['short_break'], '7 h without a break');
  const autumn = checkWorkingTime([{ id: 'b', start: at('2026-10-24', '22:00'), end: at('2026-10-25', '06:00'), date: null, minutes: 540 }], [{ date: '2026-10-24', total_minutes: 120 }], rules, 'Europe/Amsterdam');
  t.is(autumn.shifts[0]!.worked_minutes, 540, '22:00–06:00 is 9 h when the clocks go back');
  // Three hours and a half into a break: the shift ends; 10 h 30 of rest is too short.
  const rest = checkWorkingTime([
    { id: 'c', start: at('2026-10-24', '22:00'), end: at('2026-10-25', '02:00'), date: null, minutes: 300 },
    { id: 'd', start: at('2026-10-25', '02:30'), end: at('2026-10-25', '06:00'), date: null, minutes: 210 },
    { id: 'e', start: at('2026-10-25', '16:30'), end: at('2026-10-25', '20:00'), date: null, minutes: 210 },
  ], [{ date: '2026-10-24', total_minutes: 120 }, { date: '2026-10-25', total_minutes: 600 }], rules, 'Europe/Amsterdam');
  t.deepEqual(rest.shifts.map((s) => [s.worked_minutes, s.break_minutes]), [[510, 30], [210, 0]]);
  t.deepEqual(rest.warnings.map((w) => [w.code, w.date, w.value]), [['short_rest', '2026-10-25', 630]]);
  t.deepEqual(rest.days.find((d) => d.date === '2026-10-25')!.breaks.map((b) => b.minutes), [30], 'the break shows on the day it was taken');
});

test('the employee sees daily totals, breaks and warnings for their week; an admin in scope sees them for a submitted day (audited), other admins get 404; warnings are not reports', async (t) => {
  const { a, projectId } = await reportsApp(t);
  const emp = await person(a, { inTeam: 'ward-a' });
  const admin = await person(a, { adminOf: 'ward-a' });
  const other = await person(a, { adminOf: 'ward-b' });
  const add = async (from: [string, string], to: [string, string]) => {
    const r = await emp.c.json('POST', '/api/v1/me/entries', { start: at(...from), end: at(...to), project_id: projectId, note: 'n' });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  };
  // Week of Monday 2026-10-19: five 11 h days with half-hour breaks (55 h), then a night shift into Sunday over the DST change.
  for (const d of ['2026-10-19', '2026-10-20', '2026-10-21', '2026-10-22', '2026-10-23']) {
    await add([d, '07:00'], [d, '12:30']);
    await add([d, '13:00'], [d, '18:30']);
  }
  await add(['2026-10-24', '22:00'], ['2026-10-25', '06:00']);
  const mine = await emp.c.json<View>('GET', '/api/v1/me/working-time?week=2026-10-21');
  t.is(mine.status, 200, JSON.stringify(mine.body));
  t.is(mine.body.days.length, 7);
  t.deepEqual(mine.body.days[0], { date: '2026-10-19', total_minutes: 660, breaks: [{ start: new Date(at('2026-10-19', '12:30')).toISOString(), end: new Date(at('2026-10-19', '13:00')).toISOString(), minutes: 30 }] });
  t.is(mine.body.shifts.find((s) => s.date === '2026-10-24')!.worked_minutes, 540);
  t.deepEqual(mine.body.warnings.map((w) => [w.code, w.date]), [['short_break', '2026-10-19'], ['short_break', '2026-10-20'], ['short_break', '2026-10-21'], ['short_break', '2026-10-22'], ['short_break', '2026-10-23'], ['short_break', '2026-10-24'], ['long_week', '2026-10-25']],
    '11 h needs 45 min of breaks; 55 + 9 h in the week is over 60');
  const week = mine.body.warnings.find((w) => w.code === 'long_week')!;
  t.deepEqual([week.value, week.limit], [660 * 5 + 540, 3600]);

  const pageText = await (await emp.c.call('GET', '/working-time?week=2026-10-21&lang=nl')).text();
  t.regex(pageText, /<h1>Arbeidstijd<\/h1>/);
  t.regex(pageText, /<tr><td>2026-10-19<\/td><td>11:00<\/td><td>0:30<\/td><\/tr>/, 'daily total and breaks on each day');
  t.regex(pageText, /Meer uren deze week dan toegestaan \(64:00 \/ 60:00\)/);
  t.is((await emp.c.call('GET', '/working-time?week=not-a-date')).status, 422);

  // Warnings do not block: the day submits.
  const sub = await emp.c.json<{ id: string }>('POST', '/api/v1/me/days/2026-10-23/submit');
  t.is(sub.status, 200);
  const seen = await admin.c.json<View>('GET', `/api/v1/days/${sub.body.id}/working-time`);
  t.is(seen.status, 200);
  t.deepEqual(seen.body.warnings.map((w) => [w.code, w.date]), [['short_break', '2026-10-23']], 'the admin sees what the submitted days show');
  t.is((await other.c.json('GET', `/api/v1/days/${sub.body.id}/working-time`)).status, 404);
  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const reads = (await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', actor_id: admin.id }).select('payload')) as Array<{ payload: { what: string } }>;
  t.true(reads.some((r) => r.payload.what === 'working_time'));
  // The submitted day enters the report store with its figures only: no warning, break or shift.
  const inbox = (await a.db.knex('report_inbox').select('id', 'sealed')) as Array<{ id: string; sealed: string }>;
  t.is(inbox.length, 1, 'one envelope: the submitted day');
  const sealed = JSON.parse(await a.app.keys.decrypt(a.app.db, REPORTS_SUBJECT, { table: 'report_inbox', column: 'sealed', rowId: inbox[0]!.id }, inbox[0]!.sealed)) as Record<string, unknown>;
  t.deepEqual(Object.keys(sealed).sort(), ['date', 'ownerId', 'parts', 'sign', 'teams'], 'nothing of the warnings enters the report store');
});
