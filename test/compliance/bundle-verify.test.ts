import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { COMMANDS_BEGIN, COMMANDS_END } from '../../src/compliance/bundle-readme.js';
import { eventLineBatches } from '../../src/audit/export.js';
import { measuresDocument } from '../../src/compliance/bundle-measures.js';
import { buildComplianceBundle, type ComplianceDeps } from '../../src/compliance/export-bundle.js';
import { complianceExtraFiles } from '../../src/compliance/export-extras.js';
import type { Role } from '../../src/identity/repository.js';
import { systemClock } from '../../src/platform/clock.js';
import { appendEventsAt } from '../audit/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/** The export's own deps, from the running appliance (no retention handlers: not needed here). */
function exportDeps(a: TestApp): ComplianceDeps {
  const s = a.app.services;
  const deps = { db: a.app.db, config: a.config, keys: s.keys, audit: s.audit, clock: systemClock, keyring: s.keyring, ledger: s.ledger, handlers: [] };
  return { ...deps, extraFiles: complianceExtraFiles(deps) };
}

const auditorActor = { accountId: 'cli:test', roles: new Set<Role>(['auditor']), teams: new Set<string>() };

/** The commands between the README's markers, exactly as written there. */
function readmeCommands(dir: string): string[] {
  const text = readFileSync(path.join(dir, 'README.txt'), 'utf8');
  const lines = text.split('\n');
  return lines.slice(lines.indexOf(COMMANDS_BEGIN) + 1, lines.indexOf(COMMANDS_END));
}

/** Runs each command with sh in `dir` (nothing of the project): the exit status of each. */
function runCommands(dir: string, commands: string[]): Array<{ command: string; status: number | null; out: string }> {
  return commands.map((command) => {
    const r = spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8' });
    return { command, status: r.status, out: r.stdout + r.stderr };
  });
}

