import test from 'ava';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { chainOnce } from '../../src/audit/chainer.js';
import { recordPlainEvents } from '../../src/audit/service.js';
import { verifyDatabase } from '../../src/audit/verify.js';
import { createKnex } from '../../src/platform/db.js';
import { startTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { buildEmployee } from '../helpers/factories.js';
import { auditSetup, chained, tamper } from './helpers.js';
import { nodeScript } from '../helpers/env.js';

const event = (i: number) => ({ action: AUDIT_ACTIONS.configChanged, actorId: `acct-${i}`, payload: { i } });
const count = async (knex: import('knex').Knex, table: string) => Number((await knex(table).count({ n: '*' }).first())!.n);

test('a recorded event is staged, not chained, until a flush; the flush chains it and empties the staging table', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await count(knex, 'audit.events');
  const r = await knex.transaction((trx) => audit.record(trx, event(1)));
  t.is(await count(knex, 'audit.events'), before, 'no lock, no head read, no chain row at record time');
  t.is(await count(knex, 'audit.pending'), 1);
  await audit.flush();
  t.is(await count(knex, 'audit.pending'), 0);
  const [c] = await chained(knex, [r]);
  t.is(c!.seq, before + 1);
  t.true((await verifyDatabase(knex, { keys: trusted })).ok);
});

test('40 concurrent callers, each recording one event and flushing: every flush returns with its own event chained, one gapless chain', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await count(knex, 'audit.events');
  const ids = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    const r = await knex.transaction((trx) => audit.record(trx, { ...event(i), subjectId: `acct-${i}`, personal: i % 4 ? null : { ip: `198.51.100.${i}` } }));
    await audit.flush();
    // Chained by the time this caller's flush resolves, whoever's pass took it.
    t.truthy(await knex('audit.events').where({ id: r.id }).first(), `caller ${i}'s event is chained when its flush returns`);
    return r;
  }));
  const seqs = (await chained(knex, ids)).map((c) => c.seq).sort((a, b) => a - b);
  t.deepEqual(seqs, seqs.map((_, i) => before + 1 + i));
  t.is(await count(knex, 'audit.pending'), 0);
  const report = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(report.problems, []);
});

test('staged events are part of the record: UPDATE, TRUNCATE and DELETE of an unchained or altered row are refused, also for a superuser in replica mode', async (t) => {
  const { knex, audit } = await auditSetup(t);
  await knex.transaction((trx) => audit.recordMany(trx, [event(1), event(2)]));
  for (const replica of [false, true]) {
    for (const sql of ["UPDATE audit.pending SET actor_id = 'x'", 'DELETE FROM audit.pending', 'TRUNCATE audit.pending']) {
      const err = await t.throwsAsync(knex.transaction(async (trx) => {
        if (replica) await trx.raw('SET LOCAL session_replication_role = replica');
        await trx.raw(sql);
      }));
      t.regex(err!.message, /append-only/, `${sql} (replica=${replica})`);
    }
  }
  t.is(await count(knex, 'audit.pending'), 2);
  // A forged chain row with the same id but other content does not license the delete.
  const staged = await knex('audit.pending').orderBy('n').first();
  await tamper(knex, `INSERT INTO audit.events (seq, id, at, actor_id, action, payload, prev_hash, hash)
    SELECT coalesce(max(seq), 0) + 1, ?, now(), 'someone-else', 'config.setting.changed', '{}', repeat('0', 64), repeat('e', 64) FROM audit.events`, [staged.id]);
  await t.throwsAsync(knex.raw('DELETE FROM audit.pending WHERE n = ?', [staged.n]), { message: /append-only/ });
  t.is(await count(knex, 'audit.pending'), 2);
  // The delete guard checks the statement's rows as one set: one chained row beside an
  // unchained one does not carry the statement; nothing is deleted.
  const [first, second] = await knex('audit.pending').orderBy('n');
  await tamper(knex, `INSERT INTO audit.events (seq, id, at, actor_id, subject_id, action, object_type, object_id, payload, personal, prev_hash, hash)
    SELECT coalesce(max(seq), 0) + 1, ?, now(), ?, ?, ?, ?, ?, ?::jsonb, ?, repeat('0', 64), repeat('d', 64) FROM audit.events`,
  [second.id, second.actor_id, second.subject_id, second.action, second.object_type, second.object_id, JSON.stringify(second.payload), second.personal]);
  await t.throwsAsync(knex.raw('DELETE FROM audit.pending WHERE n = ANY(?)', [[first.n, second.n]]), { message: /append-only/ });
  t.is(await count(knex, 'audit.pending'), 2);
  await knex.raw('DELETE FROM audit.pending WHERE n = ?', [second.n]);
  t.is(await count(knex, 'audit.pending'), 1, 'a row whose event is in the chain with the same content may leave');
});

test('an app role with the audit grant stages and chains, but cannot alter or drop staged events', async (t) => {
  const { db, knex } = await auditSetup(t);
  const role = `audit_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await knex.raw(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE uurwerk_audit_append`);
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  const app = createKnex({ connectionString: url.toString() }, { database: { pool_max: 2, statement_timeout_ms: 30000 } } as never);
  t.teardown(async () => {
    await app.destroy();
    await db.drop();
    const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });
  await app.transaction((trx) => recordPlainEvents(trx, [event(1)]));
  await t.throwsAsync(app.raw("UPDATE audit.pending SET actor_id = 'x'"), { message: /append-only|permission denied/ });
  await t.throwsAsync(app.raw('DELETE FROM audit.pending'), { message: /append-only/ });
  await t.throwsAsync(app.raw('TRUNCATE audit.pending'), { message: /permission denied|append-only/ });
  t.is(await chainOnce(app), 1, 'the app role runs a chain pass');
  t.is(await count(knex, 'audit.pending'), 0);
});

test('events committed but not chained when the process is killed are chained at the next start; audit:verify is clean', async (t) => {
  const db = await createTestDatabase();
  const fixture = fileURLToPath(new URL('./fixtures/stage-then-die.ts', import.meta.url));
  const child = spawn(process.execPath, [...nodeScript(fixture), db.url, '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
  t.is(signal, 'SIGKILL');
  t.regex(out, /staged/);
  t.is(await count(db.knex, 'audit.pending'), 3, 'committed, staged, not chained');
  const { app } = await startTestApp(t, { database: { url: db.url } });
  t.teardown(() => db.drop());
  t.is(await count(db.knex, 'audit.pending'), 0, 'the start chained them');
  t.is((await db.knex('audit.events').where({ actor_id: 'cli:crash-test' }).select('id')).length, 3);
  await app.stop();
  const own = app.keyring.auditSigningKey();
  const r = await verifyDatabase(db.knex, { keys: [{ keyId: own.keyId, publicKey: own.publicKey }] });
  t.deepEqual(r.problems, []);
});

test('a request that records an event answers only once the event is chained', async (t) => {
  const a = await startTestApp(t);
  const emp = await buildEmployee(a); // signs in over HTTP: the sign-in events are recorded by those requests
  t.is(await count(a.db.knex, 'audit.pending'), 0, 'nothing left staged when the answer arrived');
  const rows = await a.db.knex('audit.events').where({ actor_id: emp.id }).select('action');
  t.true(rows.some((r: { action: string }) => r.action === AUDIT_ACTIONS.loginSucceeded), JSON.stringify(rows));
});
