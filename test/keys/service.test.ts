import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { formatEnvelope, seal, valueAad, wrapAad } from '../../src/keys/crypto.js';
import { DecryptError, KeyringError, KeyShreddedError } from '../../src/keys/errors.js';
import { openKeyring, retireKek, rotateKek } from '../../src/keys/lifecycle.js';
import { createKeyService } from '../../src/keys/service.js';
import type { KeySlot, ShredRecord } from '../../src/keys/types.js';
import type { Knex } from '../../src/platform/db.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { collectEvents, freshKeyring } from './helpers.js';

const ref = (rowId: string, column = 'note', table = 'time_entries') => ({ table, column, rowId });

test('encrypt → decrypt round-trips; the envelope is text without the plaintext; each value gets a fresh nonce', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, testLogger(t.title));
  const a = await keys.encrypt(db.knex, 'emp-1', ref('r1'), 'Tandarts 14:00 — privé', { purpose: 'note' });
  const b = await keys.encrypt(db.knex, 'emp-1', ref('r1'), 'Tandarts 14:00 — privé', { purpose: 'note' });
  t.regex(a, /^uk1\.[0-9a-f-]{36}\.[A-Za-z0-9_-]+$/);
  t.false(a.includes('Tandarts'));
  t.not(a, b);
  t.is(await keys.decrypt(db.knex, 'emp-1', ref('r1'), a), 'Tandarts 14:00 — privé');
  t.is(await keys.decrypt(db.knex, 'emp-1', ref('r1'), b), 'Tandarts 14:00 — privé');
});

test('a ciphertext moved to another row, column, table or subject, or altered, does not decrypt (DecryptError)', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, testLogger(t.title));
  await db.knex.raw('CREATE TABLE notes_t (id text PRIMARY KEY, subject text, note text, other text)');
  const env1 = await keys.encrypt(db.knex, 'emp-1', ref('row-1', 'note', 'notes_t'), 'secret one', { purpose: 'note' });
  await keys.encrypt(db.knex, 'emp-2', ref('row-2', 'note', 'notes_t'), 'secret two', { purpose: 'note' });
  await db.knex('notes_t').insert([{ id: 'row-1', subject: 'emp-1', note: env1 }, { id: 'row-2', subject: 'emp-1', note: 'x' }]);
  // An attacker with database access copies row 1's ciphertext into row 2 and another column.
  await db.knex.raw("UPDATE notes_t SET note = (SELECT note FROM notes_t WHERE id = 'row-1'), other = (SELECT note FROM notes_t WHERE id = 'row-1') WHERE id = 'row-2'");
  const row2 = await db.knex('notes_t').where({ id: 'row-2' }).first();
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-1', ref('row-2', 'note', 'notes_t'), row2.note), { instanceOf: DecryptError });
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-1', ref('row-1', 'other', 'notes_t'), row2.other), { instanceOf: DecryptError });
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-1', ref('row-1', 'note', 'other_table'), env1), { instanceOf: DecryptError });
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-2', ref('row-1', 'note', 'notes_t'), env1), { instanceOf: DecryptError });
  const flipped = env1.slice(0, -3) + (env1.slice(-3, -2) === 'A' ? 'B' : 'A') + env1.slice(-2);
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-1', ref('row-1', 'note', 'notes_t'), flipped), { instanceOf: DecryptError });
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-1', ref('row-1', 'note', 'notes_t'), 'plain text'), { instanceOf: DecryptError });
  // The original still decrypts where it belongs.
  t.is(await keys.decrypt(db.knex, 'emp-1', ref('row-1', 'note', 'notes_t'), env1), 'secret one');
});

