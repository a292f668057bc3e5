import test from 'ava';
import type { ApiClient } from '../helpers/client.js';
import { REPORTS_SUBJECT } from '../../src/reports/store.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

/**
 * A submitted day can be taken back by its owner until someone opened it (issue 16):
 * back to draft, audited, out of the report store like a returned day; 409 once a
 * reviewer opened it (page or API), and a new submission starts the count again.
 */

type Err = { error: { code: string; message: string } };

async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

async function setup(t: Parameters<typeof timesheetApp>[0]) {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const date = daysAgo(2);
  const e = await owner.c.json('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '12:00'), project_id: projectId, note: 'rounds' });
  if (e.status !== 201) throw new Error(JSON.stringify(e.body));
  const sub = await owner.c.json<{ id: string }>('POST', `/api/v1/me/days/${date}/submit`);
  if (sub.status !== 200) throw new Error(JSON.stringify(sub.body));
  return { a, owner, admin, date, dayId: sub.body.id };
}

/** The report store's pending figures for the owner, summed with their signs (0: the day does not count). */
async function pendingMinutes(a: Awaited<ReturnType<typeof timesheetApp>>['a']): Promise<number> {
  const rows = (await a.db.knex('report_inbox').select('id', 'sealed')) as Array<{ id: string; sealed: string }>;
  let sum = 0;
  for (const r of rows) {
    const item = JSON.parse(await a.app.keys.decrypt(a.app.db, REPORTS_SUBJECT, { table: 'report_inbox', column: 'sealed', rowId: r.id }, r.sealed)) as { sign: number; parts: Array<{ minutes: number }> };
    sum += item.sign * item.parts.reduce((n, p) => n + p.minutes, 0);
  }
  return sum;
}

test('the owner takes a submitted day back before anyone opened it: draft again, audited, out of the report store, gone from the inbox', async (t) => {
  const { a, owner, admin, date, dayId } = await setup(t);
  t.is(await pendingMinutes(a), 240, 'the submitted day counts');
  // Listing the inbox is not opening the day, nor is the owner reading it by id.
  t.is((await admin.c.json<{ total: number }>('GET', '/api/v1/days')).body.total, 1);
  t.is((await owner.c.json('GET', `/api/v1/days/${dayId}`)).status, 200);
  t.is((await a.db.knex('timesheet_days').where({ id: dayId }).first('opened_at')).opened_at, null);
  const r = await owner.c.json<{ state: string }>('POST', `/api/v1/me/days/${date}/take-back`);
  t.is(r.status, 200);
  t.is(r.body.state, 'draft');
  t.is(await pendingMinutes(a), 0, 'taken back, it leaves the report store like a returned day');
  const ev = await a.db.knex('audit.events').where({ action: 'timesheet.day.taken_back', object_id: dayId }).first('actor_id', 'subject_id', 'payload');
  t.like(ev, { actor_id: owner.id, subject_id: owner.id, payload: { date, from: 'submitted', fields: ['state'] } });
  t.is((await admin.c.json<{ total: number }>('GET', '/api/v1/days')).body.total, 0);
  t.is((await admin.c.json('GET', `/api/v1/days/${dayId}`)).status, 404, 'a draft again: the admin no longer sees it');
  // Editable again, and a second take-back of a draft is 409.
  const again = await owner.c.json<Err>('POST', `/api/v1/me/days/${date}/take-back`);
  t.is(again.status, 409);
  t.is(again.body.error.code, 'day_not_submitted');
  t.is((await owner.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  t.is(await pendingMinutes(a), 240);
});

test('once an admin opened the day (API read) take-back is 409 with a clear message; a new submission may be taken back again', async (t) => {
  const { a, owner, admin, date, dayId } = await setup(t);
  t.is((await admin.c.json('GET', `/api/v1/days/${dayId}`)).status, 200);
  const r = await owner.c.json<Err>('POST', `/api/v1/me/days/${date}/take-back`);
  t.is(r.status, 409);
  t.is(r.body.error.code, 'day_opened');
  t.regex(r.body.error.message, /already opened/);
  t.is((await owner.c.json<{ state: string }>('GET', `/api/v1/me/days/${date}`)).body.state, 'submitted');
  t.is(await pendingMinutes(a), 240, 'still counts');
  // Returned and submitted again: not opened yet, so it may be taken back.
  t.is((await admin.c.json('POST', `/api/v1/days/${dayId}/return`, { comment: 'split it' })).status, 200);
  t.is((await owner.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  t.is((await owner.c.json('POST', `/api/v1/me/days/${date}/take-back`)).status, 200);
});

test('pages: the owner takes back from the day page; after the admin opened the review page the page says why not; nobody else can', async (t) => {
  const { a, owner, admin, date, dayId } = await setup(t);
  const dayPage = await (await owner.c.call('GET', `/timesheets/day/${date}?lang=en`)).text();
  t.regex(dayPage, /id="take-back"/);
  t.regex(dayPage, /id="correction-link"/, 'a locked day links to its correction request');
  const back = await postForm(owner.c, `/timesheets/day/${date}/take-back`, {});
  t.is(back.status, 302);
  t.regex((await (await owner.c.call('GET', back.location!.replace(/^https?:\/\/[^/]+/, '').replace(/(#|$)/, '&lang=en$1'))).text()), /The day is a draft again/);
  t.is((await postForm(owner.c, `/timesheets/day/${date}/submit`, { confirm: 'yes' })).status, 302);
  const review = await admin.c.call('GET', `/timesheets/days/${dayId}?lang=en`);
  t.is(review.status, 200);
  const refused = await postForm(owner.c, `/timesheets/day/${date}/take-back?lang=en`, {});
  t.is(refused.status, 409);
  t.regex(refused.text, /already opened the day/);
  // An admin cannot take back someone else's day: the path is the caller's own date (their own, empty day).
  const other = await admin.c.json<Err>('POST', `/api/v1/me/days/${date}/take-back`);
  t.is(other.status, 409);
  t.is((await owner.c.json<{ state: string }>('GET', `/api/v1/me/days/${date}`)).body.state, 'submitted');
  t.is(Number((await a.db.knex('audit.events').where({ action: 'timesheet.day.taken_back' }).count({ n: '*' }).first())!.n), 1);
});

test('submitting on the page asks once: the first post shows the day and its total, nothing is submitted; the confirmed post submits', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const date = daysAgo(2);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '11:30'), project_id: projectId })).status, 201);
  const ask = await postForm(emp.c, `/timesheets/day/${date}/submit?lang=en`, {});
  t.is(ask.status, 200);
  t.regex(ask.text, new RegExp(`Submit ${date} with 3:30 h\\?`));
  t.is((ask.text.match(/id="confirm-submit"/g) ?? []).length, 1, 'one button');
  t.is((await emp.c.json<{ state: string }>('GET', `/api/v1/me/days/${date}`)).body.state, 'draft');
  const done = await postForm(emp.c, `/timesheets/day/${date}/submit`, { confirm: 'yes' });
  t.is(done.status, 302);
  t.is((await emp.c.json<{ state: string }>('GET', `/api/v1/me/days/${date}`)).body.state, 'submitted');
});
