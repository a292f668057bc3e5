import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { verifyExportFile } from '../../src/audit/verify.js';
import { keyringDir } from '../../src/keys/keyring.js';
import { tableCounts, userTables, verifyStatement, type DecommissionStatement } from '../../src/ops/decommission.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { buildEmployee, buildEntry, buildProject, buildTeamAdmin } from '../helpers/factories.js';

const env = { UURWERK_CONFIG: '' };
const ORG = 'Ziekenhuis Oost';
const PASSPHRASE = 'correct horse battery staple 42';

/**
 * A seeded appliance: an employee's day with a marker note, submitted and approved
 * through the real API; plus a config file for the CLI on the same database and keyring.
 */
async function seeded(t: Parameters<typeof startTestApp>[0]): Promise<{ a: TestApp; config: string; dir: string; marker: string; ownerId: string }> {
  const a = await startTestApp(t, { ui: { organisation_name: ORG } });
  const admin = await buildTeamAdmin(a, { team: 'ward-1' });
  const owner = await buildEmployee(a, { team: 'ward-1' });
  const { projectId } = await buildProject(a, { by: admin, team: 'ward-1' });
  const marker = `MARKER-${randomUUID()}`;
  const entry = await buildEntry(owner, { projectId, note: marker });
  const day = await owner.client.json<{ id: string }>('POST', `/api/v1/me/days/${entry.date}/submit`);
  t.is(day.status, 200);
  t.is((await admin.client.json('POST', `/api/v1/days/${day.body.id}/approve`)).status, 200);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-decommission-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${a.config.data_dir}\ndatabase:\n  url: ${a.db.url}\nui:\n  organisation_name: ${ORG}\nlog:\n  level: warn\n`);
  return { a, config, dir, marker, ownerId: owner.id };
}

test('a wrong or missing confirmation changes nothing: no archive, every row and key file still there', async (t) => {
  const { a, config, dir } = await seeded(t);
  const before = await tableCounts(a.db.knex);
  const keyFiles = readdirSync(keyringDir(a.config)).sort();
  const out = path.join(dir, 'archive.uwa');

  const wrong = await runCli(['decommission', '--out', out, '--confirm', 'Ziekenhuis West', '--config', config], { env, input: PASSPHRASE });
  t.is(wrong.code, 1, wrong.stderr);
  t.regex(wrong.stderr, /does not match the organisation name.*nothing was changed/);
  const missing = await runCli(['decommission', '--out', out, '--config', config], { env, input: PASSPHRASE });
  t.is(missing.code, 2, missing.stderr);
  t.regex(missing.stderr, /--confirm/);

  t.false(existsSync(out));
  t.deepEqual(await tableCounts(a.db.knex), before);
  t.deepEqual(readdirSync(keyringDir(a.config)).sort(), keyFiles);
});

test('decommission: the archive opens with the passphrase and holds the marker day, then no table, no row and no keyring is left, and the statement verifies', async (t) => {
  const { a, config, dir, marker, ownerId } = await seeded(t);
  const before = await tableCounts(a.db.knex);
  const out = path.join(dir, 'archive.uwa');

  const r = await runCli(['decommission', '--out', out, '--confirm', ORG, '--config', config], { env, input: `${PASSPHRASE}\n`, timeoutMs: 120_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /archive written to .*1 day\(s\) of 1 person/);
  t.false(readFileSync(out, 'utf8').includes(marker), 'the archive is encrypted');

  // Everything is gone: no table in any schema of the database (so no row), no keyring.
  t.deepEqual(await userTables(a.db.knex), []);
  const { rows } = await a.db.knex.raw<{ rows: Array<{ n: string }> }>(`SELECT count(*) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg\\_%'`);
  t.is(Number(rows[0]!.n), 0);
  t.false(existsSync(keyringDir(a.config)), 'keyring directory removed');

  // The archive opens with the passphrase, not without it.
  const opened = path.join(dir, 'opened');
  const bad = await runCli(['decommission:open', '--in', out, '--out', opened], { env, input: 'not the passphrase at all' });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /wrong passphrase/);
  const ok = await runCli(['decommission:open', '--in', out, '--out', opened], { env, input: PASSPHRASE });
  t.is(ok.code, 0, ok.stderr);
  const archive = JSON.parse(readFileSync(path.join(opened, 'archive.json'), 'utf8')) as {
    organisation: string; days: Array<{ owner_id: string; state: string; entries: Array<{ note: string | null }> }>; people: Array<{ id: string; name: string }>;
    retention: Record<string, unknown>; holds: unknown[];
  };
  t.is(archive.organisation, ORG);
  t.is(archive.days.length, 1);
  t.is(archive.days[0]!.state, 'approved');
  t.is(archive.days[0]!.entries[0]!.note, marker);
  t.deepEqual(archive.people.map((p) => p.id), [ownerId]);
  t.is(archive.retention.submitted_days, '7 years');
  t.deepEqual(archive.holds, []);
  const audit = await verifyExportFile(path.join(opened, 'audit.jsonl'));
  t.true(audit.ok, JSON.stringify(audit.problems));
  t.true(audit.eventsChecked > 5);

  // The statement: signed, naming what went and the archive's digest.
  const file = `${out}.statement.json`;
  const s = JSON.parse(readFileSync(file, 'utf8')) as DecommissionStatement;
  t.true(verifyStatement(s));
  t.is(s.statement.archive.sha256, createHash('sha256').update(readFileSync(out)).digest('hex'));
  t.is(s.statement.destroyed.tables['public.time_entries'], before['public.time_entries']);
  t.true(s.statement.destroyed.tables['audit.events']! > before['audit.events']!, 'the decommission event was recorded before destruction');
  t.true(s.statement.destroyed.data_keys >= 1);
  t.deepEqual(s.statement.destroyed.kek_versions, [1]);
  t.is((await runCli(['decommission:verify', '--in', file], { env })).code, 0);
  s.statement.destroyed.rows_total += 1;
  writeFileSync(file, JSON.stringify(s));
  t.false(verifyStatement(s));
  const forged = await runCli(['decommission:verify', '--in', file], { env });
  t.is(forged.code, 1);
  t.regex(forged.stderr, /does NOT verify/);
});