test('data keys are per subject, purpose and year, stored only wrapped', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, testLogger(t.title));
  await keys.encrypt(db.knex, 'emp-1', ref('a'), 'x', { year: 2025, purpose: 'record' });
  await keys.encrypt(db.knex, 'emp-1', ref('b'), 'x', { year: 2026, purpose: 'record' });
  await keys.encrypt(db.knex, 'emp-1', ref('c'), 'x', { year: 2026, purpose: 'record' });
  await keys.encrypt(db.knex, 'emp-2', ref('d'), 'x', { year: 2026, purpose: 'record' });
  await keys.encrypt(db.knex, 'emp-1', ref('e'), 'x', { year: 2026, purpose: 'draft' });
  const rows = await db.knex('data_keys').select('subject', 'purpose', 'year', 'kek_version', 'wrapped').orderBy(['subject', 'year', 'purpose']);
  t.deepEqual(rows.map((r) => `${r.subject}/${r.purpose}/${r.year}/v${r.kek_version}`), ['emp-1/record/2025/v1', 'emp-1/draft/2026/v1', 'emp-1/record/2026/v1', 'emp-2/record/2026/v1']);
  for (const r of rows) t.is((r.wrapped as Buffer).length, 60);
});

test('concurrent first use of a subject/year creates exactly one data key, and every value decrypts', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  // Separate service instances (as in separate processes) so no in-memory state is shared.
  const services = Array.from({ length: 8 }, () => createKeyService(keyring, testLogger(t.title)));
  const envelopes = await Promise.all(services.map((s, i) => db.knex.transaction((trx) => s.encrypt(trx, 'emp-new', ref(`r${i}`), `value ${i}`, { year: 2026, purpose: 'record' }))));
  const counted = await db.knex('data_keys').where({ subject: 'emp-new', year: 2026 }).count('* as n').first();
  t.is(Number(counted?.n), 1);
  const keys = createKeyService(keyring, testLogger(t.title));
  for (const [i, env] of envelopes.entries()) t.is(await keys.decrypt(db.knex, 'emp-new', ref(`r${i}`), env), `value ${i}`);
});

test('a data key made in a rolled-back transaction is not used afterwards', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, testLogger(t.title));
  await t.throwsAsync(db.knex.transaction(async (trx) => {
    await keys.encrypt(trx, 'emp-r', ref('x'), 'lost', { year: 2026, purpose: 'record' });
    throw new Error('rollback');
  }), { message: 'rollback' });
  const env = await keys.encrypt(db.knex, 'emp-r', ref('y'), 'kept', { year: 2026, purpose: 'record' });
  t.is(await createKeyService(keyring, testLogger(t.title)).decrypt(db.knex, 'emp-r', ref('y'), env), 'kept');
});

test('keys read ahead by a column of the caller\'s statement seal without a lookup of their own; slots it did not name are looked up, a named slot it found empty gets a new key, rows it was not asked for are ignored', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, testLogger(t.title));
  const existing = await keys.encrypt(db.knex, 'emp-a', ref('a0'), 'first', { year: 2026, purpose: 'draft' });
  await keys.encrypt(db.knex, 'emp-b', ref('b0'), 'other person', { year: 2026, purpose: 'draft' });
  const named: KeySlot[] = [{ subject: 'emp-a', purpose: 'draft', year: 2026 }, { subject: 'emp-a', purpose: 'note', year: 2026 }];
  await db.knex.transaction(async (trx) => {
    const column = keys.dataKeysColumn('ahead', named);
    const { rows } = await trx.raw<{ rows: Array<{ ahead: unknown }> }>(`SELECT 1 AS one${column.sql}`, column.bindings);
    // A forged row for a slot the column was not asked about (another person's) must not be used.
    const forged = { id: randomUUID(), subject: 'emp-a', purpose: 'record', year: 2026, kek_version: 1, wrapped: randomBytes(60).toString('base64') };
    const found = { slots: named, value: [...(rows[0]!.ahead as unknown[]), forged] };
    const sent: string[] = [];
    const lookups: unknown[][] = [];
    const listen = (q: { sql: string; bindings?: unknown[] }) => {
      sent.push(q.sql);
      if (/from unnest/i.test(q.sql)) lookups.push(q.bindings ?? []);
    };
    trx.client.on('query', listen);
    const [draft, note, record] = await keys.encryptMany(trx, [
      { subject: 'emp-a', ref: ref('a1'), plaintext: 'draft value', year: 2026, purpose: 'draft' },
      { subject: 'emp-a', ref: ref('a1', 'note2'), plaintext: 'note value', year: 2026, purpose: 'note' },
      { subject: 'emp-a', ref: ref('a1', 'rec'), plaintext: 'record value', year: 2026, purpose: 'record' },
    ], found);
    trx.client.removeListener('query', listen);
    // The draft key came from the column: same key id as the value sealed before.
    t.is(draft!.split('.')[1], existing.split('.')[1]);
    // The note slot was named and found empty: a key is made (insert), not looked up first.
    t.true(sent.some((q) => /insert into "?data_keys"?/i.test(q)));
    // The record slot was not named: looked up (and made), never taken from the forged row.
    t.not(record!.split('.')[1], forged.id);
    t.deepEqual(lookups, [[['emp-a'], ['record'], [2026]]], 'one lookup, for the one slot the column did not name');
    for (const [env, r, plain] of [[draft, ref('a1'), 'draft value'], [note, ref('a1', 'note2'), 'note value'], [record, ref('a1', 'rec'), 'record value']] as const) {
      t.is(await keys.decrypt(trx, 'emp-a', r, env!), plain);
    }
  });
  t.throws(() => keys.dataKeysColumn('bad name; --', named), { instanceOf: TypeError });
});

