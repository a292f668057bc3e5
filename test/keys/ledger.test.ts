import { randomBytes, scryptSync } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { backupKeyring, openBackup, restoreKeyring } from '../../src/keys/backup.js';
import { seal } from '../../src/keys/crypto.js';
import { KeyringError, KeyShreddedError } from '../../src/keys/errors.js';
import { formatRecord, LEDGER_FILE, openShredLedger, parseLedger } from '../../src/keys/ledger.js';
import { createKeyService } from '../../src/keys/service.js';
import type { ShredRecord } from '../../src/keys/types.js';
import { createKnex } from '../../src/platform/db.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { collectEvents, freshKeyring, tempDataDir } from './helpers.js';

const ref = { table: 'diary', column: 'note', rowId: '1' };
// Options as variables: the purpose the keys service asks for since issue 12 (a record key).
const record2025 = { year: 2025, purpose: 'record' as const };
const record2026 = { year: 2026, purpose: 'record' as const };
const rec = (n: number, at = `2026-01-0${n}T10:00:00.000Z`): ShredRecord => ({
  keyId: `00000000-0000-4000-8000-00000000000${n}`, subject: `emp-${n}`, purpose: 'record', year: 2020 + n, at,
});

test('the ledger appends one JSON line per shredded key, mode 0600, and reads them back', async (t) => {
  const dir = tempDataDir(t);
  const ledger = openShredLedger(dir);
  t.deepEqual(ledger.read(), { records: [], torn: false }, 'a missing ledger reads as empty');
  await ledger.record([rec(1), rec(2)]);
  await ledger.record([rec(3)]);
  t.is(ledger.file, path.join(dir, LEDGER_FILE));
  t.is(statSync(ledger.file).mode & 0o777, 0o600);
  const lines = readFileSync(ledger.file, 'utf8').split('\n');
  t.is(lines.length, 4, 'three lines and the final newline');
  t.deepEqual(JSON.parse(lines[0]!), { keyId: rec(1).keyId, subject: 'emp-1', purpose: 'record', year: 2021, at: rec(1).at });
  t.deepEqual(ledger.read().records, [rec(1), rec(2), rec(3)]);
  await t.throwsAsync(ledger.record([{ ...rec(4), keyId: 'not-a-key-id' }]), { instanceOf: TypeError, message: /keyId/ });
  t.is(ledger.read().records.length, 3, 'an invalid record writes nothing');

  // Many shreds at once (appends grouped behind one another): every line whole, none lost.
  const many = Array.from({ length: 60 }, (_, i) => ({ ...rec(5), keyId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
  await Promise.all(many.map((r) => ledger.record([r])));
  t.deepEqual(new Set(ledger.read().records.map((r) => r.keyId)), new Set([rec(1), rec(2), rec(3), ...many].map((r) => r.keyId)));
  t.false(ledger.read().torn);
});

test('a torn last line (crash mid-append) is ignored on reading and cut off before the next append; damage elsewhere is refused', async (t) => {
  const dir = tempDataDir(t);
  const ledger = openShredLedger(dir);
  await ledger.record([rec(1)]);
  appendFileSync(ledger.file, '{"keyId":"00000000-0000-4000-8000-0000000000');
  t.deepEqual(ledger.read(), { records: [rec(1)], torn: true });
  await ledger.record([rec(2)]);
  t.deepEqual(ledger.read(), { records: [rec(1), rec(2)], torn: false });
  t.is(readFileSync(ledger.file, 'utf8'), `${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}\n`);

  // A complete last line without its newline still counts.
  t.deepEqual(parseLedger(JSON.stringify(rec(1))).records, [rec(1)]);
  // A bad line in the middle is not a torn append: the ledger is damaged and says where.
  writeFileSync(ledger.file, `${JSON.stringify(rec(1))}\ngarbage\n${JSON.stringify(rec(2))}\n`, { mode: 0o600 });
  const err = t.throws(() => ledger.read(), { instanceOf: KeyringError });
  t.regex(err!.message, /damaged at line 2/);
  t.true(err!.message.includes(ledger.file));
  // The way out the message names: a merge (keys:restore) keeps the readable lines and sets the damaged one aside.
  t.regex(err!.message, /keys:restore --in FILE --force/);
  t.deepEqual(ledger.merge([rec(3)]), { added: 1, damaged: 1 });
  t.deepEqual(ledger.read().records, [rec(1), rec(2), rec(3)]);
  t.is(readFileSync(`${ledger.file}.damaged`, 'utf8'), 'garbage\n');
  t.is(statSync(`${ledger.file}.damaged`).mode & 0o777, 0o600);
});

test('merge writes the union by key id and never loses a record of the file on disk', async (t) => {
  const dir = tempDataDir(t);
  const ledger = openShredLedger(dir);
  await ledger.record([rec(1), rec(3)]);
  t.deepEqual(ledger.merge([rec(2), rec(1, '2026-02-01T00:00:00.000Z')]), { added: 1, damaged: 0 });
  t.deepEqual(ledger.read().records, [rec(1), rec(2), rec(3)]);
  t.deepEqual(ledger.merge([]), { added: 0, damaged: 0 });
  t.is(statSync(ledger.file).mode & 0o777, 0o600);
});

test('keyService.shred appends every destroyed key to the ledger in its transaction; a rolled-back shred leaves only a harmless record', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const ledger = openShredLedger(keyring.dir);
  const keys = createKeyService(keyring, testLogger(t.title), { ledger });
  const env = await keys.encrypt(db.knex, 'emp-1', ref, 'ziekmelding', record2025);
  await keys.encrypt(db.knex, 'emp-1', ref, 'x', record2026);
  const ids = (await db.knex('data_keys').where({ subject: 'emp-1' }).orderBy('year').select('id')).map((r: { id: string }) => r.id);

  // The ledger line is on disk before the commit: seen from inside the transaction.
  await t.throwsAsync(db.knex.transaction(async (trx) => {
    await keys.shred(trx, 'emp-1', 2025);
    t.deepEqual(ledger.read().records.map((r) => r.keyId), [ids[0]]);
    throw new Error('roll back');
  }), { message: 'roll back' });
  t.is(await keys.decrypt(db.knex, 'emp-1', ref, env), 'ziekmelding', 'rolled back: the key is still there');

  t.is(await keys.shred(db.knex, 'emp-1'), 2);
  const records = ledger.read().records;
  t.deepEqual(records.map((r) => [r.keyId, r.subject, r.purpose, r.year]), [[ids[0], 'emp-1', 'record', 2025], [ids[0], 'emp-1', 'record', 2025], [ids[1], 'emp-1', 'record', 2026]]);
  t.false(JSON.stringify(records).includes('ziekmelding'));
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-1', ref, env), { instanceOf: KeyShreddedError });
});

test('a ledger that cannot be written stops the shred: the key stays, no tombstone', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const broken = openShredLedger(path.join(keyring.dir, 'no-such-dir'));
  const keys = createKeyService(keyring, testLogger(t.title), { ledger: broken });
  await keys.encrypt(db.knex, 'emp-1', ref, 'x', record2025);
  await t.throwsAsync(keys.shred(db.knex, 'emp-1', 2025), { code: 'ENOENT' });
  t.is((await db.knex('data_keys').where({ subject: 'emp-1' })).length, 1);
  t.is((await db.knex('key_tombstones')).length, 0);
});

test('two key services shredding the same key at once: one destroy, one tombstone, one ledger line', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  // Two nodes, each with its own pool and ledger handle on the same keyring directory.
  const pool2 = createKnex({ connectionString: db.url }, { database: { pool_max: 2, statement_timeout_ms: 30000 } } as never);
  t.teardown(() => pool2.destroy());
  const a = createKeyService(keyring, testLogger(t.title), { ledger: openShredLedger(keyring.dir) });
  const b = createKeyService(keyring, testLogger(t.title), { ledger: openShredLedger(keyring.dir) });
  const env = await a.encrypt(db.knex, 'emp-1', ref, 'x', record2025);

  let bDone: Promise<number> | undefined;
  await db.knex.transaction(async (trx) => {
    t.is(await a.shred(trx, 'emp-1', 2025), 1);
    // b starts while a's transaction is still open: it waits on the key's row lock.
    bDone = b.shred(pool2, 'emp-1', 2025);
    await new Promise((r) => setTimeout(r, 300));
  });
  t.is(await bDone, 0, 'the second found nothing left to destroy');
  t.is((await db.knex('key_tombstones').where({ subject: 'emp-1' })).length, 1);
  t.is(openShredLedger(keyring.dir).read().records.length, 1);
  await t.throwsAsync(b.decrypt(db.knex, 'emp-1', ref, env), { instanceOf: KeyShreddedError });
  t.true(existsSync(path.join(keyring.dir, LEDGER_FILE)));
});

