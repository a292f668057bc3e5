import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { AUDIT_ACTIONS, SYSTEM_ACTOR } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Knex } from '../platform/db.js';
import { AppError, ConflictError, NotFoundError } from '../platform/errors.js';
import { buildZip } from './archive.js';
import { exportDocumentOf, type CollectDeps } from './collect.js';
import type { exportStartedResponse, exportStatusResponse } from './schema.js';

/**
 * The life of a "My data" download: the person starts it (a row, an audit event, a
 * job), the job builds the zip with progress and seals it under the person's own data
 * key, the person fetches it once through a link whose token only they were shown,
 * within 24 hours; then the archive is emptied. Only the person reaches their export:
 * every query is keyed on their account id, and anyone else's id answers 404.
 */

/** What the export service needs. */
export interface ExportDeps extends CollectDeps {
  audit: AuditLog;
}

/** How long a download link works. */
export const LINK_HOURS = 24;
/** A build running longer than this was interrupted (its node stopped): it no longer blocks a new one. */
const STALE = `now() - interval '1 hour'`;

type Status = z.infer<typeof exportStatusResponse>;
interface ExportRow {
  id: string; account_id: string; status: Status['status']; progress: number; step: string | null; token_hash: Buffer; archive: string | null; bytes: number | null;
  created_at: Date; finished_at: Date | null; expires_at: Date; fetched_at: Date | null;
}

/** The AES-GCM binding of an export's sealed zip. */
export const archiveRef = (id: string) => ({ table: 'mydata_exports', column: 'archive', rowId: id });

const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();
const iso = (d: Date | null) => (d ? d.toISOString() : null);

function present(r: ExportRow): Status {
  const expired = r.status !== 'fetched' && r.expires_at.getTime() <= Date.now();
  return {
    id: r.id, status: expired ? 'expired' : r.status, progress: r.progress, step: r.step, created_at: r.created_at.toISOString(),
    finished_at: iso(r.finished_at), expires_at: r.expires_at.toISOString(), fetched_at: iso(r.fetched_at), bytes: r.bytes,
  };
}

/** The link that fetches an export once. */
export const downloadPath = (id: string, token: string) => `/me/data/exports/${id}/download?token=${token}`;

/**
 * Starts an export of the person's own data (409 while one is still being built).
 * Returns its status and the one-time link; the caller hands the job to the engine.
 */
export async function startExport(deps: ExportDeps, accountId: string): Promise<z.infer<typeof exportStartedResponse>> {
  const token = randomBytes(32).toString('base64url');
  const row = await deps.db.transaction(async (trx) => {
    // One export at a time per person: the account row is the lock two clicks queue on.
    await trx('accounts').where({ id: accountId }).forUpdate().first('id');
    const busy = await trx('mydata_exports').where({ account_id: accountId }).where('expires_at', '>', trx.fn.now())
      .where((q) => void q.where('status', 'queued').orWhere((r) => void r.where('status', 'running').where('started_at', '>', trx.raw(STALE))))
      .first('id');
    if (busy) throw new ConflictError('An export of your data is already being built; wait for it to finish', 'export_in_progress');
    const [r] = (await trx('mydata_exports')
      .insert({ account_id: accountId, token_hash: hashToken(token), expires_at: trx.raw(`now() + interval '${LINK_HOURS} hours'`) })
      .returning('*')) as ExportRow[];
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.myDataExportRequested, actorId: accountId, subjectId: accountId, object: { type: 'mydata_export', id: r!.id } });
    return r!;
  });
  return { ...present(row), download_url: downloadPath(row.id, token) };
}

/** The status of one of the person's exports (404 for anyone else's). */
export async function exportStatus(db: Knex, accountId: string, id: string): Promise<Status> {
  const row = (await db('mydata_exports').where({ id, account_id: accountId }).first()) as ExportRow | undefined;
  if (!row) throw new NotFoundError();
  return present(row);
}

/**
 * Builds one queued export (the job): claims it (queued → running, so two nodes never
 * build the same one), collects with progress, zips, seals and marks it ready. A
 * failure is recorded on the row without any content (the person may start again).
 */
