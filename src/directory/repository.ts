import type { Knex } from '../platform/db.js';
import type { KeyedGroup, MergedGroups } from './groups.js';
import { dnKey } from './groups.js';
import type { SyncDiff } from './plan.js';

/** The incremental-sync bookmark (one row). */
export interface SyncStateRow {
  server_url: string;
  ds_service_name: string | null;
  invocation_id: string | null;
  highest_usn: string | null;
  /** Digest of the configuration the last sync resolved groups for (see configDigest). */
  config_digest: string | null;
  last_full_at: Date | null;
  updated_at: Date;
}

/** How a run ended: applied (changes written, maybe none), blocked (safety valve), failed (directory error). */
export type RunOutcome = 'applied' | 'blocked' | 'failed';

/** Advisory lock key held for a whole run (read and apply): other nodes skip while it is taken. */
const RUN_LOCK = 'uurwerk.directory.run';

/** One recorded sync run. */
export interface SyncRunRow {
  id: string;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  mode: 'full' | 'incremental';
  trigger: string;
  outcome: RunOutcome;
  server_url: string | null;
  counts: Record<string, number>;
  error_code: string | null;
  error: string | null;
  diff: SyncDiff | null;
  operators_mailed: boolean;
}

/** Serialises syncs: the scheduled job and a CLI run never apply at the same time. */
export async function lockSync(trx: Knex.Transaction): Promise<void> {
  await trx.raw("SELECT pg_advisory_xact_lock(hashtext('uurwerk.directory.sync'))");
}

/** The bookmark, if any sync has succeeded. */
export async function syncState(db: Knex | Knex.Transaction): Promise<SyncStateRow | undefined> {
  const row = (await db('directory_sync_state').where({ id: 1 }).first()) as SyncStateRow | undefined;
  return row ? { ...row, highest_usn: row.highest_usn === null ? null : String(row.highest_usn) } : undefined;
}

/** Stores the bookmark after a successful sync. */
export async function saveSyncState(trx: Knex.Transaction, state: Omit<SyncStateRow, 'updated_at' | 'last_full_at'>, full: boolean, now: Date): Promise<void> {
  const row = { id: 1, ...state, updated_at: now, ...(full ? { last_full_at: now } : {}) };
  await trx('directory_sync_state').insert(row).onConflict('id').merge();
}

/** Records one run. */
export async function insertRun(trx: Knex | Knex.Transaction, run: Omit<SyncRunRow, 'id'>): Promise<string> {
  const [row] = await trx('directory_sync_runs')
    .insert({ ...run, counts: JSON.stringify(run.counts), diff: run.diff === null ? null : JSON.stringify(run.diff) })
    .returning('id');
  return (row as { id: string }).id;
}

/** The most recent runs, newest first. */
export async function recentRuns(db: Knex | Knex.Transaction, limit = 10): Promise<SyncRunRow[]> {
  return db<SyncRunRow>('directory_sync_runs').orderBy('started_at', 'desc').limit(limit);
}

/**
 * True when the operators were already mailed about this same problem in the last
 * day and no sync has succeeded since: an unreachable server then mails once a day,
 * not every hour.
 */
export async function alreadyMailed(db: Knex | Knex.Transaction, errorCode: string, now: Date): Promise<boolean> {
  const lastApplied = db('directory_sync_runs').where({ outcome: 'applied' }).max('started_at');
  const row = await db('directory_sync_runs')
    .where({ error_code: errorCode, operators_mailed: true })
    .andWhere('started_at', '>', new Date(now.getTime() - 24 * 3600_000))
    .andWhere('started_at', '>', db.raw("coalesce((?), '-infinity'::timestamptz)", [lastApplied]))
    .first('id');
  return row !== undefined;
}

/**
 * Runs `fn` while holding the run lock (a transaction-scoped advisory lock on its own
 * connection, so a killed process releases it with its connection); returns
 * `undefined` at once when another node or process holds it.
 */
export async function withRunLock<T>(db: Knex, fn: () => Promise<T>): Promise<T | undefined> {
  return db.transaction(async (lockTrx) => {
    const { rows } = await lockTrx.raw<{ rows: Array<{ got: boolean }> }>('SELECT pg_try_advisory_xact_lock(hashtext(?)) AS got', [RUN_LOCK]);
    if (!rows[0]?.got) return undefined;
    return fn();
  });
}

/** The groups the last sync stored, with their direct members. */
export async function storedGroups(db: Knex | Knex.Transaction): Promise<KeyedGroup[]> {
  return db('directory_groups').select('guid', 'dn', 'members') as Promise<KeyedGroup[]>;
}

function groupRow(g: KeyedGroup) {
  return { guid: g.guid, dn: g.dn, dn_key: dnKey(g.dn), members: g.members, updated_at: new Date() };
}

/** A full sync's groups replace every stored row. */
export async function replaceGroups(trx: Knex.Transaction, groups: KeyedGroup[]): Promise<void> {
  await trx('directory_groups').delete();
  for (let i = 0; i < groups.length; i += 200) await trx('directory_groups').insert(groups.slice(i, i + 200).map(groupRow));
}

/** An incremental sync writes only the groups it changed and drops the deleted ones. */
export async function writeGroups(trx: Knex.Transaction, merged: MergedGroups): Promise<void> {
  if (merged.removed.size > 0) await trx('directory_groups').whereIn('guid', [...merged.removed]).delete();
  const rows = [...merged.changed].map((guid) => groupRow(merged.groups.get(guid)!));
  for (let i = 0; i < rows.length; i += 200) await trx('directory_groups').insert(rows.slice(i, i + 200)).onConflict('guid').merge();
}