test('shred(subject, year) destroys that key and leaves a tombstone; decrypt then throws KeyShreddedError; shred(subject) takes the rest', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const { events, hook } = collectEvents();
  const ledger: ShredRecord[] = [];
  const keys = createKeyService(keyring, testLogger(t.title), { onKeyEvent: hook, ledger: { record: async (e) => void ledger.push(...e) } });
  const old = await keys.encrypt(db.knex, 'emp-9', ref('a'), 'from 2019', { year: 2019, purpose: 'record' });
  const now = await keys.encrypt(db.knex, 'emp-9', ref('b'), 'from 2026', { year: 2026, purpose: 'record' });
  const other = await keys.encrypt(db.knex, 'emp-10', ref('c'), 'someone else', { year: 2019, purpose: 'record' });

  t.is(await keys.shred(db.knex, 'emp-9', 2019), 1);
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-9', ref('a'), old), { instanceOf: KeyShreddedError });
  // A fresh service (another process) sees the same.
  await t.throwsAsync(createKeyService(keyring, testLogger(t.title)).decrypt(db.knex, 'emp-9', ref('a'), old), { instanceOf: KeyShreddedError });
  await t.throwsAsync(keys.encrypt(db.knex, 'emp-9', ref('z'), 'new 2019 data', { year: 2019, purpose: 'record' }), { instanceOf: KeyShreddedError });
  t.is(await keys.decrypt(db.knex, 'emp-9', ref('b'), now), 'from 2026');
  t.is(await keys.decrypt(db.knex, 'emp-10', ref('c'), other), 'someone else');

  t.is(await keys.shred(db.knex, 'emp-9'), 1);
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-9', ref('b'), now), { instanceOf: KeyShreddedError });
  await t.throwsAsync(keys.encrypt(db.knex, 'emp-9', ref('q'), 'x', { year: 2030, purpose: 'record' }), { instanceOf: KeyShreddedError });
  const tombs = await db.knex('key_tombstones').where({ subject: 'emp-9' }).orderBy('id');
  t.deepEqual(tombs.map((r) => [r.year, r.key_ids.length]), [[2019, 1], [null, 1]]);
  t.deepEqual(events.map((e) => [e.action, e.subject, e.details.keys_destroyed]), [['keys.shred', 'emp-9', 1], ['keys.shred', 'emp-9', 1]]);
  t.deepEqual(ledger.map((r) => [r.subject, r.purpose, r.year]), [['emp-9', 'record', 2019], ['emp-9', 'record', 2026]], 'shred() writes the ledger too');
  t.is(await keys.decrypt(db.knex, 'emp-10', ref('c'), other), 'someone else');
});

