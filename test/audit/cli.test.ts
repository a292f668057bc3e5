import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCheckpoint } from '../../src/audit/checkpoints.js';
import { ageOnce } from '../../src/audit/retention.js';
import { parseConfig } from '../../src/platform/config.js';
import { openCoreServices } from '../../src/app/services.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { appendEvents, tamper } from './helpers.js';
import { buildLocalAccount } from '../helpers/factories.js';

const env = { UURWERK_CONFIG: '' };

/** A database with a real keyring (keys.init + 10 events = seq 1..11) and one checkpoint over them, plus a config file pointing at both. */
async function prepared(t: Parameters<typeof useTestDatabase>[0]) {
  const db = await useTestDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-audit-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const logger = testLogger(t.title);
  // The appliance's own wiring: creating the keyring records keys.init as seq 1.
  const { keyring, audit } = await openCoreServices(parseConfig({ data_dir: dataDir, database: { url: db.url } }, 'test'), db.knex, logger);
  await appendEvents(db.knex, audit, 10);
  await createCheckpoint(db.knex, keyring);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${dataDir}\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  return { db, knex: db.knex, dir, config, keyring, audit };
}

test('audit:verify exits 0 on an intact log, 1 naming the edited seq, 2 on bad usage', async (t) => {
  const { knex, config } = await prepared(t);
  const ok = await runCli(['audit:verify', '--config', config], { env });
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /events checked: 11 .*\n.*signed up to seq 11/);
  t.regex(ok.stdout, /audit log OK/);

  await tamper(knex, `UPDATE audit.events SET payload = '{"i": 99}' WHERE seq = 6`);
  const bad = await runCli(['audit:verify', '--config', config], { env });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /\[edited\] seq 6: content does not match its hash/);

  const ranged = await runCli(['audit:verify', '--from', '7', '--to', '11', '--json', '--config', config], { env });
  t.is(ranged.code, 0, ranged.stdout + ranged.stderr);
  t.like(JSON.parse(ranged.stdout), { ok: true, from: 7, to: 11, eventsChecked: 5 });

  t.is((await runCli(['audit:verify', '--from', '0', '--config', config], { env })).code, 2);
  t.is((await runCli(['audit:verify', '--from', '5', '--to', '2', '--config', config], { env })).code, 2);
});

