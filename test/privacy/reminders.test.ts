import test from 'ava';
import { fixedClock } from '../../src/platform/clock.js';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';
import type { PrivacyDeps } from '../../src/privacy/context.js';
import { addDays } from '../../src/privacy/deadlines.js';
import { sendPrivacyReminders } from '../../src/privacy/reminders.js';
import type { RequestView } from '../../src/privacy/schema.js';
import { startTestApp } from '../helpers/app.js';
import { buildDpo, buildEmployee } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';
import { startSmtp } from '../helpers/smtp.js';

test('privacy officers get reminder mail 7, 3 and 1 days before a deadline, when overdue, and for a breach nearing 72 hours, once each, at a real SMTP server', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const a = await startTestApp(t, { mail: { host: '127.0.0.1', port: smtp.port, tls: 'none' } });
  const dpo = await buildDpo(a, { email: 'dpo@corp.example.test' });
  const emp = await buildEmployee(a, { email: 'emp@corp.example.test' });
  const filed = await emp.client.json<RequestView>('POST', '/api/v1/me/privacy-requests', { kind: 'erasure', text: 'SECRET-TEXT-41' });
  t.is(filed.status, 201);
  const breach = await dpo.client.json<{ number: number }>('POST', '/api/v1/privacy/breaches', {
    detected_at: new Date(Date.now() - 51 * 3_600_000).toISOString(), aware_at: new Date(Date.now() - 50 * 3_600_000).toISOString(), what_happened: 'BREACH-DETAIL-9', data_categories: 'hours',
  });
  t.is(breach.status, 201);
  const deadline = filed.body.deadlines.effective;
  const transport = createTransport(a.config.mail);
  const logger = testLogger(t.title);
  const run = async (at: Date) => {
    const deps: PrivacyDeps = { db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, clock: fixedClock(at) };
    const r = await sendPrivacyReminders(deps);
    await deliverDue(a.app.db, transport, a.config.mail, logger, { cipher: a.app.keys });
    return r;
  };
  const noon = (date: string) => new Date(`${date}T12:00:00+01:00`);

  t.deepEqual(await run(new Date()), { mails: 1, requests: 0, breaches: 1 }, 'aware 50 hours ago: less than 24 of the 72 left');
  t.deepEqual(await run(new Date()), { mails: 0, requests: 0, breaches: 0 }, 'once');
  t.deepEqual(await run(noon(addDays(deadline, -10))), { mails: 1, requests: 0, breaches: 1 }, 'the breach is now overdue; the request not yet due');
  t.deepEqual(await run(noon(addDays(deadline, -7))), { mails: 1, requests: 1, breaches: 0 });
  t.deepEqual(await run(noon(addDays(deadline, -6))), { mails: 0, requests: 0, breaches: 0 });
  t.deepEqual(await run(noon(addDays(deadline, -3))), { mails: 1, requests: 1, breaches: 0 });
  t.deepEqual(await run(noon(addDays(deadline, -1))), { mails: 1, requests: 1, breaches: 0 });
  t.deepEqual(await run(noon(deadline)), { mails: 0, requests: 0, breaches: 0 }, 'the deadline day itself was announced the day before');
  t.deepEqual(await run(noon(addDays(deadline, 1))), { mails: 1, requests: 1, breaches: 0 });
  t.deepEqual(await run(noon(addDays(deadline, 5))), { mails: 0, requests: 0, breaches: 0 }, 'overdue is mailed once');

  t.is(smtp.received.length, 6);
  for (const m of smtp.received) {
    t.deepEqual(m.to, ['dpo@corp.example.test']);
    t.regex(m.raw, new RegExp(`Hello ${dpo.username}`));
    t.regex(m.raw, /\/privacy\/requests/);
    for (const secret of ['SECRET-TEXT-41', 'BREACH-DETAIL-9', emp.username, 'emp@corp.example.test']) t.false(m.raw.includes(secret), `no personal content: ${secret}`);
  }
  const bodies = smtp.received.map((m) => m.raw.replace(/=\r?\n/g, ''));
  t.regex(bodies[0]!, new RegExp(`Breach ${breach.body.number}: the authority must be notified`));
  t.regex(bodies[1]!, /72 hours for notifying the authority passed/);
  t.regex(bodies[2]!, new RegExp(`Request ${filed.body.number}: due in 7 days or less \\(${deadline}\\)`));
  t.regex(bodies[5]!, new RegExp(`Request ${filed.body.number}: OVERDUE since ${deadline}`));

  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const events = await a.db.knex('audit.events').where({ action: 'privacy.reminders.sent' }).count<Array<{ n: string }>>('* as n');
  t.is(Number(events[0]!.n), 6, 'each run that mailed is audited');
});

test('without a privacy officer with a mail address nothing is marked as sent, so the next run still mails', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const emp = await buildEmployee(a);
  const filed = await emp.client.json<RequestView>('POST', '/api/v1/me/privacy-requests', { kind: 'objection' });
  const at = new Date(`${filed.body.deadlines.effective}T12:00:00+01:00`);
  const deps: PrivacyDeps = { db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, clock: fixedClock(at) };
  t.deepEqual(await sendPrivacyReminders(deps), { mails: 0, requests: 0, breaches: 0 });
  await a.db.knex('accounts').where({ id: dpo.id }).update({ email: 'dpo2@corp.example.test' });
  t.deepEqual(await sendPrivacyReminders(deps), { mails: 1, requests: 1, breaches: 0 });
});