test('rotation re-wraps every data key (data untouched), everything stays readable; retiring the old KEK destroys it and everything is still readable', async (t) => {
  const db = await useTestDatabase(t);
  const { events, hook } = collectEvents();
  const { keyring, dataDir } = await freshKeyring(t, db.knex, hook);
  const logger = testLogger(t.title);
  const keys = createKeyService(keyring, logger);
  const values: Array<[string, string, string]> = [];
  for (let i = 0; i < 5; i++) values.push([`emp-${i}`, `r${i}`, await keys.encrypt(db.knex, `emp-${i}`, ref(`r${i}`), `value ${i}`, { year: 2024 + (i % 3), purpose: 'record' })]);
  const before = await db.knex('data_keys').select('id', 'wrapped').orderBy('id');

  const { version, rewrapped } = await rotateKek(db.knex, keyring, { logger, onKeyEvent: hook, actor: 'test' });
  t.is(version, 2);
  t.is(rewrapped, 5);
  const after = await db.knex('data_keys').select('id', 'kek_version', 'wrapped').orderBy('id');
  t.deepEqual(after.map((r) => r.kek_version), [2, 2, 2, 2, 2]);
  t.deepEqual(after.map((r) => r.id), before.map((r) => r.id));
  for (const [i, r] of after.entries()) t.false((r.wrapped as Buffer).equals(before[i]!.wrapped as Buffer));
  // Old and new KEK both on disk; a freshly opened keyring passes the start check.
  const reopened = await openKeyring({ data_dir: dataDir }, db.knex, { logger });
  t.deepEqual(reopened.versions(), [1, 2]);
  for (const [s, r, env] of values) t.is(await createKeyService(reopened, logger).decrypt(db.knex, s, ref(r), env), `value ${r.slice(1)}`);
  // New data keys are wrapped with v2.
  await keys.encrypt(db.knex, 'emp-late', ref('late'), 'x', { year: 2026, purpose: 'record' });
  t.is((await db.knex('data_keys').where({ subject: 'emp-late' }).first()).kek_version, 2);

  await t.throwsAsync(retireKek(db.knex, keyring, 2, { logger }), { instanceOf: KeyringError, message: /active/ });
  await retireKek(db.knex, keyring, 1, { logger, onKeyEvent: hook, actor: 'test' });
  t.false(existsSync(path.join(dataDir, 'keys', 'kek-v1.key')));
  const afterRetire = await openKeyring({ data_dir: dataDir }, db.knex, { logger });
  t.deepEqual(afterRetire.versions(), [2]);
  for (const [s, r, env] of values) t.is(await createKeyService(afterRetire, logger).decrypt(db.knex, s, ref(r), env), `value ${r.slice(1)}`);
  t.deepEqual(events.map((e) => e.action), ['keys.init', 'keys.rotate', 'keys.retire']);
  t.deepEqual(events[1]!.details, { from_version: 1, to_version: 2, data_keys_rewrapped: 5 });
});

test('retire re-wraps a straggler data key still wrapped by the old KEK before destroying it', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const logger = testLogger(t.title);
  const keys = createKeyService(keyring, logger);
  await rotateKek(db.knex, keyring, { logger });
  // A server that had not seen the rotation yet makes a key under v1: simulated by
  // hiding v2's canary while it encrypts (the canary is how servers learn the active KEK).
  const v2 = await db.knex('key_canaries').where({ kek_version: 2 }).first();
  await db.knex('key_canaries').where({ kek_version: 2 }).delete();
  const env = await keys.encrypt(db.knex, 'emp-s', ref('s'), 'straggler', { year: 2026, purpose: 'record' });
  await db.knex('key_canaries').insert(v2);
  t.is((await db.knex('data_keys').where({ subject: 'emp-s' }).first()).kek_version, 1);
  const { rewrapped } = await retireKek(db.knex, keyring, 1, { logger });
  t.is(rewrapped, 1);
  t.is((await db.knex('data_keys').where({ subject: 'emp-s' }).first()).kek_version, 2);
  t.is(await createKeyService(keyring, logger).decrypt(db.knex, 'emp-s', ref('s'), env), 'straggler');
});

