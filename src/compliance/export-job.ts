import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { AUDIT_ACTIONS, SYSTEM_ACTOR } from '../audit/actions.js';
import { loadActor } from '../identity/auth-service.js';
import type { Knex } from '../platform/db.js';
import { AppError, ConflictError, NotFoundError } from '../platform/errors.js';
import { buildComplianceBundle, type ComplianceDeps, type PeriodDates } from './export-bundle.js';

/**
 * The life of a compliance export started from the auditor's page: the auditor starts
 * it (a row, an audit event, a job), the job writes the signed zip to
 * `<data_dir>/compliance-exports/<id>.zip` with progress, the auditor fetches it once
 * through a link whose token only they were shown, within 24 hours; then the file is
 * removed. Only the auditor who started an export reaches it (every query is keyed on
 * their account id; anyone else's id answers 404). The zip holds no key that opens
 * the encrypted personal details in the events and no free text of the registers; it
 * names accounts (the access review), so it rests for those hours only, readable by
 * the appliance's OS user only (0600).
 */

/** How long a download link works. */
export const EXPORT_LINK_HOURS = 24;
/** A build running longer than this was interrupted (its node stopped). */
const STALE = `now() - interval '6 hours'`;

/** What the export job needs beyond the bundle's deps. */
export interface ExportJobDeps extends ComplianceDeps {
  /** Folder of the built zips (created 0700). */
  dir: string;
}

/** An export as its page and API show it. */
export interface ExportStatus {
  id: string;
  status: 'queued' | 'running' | 'ready' | 'fetched' | 'expired' | 'failed';
  progress: number;
  step: string | null;
  from: string | null;
  to: string | null;
  created_at: string;
  finished_at: string | null;
  expires_at: string;
  fetched_at: string | null;
  bytes: number | null;
  events: number | null;
  manifest_sha256: string | null;
}

interface Row {
  id: string; requested_by: string; period_from: string | null; period_to: string | null; status: ExportStatus['status']; progress: number; step: string | null;
  token_hash: Buffer; bytes: string | null; events: string | null; manifest_sha256: string | null; created_at: Date; finished_at: Date | null; expires_at: Date; fetched_at: Date | null;
}

const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const num = (v: string | null) => (v === null ? null : Number(v));
const select = (db: Knex | Knex.Transaction) => db('compliance_exports').select('*', db.raw('period_from::text AS period_from'), db.raw('period_to::text AS period_to'));

/** The zip of an export on disk. */
export const zipPath = (dir: string, id: string) => path.join(dir, `${id}.zip`);

/** The one-time download link. */
export const exportDownloadPath = (id: string, token: string) => `/audit/export/${id}/download?token=${token}`;

function present(r: Row): ExportStatus {
  const expired = r.status !== 'fetched' && r.expires_at.getTime() <= Date.now();
  return {
    id: r.id, status: expired ? 'expired' : r.status, progress: r.progress, step: r.step, from: r.period_from, to: r.period_to,
    created_at: r.created_at.toISOString(), finished_at: iso(r.finished_at), expires_at: r.expires_at.toISOString(), fetched_at: iso(r.fetched_at),
    bytes: num(r.bytes), events: num(r.events), manifest_sha256: r.manifest_sha256,
  };
}

/** Starts an export for the auditor (409 while one of theirs is still being built); returns its status and the one-time link. */
export async function startComplianceExport(deps: Pick<ComplianceDeps, 'db' | 'audit'>, accountId: string, period: PeriodDates): Promise<ExportStatus & { download_url: string }> {
  const token = randomBytes(32).toString('base64url');
  const row = await deps.db.transaction(async (trx) => {
    await trx('accounts').where({ id: accountId }).forUpdate().first('id');
    const busy = await trx('compliance_exports').where({ requested_by: accountId }).where('expires_at', '>', trx.fn.now())
      .where((q) => void q.where('status', 'queued').orWhere((r) => void r.where('status', 'running').where('started_at', '>', trx.raw(STALE))))
      .first('id');
    if (busy) throw new ConflictError('A compliance export you started is still being built; wait for it to finish', 'export_in_progress');
    const [r] = (await trx('compliance_exports')
      .insert({ requested_by: accountId, period_from: period.from, period_to: period.to, token_hash: hashToken(token), expires_at: trx.raw(`now() + interval '${EXPORT_LINK_HOURS} hours'`) })
      .returning('id')) as Array<{ id: string }>;
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.complianceExportStarted, actorId: accountId, object: { type: 'compliance_export', id: r!.id }, payload: { from: period.from, to: period.to } });
    return (await select(trx).where({ id: r!.id }).first()) as Row;
  });
  return { ...present(row), download_url: exportDownloadPath(row.id, token) };
}

/** One of the auditor's exports (404 for anyone else's). */
export async function complianceExportStatus(db: Knex, accountId: string, id: string): Promise<ExportStatus> {
  const row = (await select(db).where({ id, requested_by: accountId }).first()) as Row | undefined;
  if (!row) throw new NotFoundError();
  return present(row);
}

/** The auditor's exports, newest first. */
export async function listComplianceExports(db: Knex, accountId: string): Promise<ExportStatus[]> {
  return ((await select(db).where({ requested_by: accountId }).orderBy('created_at', 'desc').limit(20)) as Row[]).map(present);
}

/**
 * Builds one queued export (the job): claims it (queued → running, so two nodes never
 * build the same one), writes the bundle with progress as the requesting auditor (who
 * must still hold the role), marks it ready. A failure is recorded without detail.
 */
