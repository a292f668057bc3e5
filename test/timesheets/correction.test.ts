import test from 'ava';
import type { CorrectionView } from '../../src/timesheets/corrections.js';
import { startTestApp } from '../helpers/app.js';
import { buildDay, buildEmployee, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';

test('a correction request on an approved day reaches the admin in scope, who reopens the day with it as reason; the owner sees the state; audited without the text', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const other = await buildTeamAdmin(a, { team: 'team-b' });
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const day = await buildDay(emp, { projectId, state: 'approved', admin, date: localDate(2) });

  const filed = await emp.client.json<CorrectionView>('POST', `/api/v1/me/days/${day.date}/corrections`, { text: 'CORR-SECRET-7: the afternoon was leave', entry_id: day.entryId });
  t.is(filed.status, 201, JSON.stringify(filed.body));
  t.like(filed.body, { status: 'open', date: day.date, entry_id: day.entryId, text: 'CORR-SECRET-7: the afternoon was leave' });

  t.deepEqual((await other.client.json<{ corrections: CorrectionView[] }>('GET', '/api/v1/corrections')).body.corrections, [], 'not in the other team’s inbox');
  t.is((await other.client.json('POST', `/api/v1/corrections/${filed.body.id}/resolve`, { action: 'reopen' })).status, 404, 'outside the scope: not there');
  t.is((await emp.client.json('POST', `/api/v1/corrections/${filed.body.id}/resolve`, { action: 'decline' })).status, 403, 'the owner cannot resolve it');

  const inbox = await admin.client.json<{ corrections: CorrectionView[] }>('GET', '/api/v1/corrections');
  t.is(inbox.status, 200, JSON.stringify(inbox.body));
  t.deepEqual(inbox.body.corrections.map((c) => [c.id, c.text]), [[filed.body.id, 'CORR-SECRET-7: the afternoon was leave']]);
  const reads = await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', actor_id: admin.id, object_type: 'timesheet_correction' }).count<Array<{ n: string }>>('* as n');
  t.is(Number(reads[0]!.n), 1, 'the inbox read is audited');

  const done = await admin.client.json<CorrectionView>('POST', `/api/v1/corrections/${filed.body.id}/resolve`, { action: 'reopen' });
  t.is(done.status, 200, JSON.stringify(done.body));
  t.is(done.body.status, 'reopened');
  const mine = await emp.client.json<{ state: string; comment: string | null }>('GET', `/api/v1/me/days/${day.date}`);
  t.is(mine.body.state, 'returned', 'back in the owner’s hands');
  t.regex(mine.body.comment ?? '', /CORR-SECRET-7/, 'the request is the reason');
  t.like((await emp.client.json<{ corrections: CorrectionView[] }>('GET', '/api/v1/me/corrections')).body.corrections[0], { id: filed.body.id, status: 'reopened' });
  t.is((await admin.client.json('POST', `/api/v1/corrections/${filed.body.id}/resolve`, { action: 'decline' })).status, 422, 'resolved once');

  const events = (await a.db.knex('audit.events').whereIn('action', ['timesheet.correction.requested', 'timesheet.correction.resolved', 'timesheet.day.reopened']).orderBy('seq').select('action', 'payload')) as Array<{ action: string; payload: unknown }>;
  t.deepEqual(events.map((e) => e.action), ['timesheet.correction.requested', 'timesheet.day.reopened', 'timesheet.correction.resolved']);
  for (const e of events.filter((x) => x.action.startsWith('timesheet.correction'))) t.false(JSON.stringify(e.payload).includes('CORR-SECRET'), 'no text in the audit payload');
  const stored = (await a.db.knex('timesheet_corrections').first('text')) as { text: string };
  t.false(stored.text.includes('CORR-SECRET'), 'sealed at rest');
});

