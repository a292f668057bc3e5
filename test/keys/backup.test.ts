import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { backupKeyring, openBackup, restoreKeyring } from '../../src/keys/backup.js';
import { KeyringError } from '../../src/keys/errors.js';
import { openKeyring } from '../../src/keys/lifecycle.js';
import { createKeyService } from '../../src/keys/service.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { collectEvents, freshKeyring, tempDataDir } from './helpers.js';
import { nodeScript, repoRoot } from '../helpers/env.js';

const ref = { table: 't', column: 'c', rowId: '1' };
const root = repoRoot;

test('backup → restore round-trips the keyring (KEKs and signing key); a wrong passphrase fails cleanly', async (t) => {
  const db = await useTestDatabase(t);
  const { events, hook } = collectEvents();
  const { keyring, dataDir } = await freshKeyring(t, db.knex, hook);
  const logger = testLogger(t.title);
  const env = await createKeyService(keyring, logger).encrypt(db.knex, 'emp-1', ref, 'bewaard', { purpose: 'record' });
  const text = await backupKeyring(db.knex, keyring, 'correct horse battery staple', { logger, onKeyEvent: hook, file: '/escrow/k.json', kdfN: 2 ** 14 });
  t.false(text.includes(keyring.exportMaterial().keks.get(1)!.toString('base64')));
  t.false(text.includes('PRIVATE KEY'));

  t.throws(() => openBackup(text, 'wrong passphrase!!'), { instanceOf: KeyringError, message: /wrong passphrase/ });
  const tampered = text.replace(/"N": 16384/, '"N": 32768');
  t.throws(() => openBackup(tampered, 'correct horse battery staple'), { instanceOf: KeyringError, message: /wrong passphrase, or the file was altered/ });
  t.throws(() => openBackup('{"not":"a backup"}', 'x'), { instanceOf: KeyringError, message: /not an Uurwerk keyring backup/ });

  // The keyring is lost; the appliance refuses; restore brings it back.
  const dir = path.join(dataDir, 'keys');
  rmSync(dir, { recursive: true });
  await t.throwsAsync(openKeyring({ data_dir: dataDir }, db.knex, { logger }), { instanceOf: KeyringError });
  await t.throwsAsync(restoreKeyring(db.knex, dir, text, 'wrong passphrase!!', { logger, file: 'k' }), { instanceOf: KeyringError, message: /wrong passphrase/ });
  t.false(existsSync(path.join(dir, 'kek-v1.key')));
  const restored = await restoreKeyring(db.knex, dir, text, 'correct horse battery staple', { logger, onKeyEvent: hook, file: 'k' });
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.is(statSync(path.join(dir, 'kek-v1.key')).mode & 0o777, 0o600);
  t.is(restored.auditSigningKey().keyId, keyring.auditSigningKey().keyId);
  const reopened = await openKeyring({ data_dir: dataDir }, db.knex, { logger });
  t.is(await createKeyService(reopened, logger).decrypt(db.knex, 'emp-1', ref, env), 'bewaard');
  // Restoring over an existing keyring needs --force.
  await t.throwsAsync(restoreKeyring(db.knex, dir, text, 'correct horse battery staple', { logger, file: 'k' }), { instanceOf: KeyringError, message: /--force/ });
  t.deepEqual(events.map((e) => e.action), ['keys.init', 'keys.backup', 'keys.restore']);
});

test('a backup passphrase shorter than 12 characters is refused', async (t) => {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  await t.throwsAsync(backupKeyring(db.knex, keyring, 'short', { logger: testLogger(t.title), file: 'x' }), { instanceOf: KeyringError, message: /at least 12/ });
});

function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeScript('src/main.ts'), ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(stdin);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test('CLI: keys:init, keys:status, keys:rotate, keys:retire, keys:backup (stdin) and keys:restore (--passphrase-file) through the real command', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = tempDataDir(t);
  const cfg = path.join(dataDir, 'config.yaml');
  writeFileSync(cfg, `data_dir: ${dataDir}\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  const dir = path.join(dataDir, 'keys');

  let r = await cli(['keys:init', '--config', cfg]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /keyring created in .*keys/);
  r = await cli(['keys:init', '--config', cfg]);
  t.is(r.code, 1);
  t.regex(r.stderr, /already exists/);

  const logger = testLogger(t.title);
  const keyring = await openKeyring({ data_dir: dataDir }, db.knex, { logger });
  const env = await createKeyService(keyring, logger).encrypt(db.knex, 'emp-c', ref, 'via de CLI', { purpose: 'record' });

  r = await cli(['keys:rotate', '--config', cfg]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /v1 -> v2; 1 data key\(s\) re-wrapped/);
  r = await cli(['keys:retire', '--config', cfg, '--kek-version', '1']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /KEK v1 destroyed/);
  r = await cli(['keys:retire', '--config', cfg, '1']);
  t.is(r.code, 1);
  t.regex(r.stderr, /not in keyring/);
  t.false(existsSync(path.join(dir, 'kek-v1.key')));

  const backup = path.join(dataDir, 'escrow.json');
  r = await cli(['keys:backup', '--config', cfg, '--out', backup], 'a long enough passphrase\n');
  t.is(r.code, 0, r.stderr);
  t.is(statSync(backup).mode & 0o777, 0o600);
  r = await cli(['keys:backup', '--config', cfg, '--out', backup], 'a long enough passphrase\n');
  t.is(r.code, 1);
  t.regex(r.stderr, /already exists/);

  r = await cli(['keys:status', '--config', cfg]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /KEKs on disk:\s+v2/);
  t.regex(r.stdout, /1 wrapped by v2/);

  rmSync(dir, { recursive: true });
  r = await cli(['keys:status', '--config', cfg]);
  t.is(r.code, 1);
  const pass = path.join(dataDir, 'pass.txt');
  writeFileSync(pass, 'not the passphrase\n');
  r = await cli(['keys:restore', '--config', cfg, '--in', backup, '--passphrase-file', pass]);
  t.is(r.code, 1);
  t.regex(r.stderr, /wrong passphrase/);
  writeFileSync(pass, 'a long enough passphrase\n');
  r = await cli(['keys:restore', '--config', cfg, '--in', backup, '--passphrase-file', pass]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /matches the database/);
  const restored = await openKeyring({ data_dir: dataDir }, db.knex, { logger });
  t.is(await createKeyService(restored, logger).decrypt(db.knex, 'emp-c', ref, env), 'via de CLI');
  t.false(readFileSync(backup, 'utf8').includes('via de CLI'));
});
