/**
 * The daily job as the appliance schedules it, and the leavers' path: access ends at
 * deactivation, the profile goes once `retention.leavers` has passed.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { QUEUES } from '../../src/app/jobs.js';
import { planSync } from '../../src/directory/plan.js';
import { applyDirectoryChanges, directoryIdentityState } from '../../src/identity/directory-accounts.js';
import { parseConfig } from '../../src/platform/config.js';
import { runRetention } from '../../src/retention/run.js';
import { startTestApp } from '../helpers/app.js';
import { buildEmployee } from '../helpers/factories.js';
import { waitUntil } from '../helpers/wait.js';
import { appRetentionDeps, auditEvents, seedSentMails } from './support.js';

test('the retention job is scheduled on retention.cron and a queued job runs the retention (audited as the system)', async (t) => {
  const a = await startTestApp(t, { retention: { cron: '17 4 * * *' } }, { jobs: true });
  const boss = a.app.jobs!.boss;
  const schedules = new Map((await boss.getSchedules()).map((s) => [s.name, s.cron]));
  t.is(schedules.get(QUEUES.retention), '17 4 * * *');
  t.like(await boss.getQueue(QUEUES.retention), { retryLimit: 0 });
  await seedSentMails(a.db.knex, 4, 45);
  await boss.send(QUEUES.retention, {});
  await waitUntil(async () => (await a.db.knex('retention_runs').where({ status: 'done' }).first()) ?? false, { timeoutMs: 30_000, what: 'the job to finish a run' });
  t.is(Number((await a.db.knex('mail_outbox').count<{ n: string }[]>({ n: '*' }).first())!.n), 0);
  const [event] = await auditEvents(a.db.knex, 'retention.run');
  t.is(event!.actor_id, 'system');
});

test('a leaver loses sessions and tokens at deactivation, and after retention.leavers the profile, password, second factor and tokens; the account row stays', async (t) => {
  const a = await startTestApp(t);
  const leaver = await buildEmployee(a, { email: 'leaver@example.test' });
  const stayer = await buildEmployee(a);
  // A local account left here as the directory would leave a directory one.
  await a.db.knex('accounts').where({ id: leaver.id }).update({ source: 'directory', directory_id: 'guid-leaver', dn: 'CN=leaver,OU=Staff,DC=x', display_name: 'Lea Ver' });
  await a.db.knex('api_tokens').insert({ account_id: leaver.id, name: 'agent', token_hash: randomBytes(32), scopes: ['time:write'], expires_at: new Date(Date.now() + 86_400_000) });
  t.is((await leaver.client.json('GET', '/api/v1/me')).status, 200);

  // The directory sync's own plan and apply: a full run that no longer finds the person.
  const config = parseConfig({}, 'test').directory;
  await a.db.knex.transaction(async (trx) => {
    const state = await directoryIdentityState(trx);
    const plan = planSync({ config, now: new Date(), ...state, fetched: { mode: 'full', users: [], members: new Map() } });
    t.deepEqual(plan.diff.deactivated.map((d) => d.accountId), [leaver.id]);
    await applyDirectoryChanges(trx, { ...plan, revokeSessions: plan.diff.revokeSessions });
  });
  t.is((await leaver.client.json('GET', '/api/v1/me')).status, 401, 'the session ended at once');
  t.is(Number((await a.db.knex('sessions').where({ account_id: leaver.id }).whereNull('revoked_at').count<{ n: string }[]>({ n: '*' }).first())!.n), 0);
  t.is(Number((await a.db.knex('api_tokens').where({ account_id: leaver.id }).whereNull('revoked_at').count<{ n: string }[]>({ n: '*' }).first())!.n), 0, 'tokens revoked at once');
  t.is((await stayer.client.json('GET', '/api/v1/me')).status, 200);

  const deps = appRetentionDeps(a, t.title);
  const early = await runRetention(deps, { startedBy: 'test' });
  t.deepEqual(early.counts.leavers, { accounts: 0 }, 'not before the period has passed');
  const later = new Date(Date.now() + 366 * 86_400_000);
  const dry = await runRetention(deps, { startedBy: 'test', asOf: later, dryRun: true });
  t.deepEqual(dry.counts.leavers, { accounts: 1 });
  await a.db.knex('accounts').where({ id: leaver.id }).update({ status_changed_at: new Date(Date.now() - 366 * 86_400_000) });
  const run = await runRetention(deps, { startedBy: 'test' });
  t.deepEqual(run.counts.leavers, { accounts: 1 });
  const row = await a.db.knex('accounts').where({ id: leaver.id }).first();
  t.like(row, { username: `erased-${leaver.id}`, directory_id: `erased:${leaver.id}`, dn: null, display_name: null, email: null, status: 'deactivated' });
  for (const table of ['local_credentials', 'totp_factors', 'api_tokens', 'sessions', 'recovery_codes']) {
    t.is(Number((await a.db.knex(table).where({ account_id: leaver.id }).count<{ n: string }[]>({ n: '*' }).first())!.n), 0, table);
  }
  t.is((await a.db.knex('accounts').where({ id: stayer.id }).first()).profile_erased_at, null);
});
