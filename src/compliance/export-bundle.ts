import { readFileSync, existsSync } from 'node:fs';
import { checkpointMessage } from '../audit/canonical.js';
import { checkpointsAnchoring, createCheckpoint } from '../audit/checkpoints.js';
import { eventLineBatches, eventLinesByCopy, seqBoundsOfPeriod, type EventPeriod } from '../audit/export.js';
import { publicKeyFingerprint } from '../audit/verify.js';
import type { Actor } from '../identity/policy.js';
import type { FileShredLedger } from '../keys/ledger.js';
import type { Keyring } from '../keys/types.js';
import type { Knex } from '../platform/db.js';
import type { RetentionHandler } from '../platform/retention.js';
import type { PrivacyDeps } from '../privacy/context.js';
import { retentionStatus } from '../retention/status.js';
import { writeSignedBundle, type BundleFile, type BundleResult } from './bundle.js';
import { measuresDocument } from './bundle-measures.js';
import { readmeText } from './bundle-readme.js';
import { breachesRegister, requestsRegister } from './bundle-registers.js';

/**
 * Builds the compliance export: signs a checkpoint over any events not yet covered
 * (so the period's last event has an anchor), then streams the bundle (see
 * bundle.ts) from one REPEATABLE READ snapshot: the period's audit events and the
 * checkpoints that anchor them, the measures, the registers, the retention state and
 * the shred log, and whatever the sibling modules hand in (`extraFiles`).
 */

/** A producer of further files (the access review, the records of processing, ...). */
export type ExtraFiles = (ctx: { db: Knex | Knex.Transaction; period: PeriodDates; now: Date }) => Promise<BundleFile[]>;

/** What the export needs, passed explicitly. */
export interface ComplianceDeps extends PrivacyDeps {
  keyring: Pick<Keyring, 'auditSigningKey'>;
  ledger: Pick<FileShredLedger, 'file' | 'read'>;
  /** The retention handlers of every module, read at call time. */
  handlers: readonly RetentionHandler[];
  /** Sibling modules' files (hooks filled by the composition root). */
  extraFiles?: readonly ExtraFiles[];
}

/** The period as given: local dates `YYYY-MM-DD` (UTC days), both ends included; null leaves a side open. */
export interface PeriodDates {
  from: string | null;
  to: string | null;
}

/** Progress of a build: a step name and a percentage. */
export type Progress = (step: string, percent: number) => Promise<void>;

/** The export's own summary. */
export interface ExportSummary extends BundleResult {
  events: number;
  checkpoints: number;
}

