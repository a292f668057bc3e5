import test from 'ava';
import type { ApiClient } from '../helpers/client.js';
import { at, daysAgo, person } from '../timesheets/helpers.js';
import { reportsApp } from './helpers.js';

type Warning = { code: string; date: string; value: number; limit: number };

async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, text: await r.text() };
}

test('a 12 h 15 day: the submit page and the submit response carry long_shift (a warning, the day submits); a normal day carries none; the admin in scope sees it on the review page (audited), another admin gets 404', async (t) => {
  const { a, projectId } = await reportsApp(t);
  const emp = await person(a, { inTeam: 'ward-a' });
  const admin = await person(a, { adminOf: 'ward-a' });
  const other = await person(a, { adminOf: 'ward-b' });
  const add = async (date: string, from: string, to: string) => {
    // A day over 12 h is saved only when confirmed (entry rules); the working-time warning comes on top.
    const r = await emp.c.json('POST', '/api/v1/me/entries', { start: at(date, from), end: at(date, to), project_id: projectId, note: 'n', confirm_long: true });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  };
  // Seven days apart: two different ISO weeks, no rest between the two days to count.
  const long = daysAgo(2);
  const normal = daysAgo(9);
  await add(long, '06:00', '12:00');
  await add(long, '12:45', '19:00'); // 12 h 15 worked, with the 45 min break a shift over 10 h needs
  await add(normal, '09:00', '12:30');
  await add(normal, '13:00', '17:00');

  // The confirmation step (page) lists the warning, in nl and in en; nothing is submitted yet.
  const askEn = await postForm(emp.c, `/timesheets/day/${long}/submit?lang=en`, {});
  t.is(askEn.status, 200);
  t.regex(askEn.text, /id="submit-question"/);
  t.regex(askEn.text, /Working-time warnings/);
  t.regex(askEn.text, /<li data-warning="long_shift">Shift longer than allowed \(12:15 \/ 12:00\)<\/li>/);
  t.notRegex(askEn.text, /data-warning="short_break"/, 'the 45 min break is enough');
  const askNl = await postForm(emp.c, `/timesheets/day/${long}/submit?lang=nl`, {});
  t.regex(askNl.text, /Waarschuwingen arbeidstijd/);
  t.regex(askNl.text, /Dienst langer dan toegestaan \(12:15 \/ 12:00\)/);
  t.is((await emp.c.json<{ state: string }>('GET', `/api/v1/me/days/${long}`)).body.state, 'draft');
  const askNormal = await postForm(emp.c, `/timesheets/day/${normal}/submit?lang=en`, {});
  t.is(askNormal.status, 200);
  t.notRegex(askNormal.text, /day-warnings|data-warning/, 'a normal day shows no warning block');

  // The API submits (a warning, never a block) and answers with the day's warnings.
  const sub = await emp.c.json<{ id: string; state: string; warnings?: Warning[] }>('POST', `/api/v1/me/days/${long}/submit`);
  t.is(sub.status, 200, JSON.stringify(sub.body));
  t.is(sub.body.state, 'submitted');
  t.deepEqual(sub.body.warnings, [{ code: 'long_shift', date: long, value: 735, limit: 720 }]);
  const subNormal = await emp.c.json<{ state: string; warnings?: Warning[] }>('POST', `/api/v1/me/days/${normal}/submit`);
  t.is(subNormal.status, 200);
  t.deepEqual(subNormal.body.warnings, [], 'a normal day: none');
  // The employee's own submit reads nobody else's data.
  t.is(Number((await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', actor_id: emp.id }).count({ n: '*' }).first())!.n), 0);

  // The admin in scope sees the warning on the review page; the week read for it is audited.
  const review = await admin.c.call('GET', `/timesheets/days/${sub.body.id}?lang=en`);
  t.is(review.status, 200);
  const text = await review.text();
  t.regex(text, /<li data-warning="long_shift">Shift longer than allowed \(12:15 \/ 12:00\)<\/li>/);
  t.regex(text, /A warning, not a block/);
  t.regex(text, /id="approve"/, 'approval stays possible');
  const reads = (await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', actor_id: admin.id }).select('payload')) as Array<{ payload: { what: string; date: string } }>;
  t.true(reads.some((r) => r.payload.what === 'working_time' && r.payload.date === long), 'the working-time read of the week is audited');
  const reviewNormal = (await admin.c.json<{ days: Array<{ id: string; date: string }> }>('GET', '/api/v1/days')).body.days.find((d) => d.date === normal)!;
  t.notRegex(await (await admin.c.call('GET', `/timesheets/days/${reviewNormal.id}?lang=en`)).text(), /day-warnings/);
  // An admin whose scope does not hold the person sees neither the day nor its warnings.
  t.is((await other.c.call('GET', `/timesheets/days/${sub.body.id}?lang=en`)).status, 404);
  t.false((await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', actor_id: other.id }).select('payload') as Array<{ payload: { what: string } }>).some((r) => r.payload.what === 'working_time'));
});

test('the inbox flags the warnings recorded at submit (page and GET /api/v1/days `warnings`) without reading the week; return and take-back clear them', async (t) => {
  const { a, projectId } = await reportsApp(t);
  const emp = await person(a, { inTeam: 'ward-a' });
  const admin = await person(a, { adminOf: 'ward-a' });
  const add = async (date: string, from: string, to: string) => {
    const r = await emp.c.json('POST', '/api/v1/me/entries', { start: at(date, from), end: at(date, to), project_id: projectId, note: 'n', confirm_long: true });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  };
  const long = daysAgo(2);
  const normal = daysAgo(9);
  await add(long, '06:00', '12:00');
  await add(long, '12:45', '19:00');
  await add(normal, '09:00', '12:30');
  await add(normal, '13:00', '17:00');
  const sub = await emp.c.json<{ id: string }>('POST', `/api/v1/me/days/${long}/submit`);
  t.is(sub.status, 200);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${normal}/submit`)).status, 200);
  // Stored as codes only, on the day.
  t.deepEqual((await a.db.knex('timesheet_days').where({ id: sub.body.id }).first('warnings')).warnings, ['long_shift']);

  const list = await admin.c.json<{ days: Array<{ id: string; date: string; warnings: string[] }> }>('GET', '/api/v1/days');
  t.is(list.status, 200);
  t.deepEqual(list.body.days.map((d) => [d.date, d.warnings]).sort(), [[long, ['long_shift']], [normal, []]].sort());
  const inbox = await (await admin.c.call('GET', '/timesheets/inbox?lang=en')).text();
  t.regex(inbox, /<strong class="flag" data-warning="long_shift"[^>]*>Shift longer than allowed<\/strong>/);
  t.is((inbox.match(/data-warning=/g) ?? []).length, 1, 'only the long day is flagged');
  const nl = await (await admin.c.call('GET', '/timesheets/inbox?lang=nl')).text();
  t.regex(nl, /Dienst langer dan toegestaan/);
  // Listing reads no week: only the listed days' summaries are audited reads.
  const reads = (await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', actor_id: admin.id }).select('payload')) as Array<{ payload: { what: string } }>;
  t.false(reads.some((r) => r.payload.what === 'working_time'));

  // Returned: the codes go; submitted again, they come back; taken back: gone.
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/return`, { comment: 'please check' })).status, 200);
  t.deepEqual((await a.db.knex('timesheet_days').where({ id: sub.body.id }).first('warnings')).warnings, []);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${long}/submit`)).status, 200);
  t.deepEqual((await a.db.knex('timesheet_days').where({ id: sub.body.id }).first('warnings')).warnings, ['long_shift']);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${long}/take-back`)).status, 200);
  t.deepEqual((await a.db.knex('timesheet_days').where({ id: sub.body.id }).first('warnings')).warnings, []);
});