test('decryptMany opens many values in order, fetching the data keys not in memory in one query; a moved or shredded value fails as decrypt would', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const writer = createKeyService(keyring, testLogger(t.title));
  const items = [];
  for (const [i, subject, year] of [[1, 'emp-1', 2025], [2, 'emp-1', 2026], [3, 'emp-2', 2026], [4, 'emp-1', 2026]] as const) {
    items.push({ subject, ref: ref(`r${i}`), envelope: await writer.encrypt(db.knex, subject, ref(`r${i}`), `value ${i}`, { year, purpose: 'record' }) });
  }
  // A fresh service has nothing in memory: three data keys, one query.
  const keys = createKeyService(keyring, testLogger(t.title));
  const sql: string[] = [];
  const listen = (q: { sql: string }) => sql.push(q.sql);
  db.knex.on('query', listen);
  t.deepEqual(await keys.decryptMany(db.knex, items), ['value 1', 'value 2', 'value 3', 'value 4']);
  db.knex.off('query', listen);
  t.is(sql.length, 1, 'one query for every data key');
  t.deepEqual(await keys.decryptMany(db.knex, []), []);
  // A value moved to another row does not decrypt; neither does one whose key was shredded.
  await t.throwsAsync(keys.decryptMany(db.knex, [items[0]!, { ...items[1]!, ref: ref('elsewhere') }]), { instanceOf: DecryptError });
  await keys.shred(db.knex, 'emp-2');
  await t.throwsAsync(keys.decryptMany(db.knex, [items[2]!]), { instanceOf: KeyShreddedError });
  await t.throwsAsync(keys.decryptMany(db.knex, [{ ...items[3]!, subject: 'emp-2' }]), { instanceOf: DecryptError });
});

test('a purpose is required: encrypt without one, or with an unknown one, is refused before any key is made', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, testLogger(t.title));
  // @ts-expect-error the purpose is required
  await t.throwsAsync(keys.encrypt(db.knex, 'emp-1', ref('a'), 'x'), { instanceOf: TypeError, message: /purpose/ });
  // @ts-expect-error not a purpose
  await t.throwsAsync(keys.encrypt(db.knex, 'emp-1', ref('a'), 'x', { purpose: 'forever' }), { instanceOf: TypeError, message: /purpose/ });
  t.is(Number((await db.knex('data_keys').count('* as n').first())?.n), 0);
});

