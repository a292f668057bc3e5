import test from 'ava';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';
import type { CorrectionView } from '../../src/timesheets/corrections.js';
import { startTestApp } from '../helpers/app.js';
import { buildDay, buildEmployee, buildOperator, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';
import { startSmtp } from '../helpers/smtp.js';

test('the correction inbox page: 403 for an employee and an operator, nothing for another team’s admin, the admin in scope sees owner, date and text (audited), in nl and en', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const other = await buildTeamAdmin(a, { team: 'team-b' });
  const operator = await buildOperator(a);
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const approved = await buildDay(emp, { projectId, state: 'approved', admin, date: localDate(2) });
  const submitted = await buildDay(emp, { projectId, state: 'submitted', date: localDate(3) });
  t.is((await emp.client.json('POST', `/api/v1/me/days/${approved.date}/corrections`, { text: 'INBOX-SECRET-1 the afternoon was leave', entry_id: approved.entryId })).status, 201);
  t.is((await emp.client.json('POST', `/api/v1/me/days/${submitted.date}/corrections`, { text: 'INBOX-SECRET-2 wrong project' })).status, 201);

  t.is((await emp.client.call('GET', '/timesheets/corrections')).status, 403, 'an employee has no correction inbox');
  t.is((await operator.client.call('GET', '/timesheets/corrections')).status, 403, 'nor has an operator');
  t.is((await emp.client.call('POST', '/timesheets/corrections/00000000-0000-4000-8000-000000000000/resolve', { action: 'decline' })).status, 403);
  const foreign = await other.client.call('GET', '/timesheets/corrections?lang=en');
  t.is(foreign.status, 200);
  const foreignHtml = await foreign.text();
  t.false(foreignHtml.includes('INBOX-SECRET'), 'another team’s admin sees none of it');
  t.regex(foreignHtml, /id="corrections-empty"/);

  const inbox = await (await admin.client.call('GET', '/timesheets/inbox?lang=en')).text();
  t.regex(inbox, /href="\/timesheets\/corrections" id="corrections-link">Correction requests \(2\)/, 'the inbox links to them with the count');
  const reads = () => a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', actor_id: admin.id, object_type: 'timesheet_correction' }).count<Array<{ n: string }>>('* as n').first().then((r) => Number(r!.n));
  t.is(await reads(), 0, 'the count reads nothing personal');

  const en = await admin.client.call('GET', '/timesheets/corrections?lang=en');
  t.is(en.status, 200);
  const body = await en.text();
  t.true(body.includes('INBOX-SECRET-1 the afternoon was leave') && body.includes('INBOX-SECRET-2 wrong project'));
  t.true(body.includes(approved.date) && body.includes(submitted.date));
  t.true(body.includes(emp.username), 'the owner is named');
  t.regex(body, /name="_csrf" value="[^"]+"/, 'each form carries the CSRF field');
  t.regex(body, /Reopen the day/, 'an approved day is reopened');
  t.regex(body, /Return the day/, 'a submitted day is returned');
  t.is(await reads(), 2, 'each listed request is an audited read');
  const nl = await (await admin.client.call('GET', '/timesheets/corrections?lang=nl')).text();
  t.regex(nl, /Correctieverzoeken/);
  t.regex(nl, /Dag heropenen/);
});