/** [from 00:00Z, day after `to` 00:00Z). */
export function eventPeriod(p: PeriodDates): EventPeriod {
  const day = (d: string) => new Date(`${d}T00:00:00.000Z`);
  return { from: p.from ? day(p.from) : null, to: p.to ? new Date(day(p.to).getTime() + 86_400_000) : null };
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** Writes the compliance export for the period into `file` (a new file, 0600). */
export async function buildComplianceBundle(deps: ComplianceDeps, period: PeriodDates, file: string, actor: Actor, progress: Progress = async () => undefined): Promise<ExportSummary> {
  await progress('checkpoint', 1);
  await createCheckpoint(deps.db, deps.keyring);
  const key = deps.keyring.auditSigningKey();
  const range = eventPeriod(period);
  return deps.db.transaction(async (trx) => {
    const now = deps.clock.now();
    const bounds = await seqBoundsOfPeriod(trx, range);
    const cps = bounds ? await checkpointsAnchoring(trx, bounds.first, bounds.last) : [];
    const anchorEnd = cps.length ? Math.max(cps[cps.length - 1]!.last_seq, bounds!.last) : bounds?.last ?? 0;
    const totalEvents = bounds ? bounds.last - bounds.first + 1 : 0;
    let events = 0;
    let eventsAfter = 0;
    const tdeps: PrivacyDeps = { ...deps, db: trx as unknown as Knex };
    const files: BundleFile[] = [];
    const add = (name: string, what: string, source: BundleFile['source'], level?: number) => files.push({ name, source, level, what });
    add('audit/events.jsonl', 'the audit events of the period, one JSON object a line, with their chain hashes (prev_hash, hash)', async function* () {
      if (!bounds) return;
      let shown = 0;
      for await (const b of eventLinesByCopy(trx, bounds.first, bounds.last, range)) {
        events += b.count;
        const percent = 5 + Math.floor((80 * Math.min(events, totalEvents)) / totalEvents);
        if (percent !== shown) await progress('events', (shown = percent));
        yield b.bytes;
      }
    }, 1);
    add('audit/events-after-period.jsonl', 'the events after the period up to the last checkpoint below: the chain from the period’s last event to its signed anchor', async function* () {
      if (!bounds || anchorEnd <= bounds.last) return;
      for await (const b of eventLineBatches(trx, bounds.last + 1, anchorEnd)) {
        eventsAfter += b.count;
        yield b.text;
      }
    }, 1);
    add('audit/checkpoints.jsonl', 'the signed checkpoints that anchor these events (those covering the period and the first reaching past it)', cps.map((c) => JSON.stringify({ type: 'checkpoint', ...c }) + '\n').join(''));
    for (const cp of cps) {
      const n = String(cp.number).padStart(6, '0');
      add(`audit/checkpoints/${n}.msg`, `checkpoint #${cp.number}: the exact bytes its signature covers`, checkpointMessage(cp), 0);
      add(`audit/checkpoints/${n}.sig`, `checkpoint #${cp.number}: its Ed25519 signature (raw)`, Buffer.from(cp.signature, 'base64'), 0);
    }
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    add('keys/audit-public-key.pem', 'the public key that signs the checkpoints and this bundle (the one `uurwerk audit:public-key` prints)', pem);
    add('measures.json', 'technical and organisational measures as they stand: TLS, second factor, encryption at rest and key rotation, backups, egress, retention job, retention findings, history of setting changes', async function* () {
      await progress('measures', 86);
      yield json(await measuresDocument(trx as unknown as Knex, deps.config, now));
    });
    add('registers/requests.json', 'the request register: deadlines met, missed or open', async function* () {
      yield json(await requestsRegister(tdeps, actor, now));
    });
    add('registers/breaches.json', 'the breach register: the 24-hour and 72-hour deadlines met, missed or open', async function* () {
      yield json(await breachesRegister(tdeps, actor, now));
    });
    add('retention/state.json', 'retention per category (setting, legal minimum, oldest data, due, held), the last runs', async function* () {
      await progress('retention', 90);
      const status = await retentionStatus(trx as unknown as Knex, deps.config.retention, deps.handlers, deps.clock);
      const runs = await trx('retention_runs').where({ dry_run: false }).orderBy('started_at', 'desc').limit(100).select('id', 'status', 'as_of', 'started_at', 'finished_at', 'started_by', 'counts', 'error');
      yield json({ ...status, runs });
    });
    add('retention/shred-log.jsonl', 'the shred ledger: one line per destroyed data key (key id, pseudonymous subject id, purpose, year, time)', () => shredLines(deps.ledger));
    for (const extra of deps.extraFiles ?? []) for (const f of await extra({ db: trx, period, now })) files.push(f);
    const facts = { createdAt: now.toISOString(), period, keyId: key.keyId, fingerprint: publicKeyFingerprint(key.publicKey) };
    add('README.txt', 'this file: what the bundle holds and how to verify it', async function* () {
      yield readmeText({ ...facts, events, eventsAfter, checkpoints: cps.length, files: files.map((f) => ({ name: f.name, what: f.what ?? '' })) });
    });
    const result = await writeSignedBundle(file, files, key, async (name) => {
      if (name === 'README.txt') await progress('signing', 98);
    });
    await progress('done', 100);
    return { ...result, events, checkpoints: cps.length };
  }, { isolationLevel: 'repeatable read', readOnly: true });
}

/** The ledger's records as JSON lines (none when there is no ledger yet). */
async function* shredLines(ledger: Pick<FileShredLedger, 'file' | 'read'>): AsyncGenerator<string> {
  if (!existsSync(ledger.file) || !readFileSync(ledger.file).length) return;
  for (const r of ledger.read().records) yield JSON.stringify(r) + '\n';
}