export async function buildExport(deps: ExportDeps, id: string): Promise<'built' | 'not-queued' | 'failed'> {
  const [claimed] = (await deps.db('mydata_exports').where({ id, status: 'queued' }).where('expires_at', '>', deps.db.fn.now())
    .update({ status: 'running', started_at: deps.db.fn.now(), step: 'starting' }).returning(['id', 'account_id'])) as Array<{ id: string; account_id: string }>;
  if (!claimed) return 'not-queued';
  const accountId = claimed.account_id;
  try {
    const files: Record<string, unknown> = {};
    const doc = await exportDocumentOf(deps, accountId, async (step, percent) => {
      await deps.db('mydata_exports').where({ id }).update({ step, progress: Math.min(99, Math.max(0, percent)) });
    }, files);
    const zip = buildZip(doc, files);
    await deps.db.transaction(async (trx) => {
      const archive = await deps.keys.encrypt(trx, accountId, archiveRef(id), Buffer.from(zip).toString('base64'), { purpose: 'profile' });
      await trx('mydata_exports').where({ id }).update({ status: 'ready', progress: 100, step: 'ready', archive, bytes: zip.length, finished_at: trx.fn.now() });
      await deps.audit.record(trx, {
        action: AUDIT_ACTIONS.myDataExportBuilt, actorId: SYSTEM_ACTOR, subjectId: accountId, object: { type: 'mydata_export', id },
        payload: { bytes: zip.length, days: doc.days.length, entries: doc.entries.length, audit_events: doc.audit_events.length },
      });
    });
    return 'built';
  } catch (err) {
    // The error text stays generic: an exception message might quote personal content.
    await deps.db('mydata_exports').where({ id }).update({ status: 'failed', step: 'failed', error: err instanceof AppError ? err.code : 'internal error', finished_at: deps.db.fn.now() });
    throw err;
  }
}

/** Builds every queued export (the minute sweep, for a job that was never sent). */
export async function buildQueued(deps: ExportDeps): Promise<number> {
  const rows = (await deps.db('mydata_exports').where({ status: 'queued' }).where('expires_at', '>', deps.db.fn.now()).orderBy('created_at').select('id')) as Array<{ id: string }>;
  let n = 0;
  for (const r of rows) if ((await buildExport(deps, r.id).catch(() => 'failed')) === 'built') n++;
  return n;
}

/** Gone: the link was used, or its 24 hours are over. */
export class ExportGoneError extends AppError {
  constructor(message: string) {
    super(410, 'export_gone', message);
  }
}

/**
 * Fetches the zip once: the person's own export, the link's token, ready and within
 * 24 hours. The archive is emptied in the same transaction that records the download,
 * so a second use of the link answers 410.
 */
export async function downloadExport(deps: ExportDeps, accountId: string, id: string, token: string): Promise<{ zip: Buffer; name: string }> {
  return deps.db.transaction(async (trx) => {
    const row = (await trx('mydata_exports').where({ id, account_id: accountId }).forUpdate().first()) as ExportRow | undefined;
    const given = hashToken(token);
    if (!row || !timingSafeEqual(given, row.token_hash)) throw new NotFoundError();
    if (row.status === 'fetched') throw new ExportGoneError('This download link was already used; start a new export');
    if (row.expires_at.getTime() <= Date.now() || row.status === 'expired') throw new ExportGoneError('This download link has expired (links work for 24 hours); start a new export');
    if (row.status !== 'ready' || !row.archive) throw new ConflictError(`The export is not ready yet (${row.status}, ${row.progress} %)`, 'export_not_ready');
    const zip = Buffer.from(await deps.keys.decrypt(trx, accountId, archiveRef(id), row.archive), 'base64');
    await trx('mydata_exports').where({ id }).update({ status: 'fetched', fetched_at: trx.fn.now(), archive: null });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.myDataExportDownloaded, actorId: accountId, subjectId: accountId, object: { type: 'mydata_export', id }, payload: { bytes: zip.length } });
    return { zip, name: `my-data-${row.created_at.toISOString().slice(0, 10)}.zip` };
  });
}

/**
 * Housekeeping: marks failed a build that stopped without finishing (its node died:
 * running for over an hour), and empties and marks expired every export whose link ran out.
 */
export async function expireExports(db: Knex): Promise<Record<string, number>> {
  const stale = await db('mydata_exports').where('status', 'running').where('started_at', '<=', db.raw(STALE)).update({ status: 'failed', step: 'failed', error: 'interrupted', finished_at: db.fn.now() });
  const n = await db('mydata_exports').whereIn('status', ['queued', 'running', 'ready', 'failed']).where('expires_at', '<=', db.fn.now()).update({ status: 'expired', archive: null });
  return { expiredExports: n, interruptedExports: stale };
}
