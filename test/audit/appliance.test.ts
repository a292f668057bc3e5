import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { verifyDatabase } from '../../src/audit/verify.js';
import { QUEUES } from '../../src/app/jobs.js';

test('the appliance signs a checkpoint at shutdown covering everything appended, and the log verifies', async (t) => {
  const { app, db } = await startTestApp(t);
  await app.db.transaction((trx) => app.services.audit.record(trx, { action: AUDIT_ACTIONS.configChanged, actorId: 'system', payload: { key: 'ui.default_language' } }));
  await app.services.audit.flush();
  const head = await db.knex.withSchema('audit').table('events').max({ m: 'seq' }).first();
  await app.stop();
  const cps = await db.knex.withSchema('audit').table('checkpoints').orderBy('number');
  t.is(cps.length, 1);
  t.is(String(cps[0].last_seq), String(head!.m));
  const own = app.keyring.auditSigningKey();
  const r = await verifyDatabase(db.knex, { keys: [{ keyId: own.keyId, publicKey: own.publicKey }] });
  t.deepEqual(r.problems, []);
  t.is(r.lastCheckpointedSeq, Number(head!.m));
});

test('the audit.checkpoint job is scheduled hourly and signs a checkpoint when run', async (t) => {
  const { app, db } = await startTestApp(t, {}, { jobs: true });
  await app.db.transaction((trx) => app.services.audit.record(trx, { action: AUDIT_ACTIONS.configChanged, actorId: 'system' }));
  const schedules = await app.jobs!.boss.getSchedules();
  t.like(schedules.find((s) => s.name === QUEUES.auditCheckpoint), { cron: '0 * * * *' });
  await app.jobs!.boss.send(QUEUES.auditCheckpoint, {});
  const checkpoints = async () => Number((await db.knex.withSchema('audit').table('checkpoints').count({ n: '*' }))[0]!.n);
  await waitUntil(checkpoints, { timeoutMs: 30_000, what: 'the audit.checkpoint job to sign a checkpoint' });
  t.is(await checkpoints(), 1);
});