test('a correction request is refused on a draft day (naming the field) and for an entry that is not the owner’s on that day; a submitted day is returned', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const draft = await buildDay(emp, { projectId, state: 'draft', date: localDate(3) });
  const submitted = await buildDay(emp, { projectId, state: 'submitted', date: localDate(4) });

  const r1 = await emp.client.json<{ error: { details?: Array<{ field: string }> } }>('POST', `/api/v1/me/days/${draft.date}/corrections`, { text: 'wrong' });
  t.is(r1.status, 422);
  t.is(r1.body.error.details?.[0]?.field, 'date');
  const r2 = await emp.client.json<{ error: { details?: Array<{ field: string }> } }>('POST', `/api/v1/me/days/${submitted.date}/corrections`, { text: 'wrong', entry_id: draft.entryId });
  t.is(r2.status, 422);
  t.is(r2.body.error.details?.[0]?.field, 'entry_id');
  t.is((await emp.client.json('POST', `/api/v1/me/days/${localDate(9)}/corrections`, { text: 'no such day' })).status, 404);
  t.is(await a.db.knex('timesheet_corrections').count<Array<{ n: string }>>('* as n').first().then((r) => Number(r!.n)), 0, 'nothing half-written');

  const ok = await emp.client.json<CorrectionView>('POST', `/api/v1/me/days/${submitted.date}/corrections`, { text: 'please return it' });
  t.is(ok.status, 201);
  t.is((await admin.client.json<CorrectionView>('POST', `/api/v1/corrections/${ok.body.id}/resolve`, { action: 'reopen' })).body.status, 'reopened');
  t.is((await emp.client.json<{ state: string }>('GET', `/api/v1/me/days/${submitted.date}`)).body.state, 'returned');
});

test('the locked day page links to the correction page, whose form files a request and lists its state (nl and en)', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const locked = await buildDay(emp, { projectId, state: 'submitted', date: localDate(2) });
  const draft = await buildDay(emp, { projectId, state: 'draft', date: localDate(3) });

  const dayPage = await (await emp.client.call('GET', `/timesheets/day/${locked.date}?lang=en`)).text();
  t.true(dayPage.includes(`href="/timesheets/day/${locked.date}/correction"`), 'the locked day links to the request');
  t.false((await (await emp.client.call('GET', `/timesheets/day/${draft.date}`)).text()).includes('/correction"'), 'a draft is edited directly');

  const form = await emp.client.call('GET', `/timesheets/day/${locked.date}/correction?lang=en`);
  t.is(form.status, 200);
  t.regex(await form.text(), /<option value="[0-9a-f-]{36}">/, 'the day’s entries to choose from');
  const posted = await emp.client.call('POST', `/timesheets/day/${locked.date}/correction`, { text: 'PAGE-MARKER the start time is wrong', entry_id: locked.entryId });
  t.is(posted.status, 302);
  t.is(posted.headers.get('location'), `/timesheets/day/${locked.date}/correction?ok=sent`);
  const after = await (await emp.client.call('GET', `/timesheets/day/${locked.date}/correction?ok=sent&lang=nl`)).text();
  t.regex(after, /Uw verzoek is verstuurd/);
  t.regex(after, /<strong>open<\/strong>: PAGE-MARKER the start time is wrong/);

  const empty = await emp.client.call('POST', `/timesheets/day/${locked.date}/correction?lang=en`, { text: '' });
  t.is(empty.status, 422);
  t.regex(await empty.text(), /role="alert">[^<]*text/, 'the problem names the field');
  const onDraft = await emp.client.call('POST', `/timesheets/day/${draft.date}/correction?lang=en`, { text: 'x' });
  t.is(onDraft.status, 422);
  t.is(await a.db.knex('timesheet_corrections').count<Array<{ n: string }>>('* as n').first().then((r) => Number(r!.n)), 1);
});

test('a restricted person’s correction requests drop out of the admin’s correction inbox', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const day = await buildDay(emp, { projectId, state: 'approved', admin, date: localDate(2) });
  t.is((await emp.client.json('POST', `/api/v1/me/days/${day.date}/corrections`, { text: 'please fix' })).status, 201);
  t.is((await admin.client.json<{ corrections: CorrectionView[] }>('GET', '/api/v1/corrections')).body.corrections.length, 1);
  await a.db.knex('accounts').where({ id: emp.id }).update({ restricted_at: a.db.knex.fn.now() }); // what a granted erasure sets
  t.deepEqual((await admin.client.json<{ corrections: CorrectionView[] }>('GET', '/api/v1/corrections')).body.corrections, []);
});
