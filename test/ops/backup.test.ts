import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import pg from 'pg';
import { BackupError, backupDatabase, findPgTools, openDumpTarget, restoreDatabase } from '../../src/ops/backup.js';
import { initKeyring } from '../../src/keys/lifecycle.js';
import { generateKeyringMaterial, writeKeyringMaterial } from '../../src/keys/keyring.js';
import { parseConfig } from '../../src/platform/config.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { nodeScript, repoRoot } from '../helpers/env.js';

const run = promisify(execFile);
const root = repoRoot;

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the real CLI (compiled by test/run.ts) with a config file pointing at `url`. */
async function cli(dir: string, url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, `data_dir: ${dir}/data\ndatabase:\n  url: ${url}\nlog:\n  level: warn\n`);
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeScript('src/main.ts'), '--config', configFile, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('backup then restore through the CLI brings back exactly the dumped rows and drops tables added later', async (t) => {
  const db = await useTestDatabase(t);
  const dir = tempDir(t);
  await db.knex.schema.createTable('probe', (tb) => {
    tb.integer('id').primary();
    tb.text('note');
  });
  await db.knex('probe').insert([{ id: 1, note: 'before backup' }, { id: 2, note: 'also before' }]);
  // The keyring the CLI's config points at (<data_dir>/keys), registered in the database.
  await initKeyring(db.knex, path.join(dir, 'data', 'keys'), { logger: testLogger(t.title) });
  const dump = path.join(dir, 'uurwerk.dump');

  const backup = await cli(dir, db.url, ['backup', '--out', dump]);
  t.is(backup.code, 0, backup.stderr);
  t.regex(backup.stdout, /backup written: .*uurwerk\.dump/);
  t.is(statSync(dump).mode & 0o777, 0o600, 'the dump holds personal data: owner-only');

  await db.knex('probe').where({ id: 1 }).update({ note: 'changed after backup' });
  await db.knex('probe').insert({ id: 3, note: 'added after backup' });
  await db.knex.schema.createTable('from_a_newer_version', (tb) => tb.integer('id'));
  // The test's own pool would count as "another session"; close it for the restore.
  await db.knex.destroy();

  const restore = await cli(dir, db.url, ['restore', '--in', dump]);
  t.is(restore.code, 0, restore.stderr);
  t.regex(restore.stdout, /restored \d+ entries/);
  t.regex(restore.stdout, /decryption check: OK \(KEK version\(s\) 1 in .* decrypt the database's canaries\)/);

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const rows = await client.query('SELECT id, note FROM probe ORDER BY id');
    t.deepEqual(rows.rows, [{ id: 1, note: 'before backup' }, { id: 2, note: 'also before' }]);
    const newer = await client.query("SELECT to_regclass('public.from_a_newer_version') AS t");
    t.is(newer.rows[0].t, null);
    const migrations = await client.query('SELECT count(*)::int AS n FROM knex_migrations');
    t.true(migrations.rows[0].n > 0, 'the migration history is part of the dump');
  } finally {
    await client.end();
  }
});

test('restore with a keyring that does not belong to the dump restores but exits 1 and says the data does not decrypt', async (t) => {
  const db = await useTestDatabase(t);
  const dir = tempDir(t);
  await initKeyring(db.knex, path.join(dir, 'data', 'keys'), { logger: testLogger(t.title) });
  const dump = path.join(dir, 'uurwerk.dump');
  t.is((await cli(dir, db.url, ['backup', '--out', dump])).code, 0);
  await db.knex.destroy();
  // Another host's keyring: a different KEK v1.
  const other = tempDir(t);
  writeKeyringMaterial(path.join(other, 'data', 'keys'), generateKeyringMaterial());
  const restore = await cli(other, db.url, ['restore', '--in', dump]);
  t.is(restore.code, 1);
  t.regex(restore.stderr, /does NOT decrypt with the keyring in .*wrong key/);
  t.regex(restore.stderr, /keys:restore/);
});

test('restore refuses while another session (a running service) is connected', async (t) => {
  const db = await useTestDatabase(t);
  const dir = tempDir(t);
  const config = parseConfig({ data_dir: dir, database: { url: db.url } });
  const tools = findPgTools();
  const target = await openDumpTarget(config, testLogger(t.title));
  const dump = path.join(dir, 'x.dump');
  await backupDatabase(target, tools, dump);
  await db.knex.raw('SELECT 1'); // keeps a pooled connection open
  const err = await t.throwsAsync(restoreDatabase(target, tools, dump), { instanceOf: BackupError });
  t.regex(err.message, /other session\(s\) are connected.*stop the service first/);
});

test('a failed dump leaves no file behind and says why', async (t) => {
  const dir = tempDir(t);
  const config = parseConfig({ data_dir: dir, database: { url: 'postgres://nobody@127.0.0.1:1/none' } });
  const target = await openDumpTarget(config, testLogger(t.title));
  const dump = path.join(dir, 'never.dump');
  const err = await t.throwsAsync(backupDatabase(target, findPgTools(), dump), { instanceOf: BackupError });
  t.regex(err.message, /pg_dump failed/);
  t.throws(() => statSync(dump));
});

test('missing client tools are reported with the package to install', (t) => {
  const dir = tempDir(t);
  const err = t.throws(() => findPgTools(dir), { instanceOf: BackupError });
  t.regex(err.message, /postgresql-client/);
});