test('audit:verify exits 1 on a deleted tail', async (t) => {
  const { knex, config } = await prepared(t);
  await tamper(knex, 'DELETE FROM audit.events WHERE seq >= 10');
  const r = await runCli(['audit:verify', '--config', config], { env });
  t.is(r.code, 1);
  t.regex(r.stderr, /\[tail-deleted\] checkpoint #1 covers up to seq 11 but the log ends at seq 9/);
});

test('audit:export → audit:verify --file verifies offline; a tampered file or a foreign key fails', async (t) => {
  const { knex, dir, config } = await prepared(t);
  const file = path.join(dir, 'export.jsonl');
  const exp = await runCli(['audit:export', '--out', file, '--config', config], { env });
  t.is(exp.code, 0, exp.stderr);
  t.regex(exp.stdout, /wrote 11 event\(s\) and 1 checkpoint\(s\)/);
  const fingerprint = /fingerprint ([0-9a-f]{64})/.exec(exp.stdout)?.[1];
  t.truthy(fingerprint);
  t.is((await runCli(['audit:export', '--out', file, '--config', config], { env })).code, 1, 'refuses to overwrite');
  const last = await knex.withSchema('audit').table('events').orderBy('seq', 'desc').first();
  t.is(last.action, 'audit.log.exported', 'the export itself is recorded');

  // Offline: no config, no database.
  const ok = await runCli(['audit:verify', '--file', file], { env });
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.true(ok.stdout.includes(fingerprint!));

  const pub = await runCli(['audit:public-key', '--config', config], { env });
  t.is(pub.code, 0);
  const pem = path.join(dir, 'signing.pub');
  writeFileSync(pem, pub.stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
  t.is((await runCli(['audit:verify', '--file', file, '--public-key', pem], { env })).code, 0);

  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const i = lines.findIndex((l) => l.includes('"seq":4,'));
  const ev = JSON.parse(lines[i]!);
  ev.actor_id = 'someone-else';
  const edited = path.join(dir, 'edited.jsonl');
  writeFileSync(edited, [...lines.slice(0, i), JSON.stringify(ev), ...lines.slice(i + 1)].join('\n') + '\n');
  const bad = await runCli(['audit:verify', '--file', edited], { env });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /\[edited\] seq 4/);

  // A forged export re-signed with the forger's own key passes only if the auditor trusts the file's key:
  // with the operator's key given explicitly, the real checkpoint still verifies and a swapped key does not.
  const header = JSON.parse(lines[0]!);
  const { generateKeyPairSync } = await import('node:crypto');
  const forger = generateKeyPairSync('ed25519');
  const forgedPem = path.join(dir, 'forger.pub');
  writeFileSync(forgedPem, forger.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const withForeignKey = await runCli(['audit:verify', '--file', file, '--public-key', forgedPem], { env });
  t.is(withForeignKey.code, 1);
  t.regex(withForeignKey.stderr, /checkpoint-signature/);
  t.is(header.public_keys[0].fingerprint_sha256, fingerprint);

  const cut = path.join(dir, 'cut.jsonl');
  writeFileSync(cut, lines.slice(0, -3).join('\n') + '\n');
  const cutR = await runCli(['audit:verify', '--file', cut], { env });
  t.is(cutR.code, 1);
  t.regex(cutR.stderr, /tail-deleted/);
});

test('audit:checkpoint signs what is new, then reports nothing new', async (t) => {
  const { config } = await prepared(t);
  const fresh = await runCli(['audit:checkpoint', '--config', config], { env });
  t.is(fresh.code, 0, fresh.stderr);
  t.regex(fresh.stdout, /nothing new/);
});

test('audit:verify and audit:export on an aged log: proved from the anchor checkpoint; a deleted first event fails', async (t) => {
  const { knex, dir, config, audit } = await prepared(t);
  // A day approved long before the anchor: its submit/approve events aged out with the rest.
  const owner = await buildLocalAccount(knex, audit);
  const lockedDay = { owner_id: owner.id, state: 'approved', time_zone: 'Europe/Amsterdam', approved_by: owner.id };
  await knex('timesheet_days').insert({ ...lockedDay, date: '2019-12-02', submitted_at: '2019-12-03T10:00:00Z', approved_at: '2019-12-04T10:00:00Z' });
  await appendEvents(knex, audit, 2);
  // Ten years on, everything written now is due: the log ages up to checkpoint #1 (seq 11).
  const noHolds = { persons: new Set<string>(), projects: new Set<string>(), customers: new Set<string>(), ranges: [] };
  const aged = await ageOnce(knex, { asOf: new Date('2036-06-01T00:00:00Z'), cutoff: new Date('2029-06-01T00:00:00Z'), holds: noHolds, batchSize: 1000 });
  t.like(aged, { segment: { firstSeq: 1, lastSeq: 11, anchorCheckpoint: 1, events: 11 }, done: true });

  const ok = await runCli(['audit:verify', '--config', config], { env });
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /aged: events before seq 12 were removed by retention; the chain is proved from checkpoint #1/);
  t.regex(ok.stdout, /audit log OK/);
  t.regex(ok.stdout, /not checkable: 1 whose events aged out of the audit log/);
  const file = path.join(dir, 'aged.jsonl');
  t.is((await runCli(['audit:export', '--out', file, '--config', config], { env })).code, 0);
  const offline = await runCli(['audit:verify', '--file', file], { env });
  t.is(offline.code, 0, offline.stdout + offline.stderr);

  // A day locked after the anchor without any event is still a problem.
  await knex('timesheet_days').insert({ ...lockedDay, date: '2026-11-02', submitted_at: new Date(Date.now() + 60_000), approved_at: new Date(Date.now() + 60_000) });
  const unevented = await runCli(['audit:verify', '--config', config], { env });
  t.is(unevented.code, 1);
  t.regex(unevented.stderr, /\[content-changed\] day 2026-11-02 of .*last submit or approve event is missing/);

  await tamper(knex, 'DELETE FROM audit.events WHERE seq = 12');
  const bad = await runCli(['audit:verify', '--config', config], { env });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /\[gap\] gap: seq 1 to 12 are missing/);
});