test('the admin resolves by form post: reopen puts the approved day back with the request as reason, decline closes the other; errors re-render with a message', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const other = await buildTeamAdmin(a, { team: 'team-b' });
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const approved = await buildDay(emp, { projectId, state: 'approved', admin, date: localDate(2) });
  const submitted = await buildDay(emp, { projectId, state: 'submitted', date: localDate(3) });
  const one = await emp.client.json<CorrectionView>('POST', `/api/v1/me/days/${approved.date}/corrections`, { text: 'FORM-SECRET the start is wrong' });
  const two = await emp.client.json<CorrectionView>('POST', `/api/v1/me/days/${submitted.date}/corrections`, { text: 'not needed after all' });

  t.is((await other.client.call('POST', `/timesheets/corrections/${one.body.id}/resolve`, { action: 'reopen' })).status, 404, 'outside the scope: not there');
  const bad = await admin.client.call('POST', `/timesheets/corrections/${one.body.id}/resolve?lang=en`, { action: 'approve' });
  t.is(bad.status, 422);
  t.regex(await bad.text(), /role="alert">[^<]*action/, 'the problem names the field');

  const done = await admin.client.call('POST', `/timesheets/corrections/${one.body.id}/resolve`, { action: 'reopen' });
  t.is(done.status, 302);
  t.is(done.headers.get('location'), '/timesheets/corrections?ok=reopened');
  const day = await emp.client.json<{ state: string; comment: string | null }>('GET', `/api/v1/me/days/${approved.date}`);
  t.is(day.body.state, 'returned');
  t.regex(day.body.comment ?? '', /FORM-SECRET/, 'the request is the reason');

  const again = await admin.client.call('POST', `/timesheets/corrections/${one.body.id}/resolve?lang=en`, { action: 'decline' });
  t.is(again.status, 422, 'resolved once');
  t.regex(await again.text(), /role="alert">[^<]*already reopened/);

  t.is((await admin.client.call('POST', `/timesheets/corrections/${two.body.id}/resolve`, { action: 'decline' })).headers.get('location'), '/timesheets/corrections?ok=declined');
  t.is((await emp.client.json<{ state: string }>('GET', `/api/v1/me/days/${submitted.date}`)).body.state, 'submitted', 'a declined request leaves the day as it was');
  const after = await (await admin.client.call('GET', '/timesheets/corrections?ok=declined&lang=en')).text();
  t.regex(after, /role="status">The request was declined/);
  t.regex(after, /id="corrections-empty"/);
});

test('a correction request mails the admins in scope once, at a real SMTP server on loopback: the date and the link, no name and no text', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const a = await startTestApp(t, { mail: { host: '127.0.0.1', port: smtp.port, tls: 'none' } });
  const admin = await buildTeamAdmin(a, { team: 'team-a', email: 'admin@corp.example.test' });
  await buildTeamAdmin(a, { team: 'team-b', email: 'other@corp.example.test' });
  const emp = await buildEmployee(a, { team: 'team-a', email: 'owner@corp.example.test' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const day = await buildDay(emp, { projectId, state: 'approved', admin, date: localDate(2) });
  const transport = createTransport(a.config.mail);
  const logger = testLogger(t.title);
  await deliverDue(a.app.db, transport, a.config.mail, logger, { cipher: a.app.keys }); // the submit mail, out of the way
  const before = smtp.received.length;

  t.is((await emp.client.json('POST', `/api/v1/me/days/${day.date}/corrections`, { text: 'MAIL-SECRET the afternoon was leave' })).status, 201);
  await deliverDue(a.app.db, transport, a.config.mail, logger, { cipher: a.app.keys });
  await deliverDue(a.app.db, transport, a.config.mail, logger, { cipher: a.app.keys });
  const got = smtp.received.slice(before);
  t.is(got.length, 1, 'one mail');
  const mail = got[0]!;
  t.deepEqual(mail.to, ['admin@corp.example.test'], 'only the admin in scope');
  t.regex(mail.raw, new RegExp(day.date));
  t.regex(mail.raw, /\/timesheets\/corrections/);
  t.notRegex(mail.raw, /MAIL-SECRET/, 'no request text');
  t.notRegex(mail.raw, new RegExp(emp.username), 'no name');
  t.notRegex(mail.raw, /owner@corp/, 'no owner address');

  await a.db.knex('accounts').where({ id: emp.id }).update({ restricted_at: a.db.knex.fn.now() }); // what a granted restriction sets
  t.is((await emp.client.json('POST', `/api/v1/me/days/${day.date}/corrections`, { text: 'a second one' })).status, 201);
  await deliverDue(a.app.db, transport, a.config.mail, logger, { cipher: a.app.keys });
  t.is(smtp.received.length, before + 1, 'a restricted person’s request stays out of the inbox and so mails nobody');
});