test('the README’s openssl and sha256sum commands verify the bundle; one changed byte in any file makes a command fail; the period holds exactly its events', async (t) => {
  const a = await startTestApp(t);
  const at = (s: string) => new Date(s);
  // Around the period 2026-11-02 (UTC): its first and last millisecond are in, the neighbours out.
  const before = await appendEventsAt(a.app.db, at('2026-11-01T23:59:59.999Z'), 1);
  const inside = [
    ...(await appendEventsAt(a.app.db, at('2026-11-02T00:00:00.000Z'), 3)),
    ...(await appendEventsAt(a.app.db, at('2026-11-02T12:00:00.000Z'), 2)),
  ];
  const after = await appendEventsAt(a.app.db, at('2026-11-03T00:00:00.000Z'), 1);
  const last = await appendEventsAt(a.app.db, at('2026-11-02T23:59:59.000Z'), 1);
  inside.push(...last);

  const work = mkdtempSync(path.join(tmpdir(), 'uurwerk-cexport-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const zip = path.join(work, 'bundle.zip');
  const r = await buildComplianceBundle(exportDeps(a), { from: '2026-11-02', to: '2026-11-02' }, zip, auditorActor);
  t.is(r.events, inside.length);
  t.true(r.checkpoints >= 1, 'a checkpoint anchors the period');

  const dir = path.join(work, 'unzipped');
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  const seqs = readFileSync(path.join(dir, 'audit/events.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
  t.deepEqual(seqs, inside, 'exactly the period’s events, in seq order');
  t.false(seqs.includes(before[0]!) || seqs.includes(after[0]!));
  const afterSeqs = readFileSync(path.join(dir, 'audit/events-after-period.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);
  t.deepEqual(afterSeqs, [], 'the period’s last event is the log’s last: the fresh checkpoint ends there');

  const commands = readmeCommands(dir);
  t.true(commands.length >= 5);
  t.true(commands.some((c) => c.startsWith('openssl pkeyutl -verify')) && commands.some((c) => c.startsWith('sha256sum')));
  const ok = runCommands(dir, commands);
  t.deepEqual(ok.filter((c) => c.status !== 0), [], 'every README command succeeds on the bundle as written');
  t.true(ok.some((c) => /Signature Verified Successfully/.test(c.out)));

  const names = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
  for (const n of ['README.txt', 'SHA256SUMS', 'SHA256SUMS.sig', 'manifest.json', 'manifest.sig', 'keys/audit-public-key.pem', 'measures.json', 'registers/requests.json', 'registers/breaches.json', 'retention/state.json', 'retention/shred-log.jsonl', 'audit/checkpoints.jsonl', 'access-review.json', 'access-review.csv', 'records-of-processing.json', 'records-of-processing.md', 'works-council-pack.nl.html', 'works-council-pack.en.html', 'privacy-settings-history.json']) {
    t.true(names.includes(n), `${n} is in the bundle`);
  }
  for (const name of names) {
    const copy = path.join(work, 'tampered');
    rmSync(copy, { recursive: true, force: true });
    cpSync(dir, copy, { recursive: true });
    const file = path.join(copy, name);
    const bytes = readFileSync(file);
    if (bytes.length === 0) {
      writeFileSync(file, 'x');
    } else {
      const i = Math.floor(bytes.length / 2);
      bytes[i] = bytes[i]! ^ 0x01;
      writeFileSync(file, bytes);
    }
    const res = runCommands(copy, commands);
    t.true(res.some((c) => c.status !== 0), `one changed byte in ${name} makes a command fail`);
  }
});

test('a period without events gives a bundle that verifies too, with no events and no checkpoints', async (t) => {
  const a = await startTestApp(t);
  const work = mkdtempSync(path.join(tmpdir(), 'uurwerk-cexport-empty-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const zip = path.join(work, 'bundle.zip');
  const r = await buildComplianceBundle(exportDeps(a), { from: '2020-01-01', to: '2020-01-31' }, zip, auditorActor);
  t.is(r.events, 0);
  t.is(r.checkpoints, 0);
  const dir = path.join(work, 'unzipped');
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  t.is(readFileSync(path.join(dir, 'audit/events.jsonl'), 'utf8'), '');
  t.deepEqual(runCommands(dir, readmeCommands(dir)).filter((c) => c.status !== 0), []);
});

test('events travel through COPY byte for byte: awkward payloads (quotes, backslashes, control characters, non-ASCII) come out as the line query writes them', async (t) => {
  const a = await startTestApp(t);
  const awkward = ['quote " and \\ backslash', 'line\nbreak\ttab\r', 'ctrl \u0001\u0002 end', 'ünïcødé — 🕰', '\\x01\\x02'];
  await a.app.db.transaction((trx) => a.app.services.audit.recordMany(trx, awkward.map((text, i) => ({ action: 'test.awkward.payload', actorId: 'test', payload: { text, i, nested: { text } } }))));
  await a.app.services.audit.flush();
  const work = mkdtempSync(path.join(tmpdir(), 'uurwerk-cexport-awkward-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const zip = path.join(work, 'bundle.zip');
  await buildComplianceBundle(exportDeps(a), { from: null, to: null }, zip, auditorActor);
  const dir = path.join(work, 'unzipped');
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  const exported = readFileSync(path.join(dir, 'audit/events.jsonl'), 'utf8');
  let expected = '';
  for await (const b of eventLineBatches(a.app.db, 1, Number.MAX_SAFE_INTEGER)) expected += b.text;
  t.is(exported, expected);
  const texts = exported.trim().split('\n').map((l) => JSON.parse(l) as { action: string; payload: { text?: string } }).filter((e) => e.action === 'test.awkward.payload').map((e) => e.payload.text);
  t.deepEqual(texts, awkward);
});

test('measures: the last database backup is the last one `uurwerk backup` recorded, or says none is recorded', async (t) => {
  const a = await startTestApp(t);
  const before = (await measuresDocument(a.app.db, a.config, new Date())) as { backup: { database_last_backup: string } };
  t.regex(before.backup.database_last_backup, /^none recorded/);
  await a.db.knex('backup_runs').insert({ bytes: 1234, finished_at: new Date('2026-11-30T02:00:00Z') });
  const after = (await measuresDocument(a.app.db, a.config, new Date())) as { backup: { database_last_backup: string } };
  t.is(after.backup.database_last_backup, '2026-11-30T02:00:00.000Z');
});
