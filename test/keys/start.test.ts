import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startAppliance } from '../../src/app/appliance.js';
import { parseConfig } from '../../src/platform/config.js';
import { KeyringError } from '../../src/keys/errors.js';
import { openKeyring } from '../../src/keys/lifecycle.js';
import { useTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { tempDataDir } from './helpers.js';

/** Starts the real appliance on `db` with `dataDir` (keyring in `<dataDir>/keys`). */
async function start(db: TestDatabase, dataDir: string, title: string) {
  const config = parseConfig({ data_dir: dataDir, server: { port: 0 }, database: { url: db.url }, log: { level: 'debug' } }, 'test');
  return startAppliance(config, testLogger(title), { jobs: false });
}

const mode = (p: string) => statSync(p).mode & 0o777;

test('first start creates the keyring: directory 0700, key files 0600, KEK v1 and the audit signing key', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  const app = await start(db, dataDir, t.title);
  await app.stop();
  const dir = path.join(dataDir, 'keys');
  t.is(mode(dir), 0o700);
  t.deepEqual(readdirSync(dir).sort(), ['audit-signing.key', 'kek-v1.key']);
  for (const f of readdirSync(dir)) t.is(mode(path.join(dir, f)), 0o600);
  t.is(statSync(path.join(dir, 'kek-v1.key')).size, 32);
  t.is(app.keyring.auditSigningKey().privateKey.asymmetricKeyType, 'ed25519');
  t.regex(app.keyring.auditSigningKey().keyId, /^ed25519:[0-9a-f]{32}$/);
  t.is((await db.knex('key_canaries').select('kek_version')).length, 1);
  // A second start opens the same keyring.
  const again = await start(db, dataDir, t.title);
  t.is(again.keyring.auditSigningKey().keyId, app.keyring.auditSigningKey().keyId);
  await again.stop();
});

test('wrong KEK (a keyring that is not this database\'s) → start refused with a message naming the file', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  await (await start(db, dataDir, t.title)).stop();
  const kek = path.join(dataDir, 'keys', 'kek-v1.key');
  writeFileSync(kek, randomBytes(32), { mode: 0o600 });
  const err = await t.throwsAsync(start(db, dataDir, t.title), { instanceOf: KeyringError });
  t.regex(err!.message, /wrong key/);
  t.true(err!.message.includes(kek));
  t.regex(err!.message, /keys:restore/);
});

test('keyring directory 0755 → start refused, naming the path and `chmod 700`', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  await (await start(db, dataDir, t.title)).stop();
  const dir = path.join(dataDir, 'keys');
  chmodSync(dir, 0o755);
  const err = await t.throwsAsync(start(db, dataDir, t.title), { instanceOf: KeyringError });
  t.true(err!.message.includes(`chmod 700 ${dir}`), err!.message);
  t.regex(err!.message, /mode 0755/);
});

test('key file 0644 (or 0640) → start refused, naming the file and `chmod 600`', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  await (await start(db, dataDir, t.title)).stop();
  for (const [name, bits] of [['kek-v1.key', 0o644], ['audit-signing.key', 0o640]] as const) {
    const file = path.join(dataDir, 'keys', name);
    chmodSync(file, bits);
    const err = await t.throwsAsync(start(db, dataDir, t.title), { instanceOf: KeyringError });
    t.true(err!.message.includes(`chmod 600 ${file}`), err!.message);
    chmodSync(file, 0o600);
  }
  // With the modes fixed it starts again.
  await (await start(db, dataDir, t.title)).stop();
  t.pass();
});

test('missing KEK file, missing signing key, or a missing keyring → start refused; a new keyring is never made for a database that had one', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  await (await start(db, dataDir, t.title)).stop();
  const dir = path.join(dataDir, 'keys');
  const saved = readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).size] as const);
  t.is(saved.length, 2);

  rmSync(path.join(dir, 'audit-signing.key'));
  let err = await t.throwsAsync(start(db, dataDir, t.title), { instanceOf: KeyringError });
  t.regex(err!.message, /audit signing key .*audit-signing\.key is missing/);

  rmSync(path.join(dir, 'kek-v1.key'));
  err = await t.throwsAsync(start(db, dataDir, t.title), { instanceOf: KeyringError });
  t.regex(err!.message, /missing or empty, but the database was encrypted with KEK version\(s\) 1/);
  t.deepEqual(readdirSync(dir), [], 'no new keys were made');

  rmSync(dir, { recursive: true });
  err = await t.throwsAsync(start(db, dataDir, t.title), { instanceOf: KeyringError });
  t.regex(err!.message, /keys:restore/);
});

test('a KEK that is not 32 bytes is reported as damaged', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  await openKeyring({ data_dir: dataDir }, db.knex, { logger: testLogger(t.title) });
  writeFileSync(path.join(dataDir, 'keys', 'kek-v1.key'), randomBytes(31), { mode: 0o600 });
  await t.throwsAsync(openKeyring({ data_dir: dataDir }, db.knex, { logger: testLogger(t.title) }), { instanceOf: KeyringError, message: /31 bytes, expected 32/ });
});

test('keys.create_on_start: false refuses to create a keyring and points at keys:init', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  await t.throwsAsync(openKeyring({ data_dir: dataDir, keys: { create_on_start: false } }, db.knex, { logger: testLogger(t.title) }), { instanceOf: KeyringError, message: /keys:init/ });
});