export async function buildQueuedExport(deps: ExportJobDeps, id: string): Promise<'built' | 'not-queued'> {
  const [claimed] = (await deps.db('compliance_exports').where({ id, status: 'queued' }).where('expires_at', '>', deps.db.fn.now())
    .update({ status: 'running', started_at: deps.db.fn.now(), step: 'starting' }).returning(['id', 'requested_by', deps.db.raw('period_from::text AS period_from'), deps.db.raw('period_to::text AS period_to')])) as Array<{ id: string; requested_by: string; period_from: string | null; period_to: string | null }>;
  if (!claimed) return 'not-queued';
  const file = zipPath(deps.dir, id);
  try {
    mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
    rmSync(file, { force: true });
    const actor = await loadActor(deps.db, claimed.requested_by);
    let shown = -1;
    const r = await buildComplianceBundle(deps, { from: claimed.period_from, to: claimed.period_to }, file, actor, async (step, percent) => {
      const p = Math.min(99, Math.max(0, percent));
      if (p === shown) return;
      shown = p;
      await deps.db('compliance_exports').where({ id }).update({ step, progress: p });
    });
    await deps.db.transaction(async (trx) => {
      await trx('compliance_exports').where({ id }).update({ status: 'ready', progress: 100, step: 'ready', bytes: r.bytes, events: r.events, manifest_sha256: r.manifestSha256, finished_at: trx.fn.now() });
      await deps.audit.record(trx, {
        action: AUDIT_ACTIONS.complianceExportBuilt, actorId: SYSTEM_ACTOR, object: { type: 'compliance_export', id },
        payload: { bytes: r.bytes, events: r.events, checkpoints: r.checkpoints, manifest_sha256: r.manifestSha256 },
      });
    });
    return 'built';
  } catch (err) {
    rmSync(file, { force: true });
    await deps.db('compliance_exports').where({ id }).update({ status: 'failed', step: 'failed', error: err instanceof AppError ? err.code : 'internal error', finished_at: deps.db.fn.now() });
    throw err;
  }
}

/** Builds every queued export (the minute sweep, for a job that was never sent). */
export async function buildAllQueued(deps: ExportJobDeps): Promise<number> {
  const rows = (await deps.db('compliance_exports').where({ status: 'queued' }).where('expires_at', '>', deps.db.fn.now()).orderBy('created_at').select('id')) as Array<{ id: string }>;
  let n = 0;
  for (const r of rows) if ((await buildQueuedExport(deps, r.id).catch(() => 'failed')) === 'built') n++;
  return n;
}

/** Gone: the link was used, or its 24 hours are over. */
export class ExportGoneError extends AppError {
  constructor(message: string) {
    super(410, 'export_gone', message);
  }
}

/**
 * Hands out the zip once: the auditor's own export, the link's token, ready, within 24
 * hours. The row is marked fetched and the download audited before the first byte
 * goes out, so a second use of the link answers 410; the caller removes the file once
 * it is sent (`removeExportFile`).
 */
export async function claimDownload(deps: ExportJobDeps, accountId: string, id: string, token: string): Promise<{ file: string; name: string; bytes: number }> {
  return deps.db.transaction(async (trx) => {
    const row = (await select(trx).where({ id, requested_by: accountId }).forUpdate().first()) as Row | undefined;
    if (!row || !timingSafeEqual(hashToken(token), row.token_hash)) throw new NotFoundError();
    if (row.status === 'fetched') throw new ExportGoneError('This download link was already used; start a new export');
    if (row.expires_at.getTime() <= Date.now() || row.status === 'expired') throw new ExportGoneError('This download link has expired (links work for 24 hours); start a new export');
    if (row.status !== 'ready') throw new ConflictError(`The export is not ready yet (${row.status}, ${row.progress} %)`, 'export_not_ready');
    await trx('compliance_exports').where({ id }).update({ status: 'fetched', fetched_at: trx.fn.now() });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.complianceExportDownloaded, actorId: accountId, object: { type: 'compliance_export', id }, payload: { bytes: Number(row.bytes), manifest_sha256: row.manifest_sha256 } });
    return { file: zipPath(deps.dir, id), name: `compliance-export-${row.created_at.toISOString().slice(0, 10)}.zip`, bytes: Number(row.bytes) };
  });
}

/** Removes an export's zip (after its download). */
export function removeExportFile(dir: string, id: string): void {
  rmSync(zipPath(dir, id), { force: true });
}

/**
 * Housekeeping: marks failed a build that stopped without finishing, marks expired
 * every export whose link ran out, and removes the zip of every export that is no
 * longer ready (fetched, expired, failed): nothing stays on disk past 24 hours.
 */
export async function expireComplianceExports(deps: Pick<ExportJobDeps, 'db' | 'dir'>): Promise<Record<string, number>> {
  const { db } = deps;
  const stale = await db('compliance_exports').where('status', 'running').where('started_at', '<=', db.raw(STALE)).update({ status: 'failed', step: 'failed', error: 'interrupted', finished_at: db.fn.now() });
  const expired = await db('compliance_exports').whereIn('status', ['queued', 'running', 'ready', 'failed']).where('expires_at', '<=', db.fn.now()).update({ status: 'expired' });
  const done = (await db('compliance_exports').whereIn('status', ['fetched', 'expired', 'failed']).where('created_at', '>', db.raw(`now() - interval '7 days'`)).select('id')) as Array<{ id: string }>;
  for (const r of done) removeExportFile(deps.dir, r.id);
  return { expiredComplianceExports: expired, interruptedComplianceExports: stale };
}