/** A keyring backup as version 1 wrote it (no shred ledger), sealed the same way. */
function versionOneBackup(material: { keks: Map<number, Buffer>; signingKeyPem: string }, passphrase: string): string {
  const header = {
    format: 'uurwerk-keyring-backup', version: 1, created_at: new Date().toISOString(),
    kdf: { name: 'scrypt', N: 2 ** 14, r: 8, p: 1, salt: randomBytes(16).toString('base64') }, cipher: 'aes-256-gcm',
  };
  const key = scryptSync(passphrase, Buffer.from(header.kdf.salt, 'base64'), 32, { N: header.kdf.N, r: 8, p: 1 });
  const payload = { keks: Object.fromEntries([...material.keks].map(([v, b]) => [String(v), b.toString('base64')])), signing_key_pem: material.signingKeyPem };
  const sealed = seal(key, Buffer.from(JSON.stringify(payload)), Buffer.from(JSON.stringify(header)));
  return JSON.stringify({ header, sealed: sealed.toString('base64') });
}

test('keys:backup carries the ledger; keys:restore merges it with the ledger on disk and never replaces it with an older one', async (t) => {
  const db = await useTestDatabase(t);
  const { events, hook } = collectEvents();
  const { keyring } = await freshKeyring(t, db.knex, hook);
  const logger = testLogger(t.title);
  const pass = 'correct horse battery staple';
  const ledger = openShredLedger(keyring.dir);
  await ledger.record([rec(1), rec(2)]);
  const text = await backupKeyring(db.knex, keyring, pass, { logger, onKeyEvent: hook, file: 'k.json', kdfN: 2 ** 14 });
  t.false(text.includes(rec(1).subject), 'the ledger inside the backup is sealed too');
  t.deepEqual(openBackup(text, pass).ledger, [rec(1), rec(2)]);
  t.is(events.at(-1)!.details.shred_ledger_records, 2);

  // Later shreds reach the ledger on disk; restoring the older backup keeps them all.
  await ledger.record([rec(3)]);
  await restoreKeyring(db.knex, keyring.dir, text, pass, { logger, onKeyEvent: hook, file: 'k.json', force: true });
  t.deepEqual(ledger.read().records, [rec(1), rec(2), rec(3)]);
  t.is(events.at(-1)!.details.shred_ledger_added, 0);

  // The keyring is lost but the ledger survived: no --force needed, and the union is kept.
  for (const f of readdirSync(keyring.dir)) if (f !== LEDGER_FILE) rmSync(path.join(keyring.dir, f));
  writeFileSync(ledger.file, formatRecord(rec(4)), { mode: 0o600 });
  await restoreKeyring(db.knex, keyring.dir, text, pass, { logger, file: 'k.json' });
  t.deepEqual(ledger.read().records.map((r) => r.subject), ['emp-1', 'emp-2', 'emp-4']);

  // A version 1 backup (before the ledger) still opens, with an empty ledger.
  const v1 = versionOneBackup(keyring.exportMaterial(), pass);
  t.deepEqual(openBackup(v1, pass).ledger, []);
  await restoreKeyring(db.knex, keyring.dir, v1, pass, { logger, file: 'v1.json', force: true });
  t.is(ledger.read().records.length, 3, 'an old backup without a ledger removes nothing');
});
