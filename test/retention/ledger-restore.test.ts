import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { startAppliance, type Appliance } from '../../src/app/appliance.js';
import { KeyShreddedError } from '../../src/keys/errors.js';
import { openShredLedger } from '../../src/keys/ledger.js';
import { openKeyring } from '../../src/keys/lifecycle.js';
import { createKeyService } from '../../src/keys/service.js';
import { findPgTools, openDumpTarget, restoreDatabase } from '../../src/ops/backup.js';
import { parseConfig, type Config } from '../../src/platform/config.js';
import { createKnex, type Knex } from '../../src/platform/db.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';

/**
 * Erasure survives restore (issue 12): back up today, shred a person's keys, restore
 * today's backup — the shredded data stays unreadable, and the audit log says the
 * erasure was replayed. With the real `uurwerk backup` / `restore` commands, and with
 * a restore made behind Uurwerk's back (the start replays it).
 */

interface Site {
  db: TestDatabase;
  dir: string;
  configFile: string;
  config: Readonly<Config>;
}

function site(t: ExecutionContext, db: TestDatabase): Site {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-ledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, `data_dir: ${dir}/data\nserver:\n  port: 0\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  const config = parseConfig({ data_dir: `${dir}/data`, server: { port: 0 }, database: { url: db.url }, log: { level: 'debug' } }, 'test');
  return { db, dir, configFile, config };
}

const start = (s: Site, title: string) => startAppliance(s.config, testLogger(title), { jobs: false });
const ref = (id: string) => ({ table: 'diary', column: 'note', rowId: id });
// Options as variables: the purpose the keys service asks for since issue 12 (a record key).
const record2025 = { year: 2025, purpose: 'record' as const };

/** Two people's notes, and an audit event with personal details about the first. */
async function seed(app: Appliance, erased: string, kept: string): Promise<void> {
  await app.db.raw('CREATE TABLE diary (id text PRIMARY KEY, subject text NOT NULL, note text NOT NULL)');
  for (const [id, subject, note] of [['d1', erased, 'Gesprek bedrijfsarts'], ['d2', erased, 'Rouwverlof'], ['d3', kept, 'Training']] as const) {
    await app.db('diary').insert({ id, subject, note: await app.keys.encrypt(app.db, subject, ref(id), note, record2025) });
  }
  await app.db.transaction((trx) => app.services.audit.record(trx, { action: 'privacy.personal_data.read', actorId: 'system', subjectId: erased, personal: { reason: 'medisch' } }));
}

/** Reads every diary note with a fresh key service: plaintext, or 'shredded'. */
async function readNotes(s: Site, knex: Knex, title: string): Promise<Record<string, string>> {
  const keys = createKeyService(await openKeyring(s.config, knex, { logger: testLogger(title), create: false }), testLogger(title));
  const out: Record<string, string> = {};
  for (const row of await knex('diary').orderBy('id')) {
    out[row.id] = await keys.decrypt(knex, row.subject, ref(row.id), row.note).catch((err: unknown) => (err instanceof KeyShreddedError ? 'shredded' : String(err)));
  }
  return out;
}

async function replayEvents(knex: Knex): Promise<Array<{ actor_id: string; payload: { count: number; key_ids: string[] } }>> {
  return knex('audit.events').where({ action: 'keys.shred_replayed' }).orderBy('seq').select('actor_id', 'payload');
}

test('backup today → shred a person → `uurwerk restore` of today\'s backup: the shredded data stays unreadable and the audit log says the erasure was replayed', async (t) => {
  const db = await useTestDatabase(t);
  const s = site(t, db);
  const [erased, kept] = [randomUUID(), randomUUID()];
  let app = await start(s, t.title);
  await seed(app, erased, kept);
  const dump = path.join(s.dir, 'today.dump');
  const backup = await runCli(['backup', '--out', dump, '--config', s.configFile]);
  t.is(backup.code, 0, backup.stderr);

  // Two keys: 2025 (the notes) and this year (the audit event's personal details).
  const shreddedIds = (await app.db('data_keys').where({ subject: erased }).orderBy('id').select('id')).map((r: { id: string }) => r.id);
  t.is(shreddedIds.length, 2);
  t.is(await app.keys.shred(app.db, erased), 2);
  const ledger = openShredLedger(app.keyring.dir);
  t.deepEqual(ledger.read().records.map((r) => [r.keyId, r.subject]).sort(), shreddedIds.map((id) => [id, erased]));
  await app.stop();
  await db.knex.destroy(); // the restore refuses while other sessions are connected

  const restore = await runCli(['restore', '--in', dump, '--config', s.configFile]);
  t.is(restore.code, 0, restore.stderr);
  t.regex(restore.stdout, /decryption check: OK/);
  t.regex(restore.stdout, /shred ledger: 2 data key\(s\) shredded since this dump destroyed again/);

  const knex = createKnex({ connectionString: db.url }, s.config);
  t.teardown(() => knex.destroy());
  t.is((await knex('data_keys').whereIn('id', shreddedIds)).length, 0, 'the restored key is gone again');
  t.deepEqual(await readNotes(s, knex, t.title), { d1: 'shredded', d2: 'shredded', d3: 'Training' });
  const events = await replayEvents(knex);
  t.is(events.length, 1);
  t.is(events[0]!.payload.count, 2);
  t.deepEqual([...events[0]!.payload.key_ids].sort(), shreddedIds);
  t.regex(events[0]!.actor_id, /^cli:/);
  t.is((await knex('key_tombstones').where({ subject: erased })).length, 2, 'a tombstone per year, so no new key is made for it');

  // The next start finds nothing left to replay: no second event, and it serves.
  app = await start(s, t.title);
  const health = await fetch(`${app.url}/healthz`);
  t.is(health.status, 200);
  const personal = (await app.db('audit.events').where({ subject_id: erased, action: 'privacy.personal_data.read' }).first('seq')) as { seq: string };
  await t.throwsAsync(app.services.audit.readPersonal(app.db, Number(personal.seq)), { instanceOf: KeyShreddedError });
  await app.stop();
  t.is((await replayEvents(knex)).length, 1);
});

test('a restore made behind Uurwerk\'s back (plain pg_restore) is replayed at the next start, before the appliance serves', async (t) => {
  const db = await useTestDatabase(t);
  const s = site(t, db);
  const [erased, kept] = [randomUUID(), randomUUID()];
  let app = await start(s, t.title);
  await seed(app, erased, kept);
  const dump = path.join(s.dir, 'today.dump');
  t.is((await runCli(['backup', '--out', dump, '--config', s.configFile])).code, 0);
  await app.keys.shred(app.db, erased, 2025);
  await app.stop();
  await db.knex.destroy();

  const logger = testLogger(t.title);
  const target = await openDumpTarget(s.config, logger);
  await restoreDatabase(target, findPgTools(), dump);
  await target.release();
  const knex = createKnex({ connectionString: db.url }, s.config);
  t.teardown(() => knex.destroy());
  t.is((await knex('data_keys').where({ subject: erased, year: 2025 })).length, 1, 'the dump brought the key back');

  app = await start(s, t.title);
  await app.stop();
  t.is((await knex('data_keys').where({ subject: erased, year: 2025 })).length, 0);
  t.is((await knex('data_keys').where({ subject: erased })).length, 1, 'the year not shredded keeps its key');
  t.deepEqual(await readNotes(s, knex, t.title), { d1: 'shredded', d2: 'shredded', d3: 'Training' });
  const events = await replayEvents(knex);
  t.is(events.length, 1);
  t.is(events[0]!.actor_id, 'system');
  t.is(events[0]!.payload.count, 1);
});

test('`uurwerk restore` with the ledger lost while the dump shows shredding exits 1, naming the file and the way out', async (t) => {
  const db = await useTestDatabase(t);
  const s = site(t, db);
  const [erased, kept] = [randomUUID(), randomUUID()];
  const app = await start(s, t.title);
  await seed(app, erased, kept);
  await app.keys.shred(app.db, kept, 2025); // before the dump: the dump holds its tombstone
  const dump = path.join(s.dir, 'today.dump');
  t.is((await runCli(['backup', '--out', dump, '--config', s.configFile])).code, 0);
  await app.keys.shred(app.db, erased, 2025);
  const ledgerFile = openShredLedger(app.keyring.dir).file;
  await app.stop();
  await db.knex.destroy();
  rmSync(ledgerFile);

  const restore = await runCli(['restore', '--in', dump, '--config', s.configFile]);
  t.is(restore.code, 1, restore.stdout);
  t.true(restore.stderr.includes(ledgerFile), restore.stderr);
  t.regex(restore.stderr, /missing or empty, but the database records 1 shredded data key/);
  t.regex(restore.stderr, /keys:restore --in FILE --force/);
});
