import test from 'ava';
import type { ApiClient } from '../helpers/client.js';
import { ENTRY_STRINGS } from '../../src/timesheets/strings.js';
import { daysAgo, person, timesheetApp } from './helpers.js';

/**
 * Wrong input never becomes wrong time, through the day page's forms (issue 16): the
 * 17:00 → 09:00 case is refused unless "overnight" is ticked, a long entry asks for a
 * "yes, save it", every problem keeps what was typed, times and durations are read as
 * people type them, and the inbox and review pages show the flags and reopen a day.
 */

/** A form post as a browser sends it (urlencoded, with the page's CSRF token). */
async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

type Day = { id: string; total_minutes: number; entries: Array<{ id: string; minutes: number; note: string; start: string | null; end: string | null; date: string | null }> };

test('the strings of the day and review pages exist in Dutch and English alike', (t) => {
  t.deepEqual(Object.keys(ENTRY_STRINGS.nl).sort(), Object.keys(ENTRY_STRINGS.en).sort());
});

test('17:00 → 09:00 on the page: 422 naming end with everything kept; overnight asks to confirm 16 h; confirmed it saves', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(3);
  const typed = { project: `${projectId}/${taskId}`, start: '17:00', end: '0900', note: 'night &lt;shift&gt;', overnight: '' };
  const r = await postForm(emp.c, `/timesheets/day/${date}/entries?lang=en`, typed);
  t.is(r.status, 422);
  t.regex(r.text, /end: the end is at or before the start/);
  // Everything typed is still there: the project chosen, the times, the note.
  t.regex(r.text, new RegExp(`value="${projectId}/${taskId}" selected`));
  t.regex(r.text, /name="start"[^>]*value="17:00"/);
  t.regex(r.text, /name="end"[^>]*value="0900"/);
  t.regex(r.text, /name="note" value="night &amp;lt;shift&amp;gt;"/, 'kept, and escaped');
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body.entries.length, 0, 'nothing saved');

  const night = await postForm(emp.c, `/timesheets/day/${date}/entries?lang=en`, { ...typed, overnight: 'yes' });
  t.is(night.status, 422);
  t.regex(night.text, /confirm_long: the entry lasts 16:00 h/);
  t.regex(night.text, /name="confirm_long"/, 'a “yes, save it” box');
  t.regex(night.text, /name="overnight" value="yes" checked/, 'overnight stays ticked');
  t.is((await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`)).body.entries.length, 0);

  const saved = await postForm(emp.c, `/timesheets/day/${date}/entries`, { ...typed, overnight: 'yes', confirm_long: 'yes' });
  t.is(saved.status, 302);
  const day = await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.is(day.body.entries[0]!.minutes, 16 * 60);
  t.is(day.body.entries[0]!.note, 'night &lt;shift&gt;');
});

test('times as people type them (0900, 9.30, 12) and a duration (10,5) are read on the day page; both at once is refused', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(2);
  t.is((await postForm(emp.c, `/timesheets/day/${date}/entries`, { project: projectId, start: '0900', end: '9.30', note: '' })).status, 302);
  t.is((await postForm(emp.c, `/timesheets/day/${date}/entries`, { project: projectId, start: '930', end: '12', note: '' })).status, 302);
  t.is((await postForm(emp.c, `/timesheets/day/${daysAgo(3)}/entries`, { project: projectId, duration: '10,5', note: 'report' })).status, 302);
  const day = await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.deepEqual(day.body.entries.map((e) => e.minutes), [30, 150]);
  const other = await emp.c.json<Day>('GET', `/api/v1/me/days/${daysAgo(3)}`);
  t.like(other.body.entries[0], { date: daysAgo(3), minutes: 630, start: null });
  const both = await postForm(emp.c, `/timesheets/day/${date}/entries?lang=en`, { project: projectId, start: '9', end: '10', duration: '1', note: '' });
  t.is(both.status, 422);
  t.regex(both.text, /duration: give start and end, or a duration, not both/);
  const bad = await postForm(emp.c, `/timesheets/day/${date}/entries?lang=en`, { project: projectId, start: 'noon', end: '25:00', note: 'kept' });
  t.is(bad.status, 422);
  t.regex(bad.text, /start: is not a time/);
  t.regex(bad.text, /end: is not a time of day/);
  t.regex(bad.text, /name="start"[^>]*value="noon"/);
  t.regex(bad.text, /name="note" value="kept"/);
  const dutch = await postForm(emp.c, `/timesheets/day/${date}/entries?lang=nl`, { project: projectId, start: '17', end: '9', note: '' });
  t.regex(dutch.text, /vink „Nachtdienst” aan/);
});

test('inbox page shows the flags; the review page reopens an approved day with a reason', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const date = daysAgo(2);
  t.is((await postForm(emp.c, `/timesheets/day/${date}/entries`, { project: projectId, start: '22:00', end: '06:00', overnight: 'yes', note: '' })).status, 302);
  t.is((await postForm(emp.c, `/timesheets/day/${date}/submit`, { confirm: 'yes' })).status, 302);
  const inbox = await (await admin.c.call('GET', '/timesheets/inbox?lang=en')).text();
  t.regex(inbox, /data-flag="overnight">over midnight</);
  const day = await emp.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.is((await admin.c.json('POST', `/api/v1/days/${day.body.id}/approve`)).status, 200);
  const review = await (await admin.c.call('GET', `/timesheets/days/${day.body.id}?lang=en`)).text();
  t.regex(review, /id="reopen"/);
  const empty = await postForm(admin.c, `/timesheets/days/${day.body.id}/reopen`, { reason: '  ' });
  t.is(empty.status, 422, 'a reason is required');
  const reopened = await postForm(admin.c, `/timesheets/days/${day.body.id}/reopen`, { reason: 'split the night over two projects' });
  t.is(reopened.status, 302);
  t.is((await emp.c.json<{ state: string }>('GET', `/api/v1/me/days/${date}`)).body.state, 'returned');
  t.is((await a.db.knex('audit.events').where({ action: 'timesheet.day.reopened' }).count({ n: '*' }).first())!.n, '1');
});
