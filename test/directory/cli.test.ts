/**
 * `uurwerk ldap:sync` and `ldap:status` through the real CLI, against the SCRIPTED
 * FAKE directory (test/helpers/fake-directory.ts) and a test database.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { FAKE_BASE, scriptedFakeDirectory } from '../helpers/fake-directory.js';

test('scripted fake directory: ldap:sync --dry-run prints the diff and changes nothing; ldap:status shows no runs; ldap:sync applies it and records it in the audit log', async (t) => {
  const db = await useTestDatabase(t);
  const fake = await scriptedFakeDirectory({ kind: 'users', count: 3 });
  t.teardown(() => fake.stop());
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-ldap-cli-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, stringify({
    data_dir: dir,
    database: { url: db.url },
    log: { level: 'warn' },
    directory: { urls: [fake.url], allow_plain_ldap: true, base_dns: [`OU=Staff,${FAKE_BASE}`] },
  }));

  const dry = await runCli(['--config', file, 'ldap:sync', '--dry-run']);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, /dry run \(full/);
  t.regex(dry.stdout, /created: 3\n {2}fake0001/);
  t.regex(dry.stdout, /nothing was changed/);
  t.is(Number((await db.knex('accounts').count<{ n: string }[]>({ n: '*' }))[0]!.n), 0);

  const status = await runCli(['--config', file, 'ldap:status']);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /runs: none yet/);
  t.is(Number((await db.knex('directory_sync_runs').count<{ n: string }[]>({ n: '*' }))[0]!.n), 0);

  const real = await runCli(['--config', file, 'ldap:sync']);
  t.is(real.code, 0, real.stderr);
  t.is(Number((await db.knex('accounts').count<{ n: string }[]>({ n: '*' }))[0]!.n), 3);
  const audited = await db.knex('audit.events').where('action', 'like', 'directory.sync.%').count<{ n: string }[]>({ n: '*' });
  t.is(Number(audited[0]!.n), 1, 'the applied sync is in the audit log');
});