test('a draft key shredded leaves the record key of the same person and year readable (and the note key too)', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const recorded: ShredRecord[][] = [];
  const keys = createKeyService(keyring, testLogger(t.title), { ledger: { record: async (e) => void recorded.push([...e]) } });
  const draft = await keys.encrypt(db.knex, 'emp-1', ref('d'), 'concept', { year: 2026, purpose: 'draft' });
  const record = await keys.encrypt(db.knex, 'emp-1', ref('r'), 'ingediend', { year: 2026, purpose: 'record' });
  const note = await keys.encrypt(db.knex, 'emp-1', ref('n'), 'notitie', { year: 2026, purpose: 'note' });
  const ids = await db.knex.transaction((trx) => keys.shredKeys(trx, [{ subject: 'emp-1', purpose: 'draft', year: 2026 }, { subject: 'emp-1', purpose: 'draft', year: 2020 }]));
  t.is(ids.length, 1, 'only the key that existed');
  const fresh = createKeyService(keyring, testLogger(t.title));
  await t.throwsAsync(fresh.decrypt(db.knex, 'emp-1', ref('d'), draft), { instanceOf: KeyShreddedError });
  await t.throwsAsync(keys.decrypt(db.knex, 'emp-1', ref('d'), draft), { instanceOf: KeyShreddedError });
  t.is(await fresh.decrypt(db.knex, 'emp-1', ref('r'), record), 'ingediend');
  t.is(await fresh.decrypt(db.knex, 'emp-1', ref('n'), note), 'notitie');
  t.deepEqual(await fresh.decryptEach(db.knex, [{ subject: 'emp-1', ref: ref('d'), envelope: draft }, { subject: 'emp-1', ref: ref('r'), envelope: record }]), [null, 'ingediend']);
  // No new draft key for that year; other purposes of the year go on.
  await t.throwsAsync(keys.encrypt(db.knex, 'emp-1', ref('x'), 'x', { year: 2026, purpose: 'draft' }), { instanceOf: KeyShreddedError });
  await keys.encrypt(db.knex, 'emp-1', ref('y'), 'y', { year: 2026, purpose: 'record' });
  // The ledger heard of the key before it went, with its purpose; the tombstone names it.
  t.deepEqual(recorded.map((batch) => batch.map((r) => [r.keyId, r.subject, r.purpose, r.year])), [[[ids[0], 'emp-1', 'draft', 2026]]]);
  const tombs = await db.knex('key_tombstones').where({ subject: 'emp-1' }).select('purpose', 'year', 'key_ids');
  t.deepEqual(tombs.map((r) => [r.purpose, r.year, r.key_ids]), [['draft', 2026, ids]]);
  await t.throwsAsync(keys.shredKeys(db.knex as unknown as Knex.Transaction, []), { message: /transaction/ });
});

test('two nodes shredding the same keys at once: each key is destroyed (and recorded as destroyed) once', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const slots: KeySlot[] = [];
  const writer = createKeyService(keyring, testLogger(t.title));
  for (let i = 0; i < 20; i++) {
    await writer.encrypt(db.knex, `emp-${i}`, ref(`r${i}`), 'x', { year: 2019, purpose: 'record' });
    slots.push({ subject: `emp-${i}`, purpose: 'record', year: 2019 });
  }
  const ledger: string[] = [];
  const nodes = [0, 1].map(() => createKeyService(keyring, testLogger(t.title), { ledger: { record: async (e) => void ledger.push(...e.map((r) => r.keyId)) } }));
  const results = await Promise.all(nodes.map((n, i) => db.knex.transaction((trx) => n.shredKeys(trx, i === 0 ? slots : [...slots].reverse()))));
  t.is(results[0]!.length + results[1]!.length, 20);
  t.is(new Set([...results[0]!, ...results[1]!]).size, 20);
  t.is(Number((await db.knex('key_tombstones').count('* as n').first())?.n), 20);
  t.deepEqual([...ledger].sort(), [...results[0]!, ...results[1]!].sort(), 'each key in the ledger once');
});

test('the wrapping binds the purpose: a key row relabelled to another purpose no longer unwraps; a key made before purposes still does', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, testLogger(t.title));
  const env = await keys.encrypt(db.knex, 'emp-1', ref('d'), 'concept', { year: 2026, purpose: 'draft' });
  await db.knex('data_keys').where({ subject: 'emp-1' }).update({ purpose: 'record' });
  await t.throwsAsync(createKeyService(keyring, testLogger(t.title)).decrypt(db.knex, 'emp-1', ref('d'), env), { instanceOf: DecryptError });
  // A key as made before purposes: wrapped without one, labelled record by the migration.
  const dek = randomBytes(32);
  const id = randomUUID();
  await db.knex('data_keys').insert({ id, subject: 'emp-old', purpose: 'record', year: 2024, kek_version: 1, wrapped: seal(keyring.kek(1), dek, wrapAad('emp-old', 2024, 1)) });
  const legacy = formatEnvelope(id, seal(dek, Buffer.from('oud'), valueAad(ref('o'), 'emp-old', id)));
  t.is(await createKeyService(keyring, testLogger(t.title)).decrypt(db.knex, 'emp-old', ref('o'), legacy), 'oud');
});
