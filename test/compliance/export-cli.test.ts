import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { openCoreServices } from '../../src/app/services.js';
import { COMMANDS_BEGIN, COMMANDS_END } from '../../src/compliance/bundle-readme.js';
import { parseConfig } from '../../src/platform/config.js';
import { appendEvents } from '../audit/helpers.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';

const env = { UURWERK_CONFIG: '' };

test('compliance:export writes the signed zip (bad period: exit 2, naming the option); the key inside is the one audit:public-key prints; the export is audited', async (t) => {
  const db = await useTestDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-cexport-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const { audit } = await openCoreServices(parseConfig({ data_dir: dataDir, database: { url: db.url } }, 'test'), db.knex, testLogger(t.title));
  await appendEvents(db.knex, audit, 5);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${dataDir}\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  const out = path.join(dir, 'export.zip');

  const bad = await runCli(['compliance:export', '--out', out, '--from', '2026-11-05', '--to', '2026-11-01', '--config', config], { env });
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--to: must not be before from/);
  t.false(existsSync(out));

  const ok = await runCli(['compliance:export', '--out', out, '--config', config], { env });
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /wrote 6 event\(s\), 1 checkpoint\(s\)/);
  t.is((await runCli(['compliance:export', '--out', out, '--config', config], { env })).code, 1, 'an existing file is not overwritten');

  const unzipped = path.join(dir, 'unzipped');
  execFileSync('unzip', ['-q', out, '-d', unzipped]);
  const lines = readFileSync(path.join(unzipped, 'README.txt'), 'utf8').split('\n');
  const commands = lines.slice(lines.indexOf(COMMANDS_BEGIN) + 1, lines.indexOf(COMMANDS_END));
  for (const c of commands) t.is(spawnSync('sh', ['-c', c], { cwd: unzipped }).status, 0, c);

  const printed = await runCli(['audit:public-key', '--config', config], { env });
  const pem = readFileSync(path.join(unzipped, 'keys/audit-public-key.pem'), 'utf8').trim();
  t.true(printed.stdout.includes(pem), 'the bundle’s key is the one audit:public-key prints');
  const fingerprint = /fingerprint ([0-9a-f]{64})/.exec(printed.stdout)![1]!;
  t.true(lines.some((l) => l.trim() === fingerprint), 'the README names the same fingerprint');

  const written = (await db.knex('audit.events').where({ action: AUDIT_ACTIONS.complianceExportWritten }).select('payload')) as Array<{ payload: { events: number; file: string } }>;
  t.is(written.length, 1);
  t.like(written[0]!.payload, { events: 6, file: 'export.zip' });
});
