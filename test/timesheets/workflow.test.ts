import test from 'ava';
import { outboxMails } from '../helpers/mail.js';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';
import { startSmtp } from '../helpers/smtp.js';
import { testLogger } from '../helpers/log.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

type Err = { error: { code: string } };
type Day = { id: string; state: string; comment: string | null; entries: Array<{ note: string }> };

async function team(t: Parameters<typeof timesheetApp>[0], overrides: Record<string, unknown> = {}) {
  const { a, projectId } = await timesheetApp(t, overrides);
  const owner = await person(a, { inTeam: 'team-a', email: 'owner@corp.example.test' });
  const admin = await person(a, { adminOf: 'team-a', email: 'admin@corp.example.test' });
  const admin2 = await person(a, { adminOf: 'team-a', email: 'admin2@corp.example.test' });
  const entry = async (date: string, note = 'handover notes') => {
    const r = await owner.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '16:00'), project_id: projectId, note });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body.id;
  };
  return { a, projectId, owner, admin, admin2, entry };
}

test('submit → return with comment → correct → resubmit → approve → reopen with reason; mails and audit once each', async (t) => {
  const { a, owner, admin, entry } = await team(t);
  const date = daysAgo(1);
  const entryId = await entry(date);
  const sub = await owner.c.json<Day>('POST', `/api/v1/me/days/${date}/submit`);
  t.is(sub.status, 200);
  t.is(sub.body.state, 'submitted');
  const row = await a.db.knex('timesheet_days').where({ id: sub.body.id }).first();
  t.deepEqual(row.scope_teams, ['team-a']);
  t.is(row.scope_admin_ids.length, 2);
  // Frozen: the owner cannot change a submitted day.
  const frozen = await owner.c.json<Err>('PATCH', `/api/v1/me/entries/${entryId}`, { note: 'late change' });
  t.is(frozen.status, 409);
  t.is(frozen.body.error.code, 'day_locked');
  const mails = await outboxMails(a.db.knex, a.app.keys);
  t.is(mails.length, 1, 'one submit mail');
  t.deepEqual([...mails[0]!.recipients].sort(), ['admin2@corp.example.test', 'admin@corp.example.test']);
  t.false(String(mails[0]!.stored).includes(date), 'the body rests sealed in the outbox');
  t.regex(mails[0]!.text, /submitted for your review/);
  t.false(mails[0]!.text.includes('handover notes'), 'the mail carries no entry contents');
  t.false(`${mails[0]!.subject}${mails[0]!.text}`.includes(owner.username), 'the mail names nobody');

  const inbox = await admin.c.json<{ total: number; days: Array<{ id: string; total_minutes: number }> }>('GET', '/api/v1/days');
  t.is(inbox.body.total, 1);
  t.is(inbox.body.days[0]!.total_minutes, 480);
  const ret = await admin.c.json<{ state: string }>('POST', `/api/v1/days/${sub.body.id}/return`, { comment: 'please split the afternoon' });
  t.is(ret.status, 200);
  t.is(ret.body.state, 'returned');
  const returnMail = await outboxMails(a.db.knex, a.app.keys, { recipients: ['owner@corp.example.test'] });
  t.is(returnMail.length, 1);
  t.false(returnMail[0]!.text.includes('please split'), 'the comment stays in its encrypted column; the mail links to it');
  t.regex(returnMail[0]!.text, new RegExp(`/timesheets/day/${date}`));
  const seen = await owner.c.json<Day>('GET', `/api/v1/me/days/${date}`);
  t.is(seen.body.comment, 'please split the afternoon');
  // The comment is stored encrypted under the owner's key.
  t.false(String((await a.db.knex('timesheet_days').where({ id: sub.body.id }).first()).comment).includes('split'));

  // Correcting a returned day makes it a draft again: the admin no longer sees it.
  t.is((await owner.c.json('PATCH', `/api/v1/me/entries/${entryId}`, { note: 'split' })).status, 200);
  t.is((await admin.c.json('GET', `/api/v1/days/${sub.body.id}`)).status, 404);
  t.is((await owner.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  const appr = await admin.c.json<{ state: string }>('POST', `/api/v1/days/${sub.body.id}/approve`);
  t.is(appr.status, 200);
  t.is(appr.body.state, 'approved');
  t.is((await owner.c.json('PATCH', `/api/v1/me/entries/${entryId}`, { note: 'after approval' })).status, 409);
  t.is((await owner.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 409);
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/reopen`, {})).status, 422, 'a reason is required');
  const reopen = await admin.c.json<{ state: string }>('POST', `/api/v1/days/${sub.body.id}/reopen`, { reason: 'payroll correction' });
  t.is(reopen.status, 200);
  t.is(reopen.body.state, 'returned');
  const actions = await a.db.knex('audit.events').where('subject_id', owner.id).where('action', 'like', 'timesheet.day.%').orderBy('seq').pluck('action');
  t.deepEqual(actions, ['timesheet.day.submitted', 'timesheet.day.returned', 'timesheet.day.redrafted', 'timesheet.day.submitted', 'timesheet.day.approved', 'timesheet.day.reopened']);
  const reopenEvent = await a.db.knex('audit.events').where({ action: 'timesheet.day.reopened' }).first('seq', 'personal');
  t.false(String(reopenEvent.personal).includes('payroll'), 'the reason is encrypted in the audit log');
  t.deepEqual(await a.app.services.audit.readPersonal(a.db.knex, Number(reopenEvent.seq)), { reason: 'payroll correction' });
  t.is(await a.db.knex('mail_outbox').count({ n: '*' }).first().then((r) => Number(r!.n)), 4, 'submit, return, submit, reopen');
});

test('bulk approve is all or none; approving an own day is not possible', async (t) => {
  const { a, owner, admin, entry } = await team(t);
  const d1 = daysAgo(1);
  const d2 = daysAgo(2);
  await entry(d1);
  await entry(d2);
  const s1 = await owner.c.json<Day>('POST', `/api/v1/me/days/${d1}/submit`);
  const draft = await owner.c.json<Day>('GET', `/api/v1/me/days/${d2}`);
  const mixed = await admin.c.json('POST', '/api/v1/days/approve', { ids: [s1.body.id, draft.body.id] });
  t.is(mixed.status, 404, 'a draft in the list is indistinguishable from an unknown id');
  t.is((await a.db.knex('timesheet_days').where({ id: s1.body.id }).first()).state, 'submitted', 'nothing was approved');
  const s2 = await owner.c.json<Day>('POST', `/api/v1/me/days/${d2}/submit`);
  const both = await admin.c.json<{ days: Array<{ state: string }> }>('POST', '/api/v1/days/approve', { ids: [s1.body.id, s2.body.id] });
  t.is(both.status, 200);
  t.deepEqual(both.body.days.map((d) => d.state), ['approved', 'approved']);
  // An admin who is also in the team's scope cannot approve their own day.
  await a.db.knex('team_scope_members').insert({ team: 'team-a', account_id: admin.id, via: 'test' });
  await admin.c.json('POST', '/api/v1/me/entries', { date: d1, duration_minutes: 60, project_id: (await a.db.knex('projects').first('id')).id });
  const own = await admin.c.json<Day>('POST', `/api/v1/me/days/${d1}/submit`);
  t.is(own.status, 200);
  t.is((await admin.c.json('POST', `/api/v1/days/${own.body.id}/approve`)).status, 403); // visible (their own), but reviewing is not theirs
});

test('concurrency: two submits, submit vs edit, approve vs return — one winner, no lost update, mails once', async (t) => {
  const { a, owner, admin, admin2, entry } = await team(t);
  // Two submits of the same day at once.
  const d0 = daysAgo(1);
  await entry(d0);
  const [x, y] = await Promise.all([owner.c.json('POST', `/api/v1/me/days/${d0}/submit`), owner.c.json('POST', `/api/v1/me/days/${d0}/submit`)]);
  t.deepEqual([x.status, y.status].sort(), [200, 409]);
  t.is(await a.db.knex('mail_outbox').count({ n: '*' }).first().then((r) => Number(r!.n)), 1);

  // Submit racing an edit: either the edit lands before the submit (and is what the admin sees) or it is refused.
  for (let i = 2; i <= 5; i++) {
    const date = daysAgo(i);
    const id = await entry(date, 'before');
    const [edit, submit] = await Promise.all([
      owner.c.json('PATCH', `/api/v1/me/entries/${id}`, { note: 'after' }),
      owner.c.json<Day>('POST', `/api/v1/me/days/${date}/submit`),
    ]);
    t.is(submit.status, 200);
    t.true([200, 409].includes(edit.status));
    const seen = await admin.c.json<Day>('GET', `/api/v1/days/${submit.body.id}`);
    t.is(seen.body.entries[0]!.note, edit.status === 200 ? 'after' : 'before', 'no lost update');
    t.is(seen.body.state, 'submitted');

    // Two admins: one approves while the other returns.
    const [ap, re] = await Promise.all([
      admin.c.json('POST', `/api/v1/days/${submit.body.id}/approve`),
      admin2.c.json('POST', `/api/v1/days/${submit.body.id}/return`, { comment: 'no' }),
    ]);
    t.deepEqual([ap.status, re.status].sort(), [200, 409]);
    const final = await a.db.knex('timesheet_days').where({ id: submit.body.id }).first();
    t.is(final.state, ap.status === 200 ? 'approved' : 'returned');
    t.is(final.approved_by, ap.status === 200 ? admin.id : null);
  }
  const returnMails = await a.db.knex('mail_outbox').where({ recipients: ['owner@corp.example.test'] }).count({ n: '*' }).first();
  const returned = await a.db.knex('timesheet_days').where({ state: 'returned' }).count({ n: '*' }).first();
  t.is(Number(returnMails!.n), Number(returned!.n), 'one return mail per returned day');
});

test('submit and return mails arrive at a real SMTP server on loopback, once each, saying what happened without names or comments', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const { a, owner, admin, entry } = await team(t, { mail: { host: '127.0.0.1', port: smtp.port, tls: 'none' } });
  const date = daysAgo(1);
  await entry(date);
  const sub = await owner.c.json<Day>('POST', `/api/v1/me/days/${date}/submit`);
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/return`, { comment: 'wrong project' })).status, 200);
  const transport = createTransport(a.config.mail);
  const logger = testLogger(t.title);
  await deliverDue(a.app.db, transport, a.config.mail, logger, { cipher: a.app.keys });
  await deliverDue(a.app.db, transport, a.config.mail, logger, { cipher: a.app.keys });
  t.is(smtp.received.length, 2);
  const toAdmins = smtp.received.find((m) => m.to.includes('admin@corp.example.test'));
  const toOwner = smtp.received.find((m) => m.to.includes('owner@corp.example.test'));
  t.truthy(toAdmins);
  t.deepEqual(toAdmins!.to.sort(), ['admin2@corp.example.test', 'admin@corp.example.test']);
  t.truthy(toOwner);
  t.notRegex(toOwner!.raw, /wrong project/, 'the return comment never travels by mail');
  t.regex(toOwner!.raw, /timesheets\/day\//);
  t.notRegex(toAdmins!.raw, new RegExp(owner.username), 'the submit mail names nobody');
});
