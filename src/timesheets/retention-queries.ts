import type { Knex } from '../platform/db.js';
import type { RetentionHolds } from '../platform/retention.js';
import type { EntryKeyPurpose } from './repository.js';

/**
 * The statements behind the timesheet retention handlers (retention.ts). They run
 * behind the wall's housekeeping bypass as the connection's own role, touch at most
 * `limit` rows each, and find what is due through the partial indexes of migration
 * 20261202170100. Holds are passed as arrays: persons, date ranges (inclusive) and
 * the ids of entries a project or customer hold keeps (known only by decrypting).
 */

type Trx = Knex.Transaction;

/** Holds as SQL parameters. */
export interface HeldParams {
  persons: string[];
  from: string[];
  to: string[];
  /** Entries booked on a held project (or a held customer's project). */
  entryIds: string[];
}

/** The holds in force as SQL parameters, with the entry ids a project/customer hold keeps. */
export function heldParams(holds: RetentionHolds, entryIds: Iterable<string> = []): HeldParams {
  return { persons: [...holds.persons], from: holds.ranges.map((r) => r.from), to: holds.ranges.map((r) => r.to), entryIds: [...entryIds] };
}

/** `e` (an entry) is held by none of the holds. */
function entryFree(h: HeldParams): [string, Knex.Value[]] {
  return [
    `NOT (e.owner_id = ANY (?::uuid[])) AND NOT (e.id = ANY (?::uuid[]))
     AND NOT EXISTS (SELECT 1 FROM unnest(?::date[], ?::date[]) AS r(f, t) WHERE e.first_date <= r.t AND e.last_date >= r.f)`,
    [h.persons, h.entryIds, h.from, h.to],
  ];
}

/** `d` (a day) is held by neither a person nor a range hold (days kept by a held entry stay through `dayEmpty`). */
function dayFree(h: HeldParams): [string, Knex.Value[]] {
  return [`NOT (d.owner_id = ANY (?::uuid[])) AND NOT EXISTS (SELECT 1 FROM unnest(?::date[], ?::date[]) AS r(f, t) WHERE d.date BETWEEN r.f AND r.t)`, [h.persons, h.from, h.to]];
}

/**
 * No entry touches day `d` any more. An entry spans at most three days (a CHECK of
 * time_entries), so the probe reads a bounded slice of the owner's index range.
 */
const dayEmpty = 'NOT EXISTS (SELECT 1 FROM time_entries x WHERE x.owner_id = d.owner_id AND x.first_date BETWEEN d.date - 2 AND d.date AND x.last_date >= d.date)';

/** Which entries and days a category covers, and the date they are due by. */
export interface RowScope {
  /** `record`: entries of days ever submitted, due by first date; `draft`: entries never submitted, due by last date. */
  purpose: EntryKeyPurpose;
  /** Rows dated before this date (`YYYY-MM-DD`) are due. */
  before: string;
  /** Only this person's rows (erasure). */
  ownerId?: string;
}

function entryDue(s: RowScope): [string, Knex.Value[]] {
  const col = s.purpose === 'record' ? 'first_date' : 'last_date';
  return [`e.key_purpose = ? AND e.${col} < ?::date${s.ownerId ? ' AND e.owner_id = ?::uuid' : ''}`, [s.purpose, s.before, ...(s.ownerId ? [s.ownerId] : [])]];
}

function dayDue(s: RowScope): [string, Knex.Value[]] {
  return [`d.submitted_at IS ${s.purpose === 'record' ? 'NOT ' : ''}NULL AND d.date < ?::date${s.ownerId ? ' AND d.owner_id = ?::uuid' : ''}`, [s.before, ...(s.ownerId ? [s.ownerId] : [])]];
}

/** Where a walk through due rows stopped: the (date, id) of the last row a batch deleted. */
export interface Cursor {
  date: string;
  id: string;
}

/** What one batch deleted, and where the next may start (unset when it deleted nothing). */
export interface Deleted {
  n: number;
  last?: Cursor;
}

/**
 * Deletes up to `limit` due rows walking the partial index in (date, id) order from
 * `after`: each batch starts where the last ended instead of stepping over the rows
 * earlier batches deleted (still in the index until vacuumed). SKIP LOCKED: two nodes
 * purging at once take different rows instead of waiting (or deadlocking).
 */
async function deleteWalking(trx: Trx, table: 'time_entries' | 'timesheet_days', alias: 'e' | 'd', col: string, where: string, bindings: Knex.Value[], limit: number, after?: Cursor): Promise<Deleted> {
  const from = after ? ` AND (${alias}.${col}, ${alias}.id) > (?::date, ?::uuid)` : '';
  const { rows } = await trx.raw<{ rows: Array<{ id: string; d: string }> }>(
    // = ANY (ARRAY(…)), not IN (…): the planner would hash-join IN against a scan of the whole table.
    `DELETE FROM ${table} WHERE id = ANY (ARRAY(
       SELECT ${alias}.id FROM ${table} ${alias} WHERE ${where}${from} ORDER BY ${alias}.${col}, ${alias}.id LIMIT ? FOR UPDATE SKIP LOCKED))
     RETURNING id::text AS id, ${col}::text AS d`,
    [...bindings, ...(after ? [after.date, after.id] : []), limit],
  );
  if (!rows.length) return { n: 0 };
  const last = rows.reduce((m, r) => (r.d > m.d || (r.d === m.d && r.id > m.id) ? r : m));
  return { n: rows.length, last: { date: last.d, id: last.id } };
}

/** Deletes up to `limit` due, unheld entries (from `after` on). */
export async function deleteDueEntries(trx: Trx, s: RowScope, h: HeldParams, limit: number, after?: Cursor): Promise<Deleted> {
  const [due, a] = entryDue(s);
  const [free, b] = entryFree(h);
  return deleteWalking(trx, 'time_entries', 'e', s.purpose === 'record' ? 'first_date' : 'last_date', `${due} AND ${free}`, [...a, ...b], limit, after);
}

/** Deletes up to `limit` due, unheld days that no entry touches any more (from `after` on). */
export async function deleteDueDays(trx: Trx, s: RowScope, h: HeldParams, limit: number, after?: Cursor): Promise<Deleted> {
  const [due, a] = dayDue(s);
  const [free, b] = dayFree(h);
  return deleteWalking(trx, 'timesheet_days', 'd', 'date', `${due} AND ${free} AND ${dayEmpty}`, [...a, ...b], limit, after);
}

/** Counts of due rows: unheld (what a run would remove) and held (what holds keep back). */
export async function countDue(trx: Trx, s: RowScope, h: HeldParams): Promise<{ due: { days: number; entries: number }; held: { days: number; entries: number } }> {
  const [edue, a] = entryDue(s);
  const [efree, b] = entryFree(h);
  const [ddue, c] = dayDue(s);
  const [dfree, d] = dayFree(h);
  const { rows } = await trx.raw<{ rows: Array<Record<string, string>> }>(
    `SELECT (SELECT count(*) FILTER (WHERE ${efree}) FROM time_entries e WHERE ${edue}) AS entries_due,
            (SELECT count(*) FROM time_entries e WHERE ${edue}) AS entries_all,
            (SELECT count(*) FILTER (WHERE ${dfree} AND NOT EXISTS (
               SELECT 1 FROM time_entries e WHERE e.owner_id = d.owner_id AND e.first_date <= d.date AND e.last_date >= d.date AND NOT (${efree})))
             FROM timesheet_days d WHERE ${ddue}) AS days_due,
            (SELECT count(*) FROM timesheet_days d WHERE ${ddue}) AS days_all`,
    [...b, ...a, ...a, ...d, ...b, ...c, ...c],
  );
  const n = (k: string) => Number(rows[0]![k] ?? 0);
  return { due: { days: n('days_due'), entries: n('entries_due') }, held: { days: n('days_all') - n('days_due'), entries: n('entries_all') - n('entries_due') } };
}

/**
 * The (owner, year) pairs that still have rows a key of the purpose protects, before
 * `beforeYear`: entries by the year of their first date (the key's year) and, for
 * record keys, days ever submitted (their comments), for draft keys running timers
 * (unless `timers: false`: an erasure deletes them). With `heldBy`, only rows those
 * holds keep (what a plan reports as held back).
 */
export async function unitsWithRows(trx: Trx, purpose: 'record' | 'draft' | 'note', beforeYear: number, opts: { ownerId?: string; heldBy?: HeldParams; timers?: boolean } = {}): Promise<Array<{ subject: string; year: number }>> {
  const before = `${String(beforeYear).padStart(4, '0')}-01-01`;
  const [efree, eb] = opts.heldBy ? entryFree(opts.heldBy) : ['false', []];
  const [dfree, db] = opts.heldBy ? dayFree(opts.heldBy) : ['false', []];
  const entryFilter = purpose === 'note' ? 'e.note IS NOT NULL' : `e.key_purpose = '${purpose}'`;
  const owner = opts.ownerId ? [opts.ownerId] : [];
  // A day is held when a hold names it, or an entry on it is held.
  const dayHeld = opts.heldBy
    ? `(NOT (${dfree}) OR EXISTS (SELECT 1 FROM time_entries e WHERE e.owner_id = d.owner_id AND e.first_date <= d.date AND e.last_date >= d.date AND NOT (${efree})))`
    : 'true';
  // Record keys also seal the comments of days ever submitted; draft keys the running timer
  // (sealed under the key of the UTC year it started in).
  const days = purpose === 'record'
    ? `UNION SELECT d.owner_id, extract(year FROM d.date)::int FROM timesheet_days d WHERE d.submitted_at IS NOT NULL AND d.date < ?::date${opts.ownerId ? ' AND d.owner_id = ?::uuid' : ''} AND ${dayHeld}`
    : purpose === 'draft' && opts.timers !== false
      ? `UNION SELECT t.owner_id, extract(year FROM t.created_at AT TIME ZONE 'UTC')::int FROM running_timers t WHERE t.created_at < ?::date${opts.ownerId ? ' AND t.owner_id = ?::uuid' : ''}`
      : '';
  const { rows } = await trx.raw<{ rows: Array<{ subject: string; year: number }> }>(
    `SELECT owner_id::text AS subject, y AS year FROM (
       SELECT e.owner_id, extract(year FROM e.first_date)::int AS y FROM time_entries e
        WHERE ${entryFilter} AND e.first_date < ?::date${opts.ownerId ? ' AND e.owner_id = ?::uuid' : ''} AND NOT (${efree})
       ${days}) u`,
    [before, ...owner, ...eb, ...(days ? [before, ...owner, ...(opts.heldBy && purpose === 'record' ? [...db, ...eb] : [])] : [])],
  );
  return rows.map((r) => ({ subject: r.subject, year: Number(r.year) }));
}

/** Entries due (as `s` says) of owners not person-held, with what is needed to decrypt them: for project/customer holds. */
export async function dueEntriesToCheck(trx: Trx, s: RowScope, persons: string[], afterId: string | null, limit: number): Promise<Array<{ id: string; owner_id: string; details: string }>> {
  const [due, a] = entryDue(s);
  const { rows } = await trx.raw<{ rows: Array<{ id: string; owner_id: string; details: string }> }>(
    `SELECT e.id, e.owner_id, e.details FROM time_entries e WHERE ${due} AND NOT (e.owner_id = ANY (?::uuid[])) AND (?::uuid IS NULL OR e.id > ?::uuid) ORDER BY e.id LIMIT ?`,
    [...a, persons, afterId, afterId, limit],
  );
  return rows;
}

/** The oldest date among the rows of a category (ever submitted days, or days never submitted). */
export async function oldestDay(trx: Trx, submitted: boolean): Promise<string | null> {
  const { rows } = await trx.raw<{ rows: Array<{ d: string | null }> }>(`SELECT min(date)::text AS d FROM timesheet_days WHERE submitted_at IS ${submitted ? 'NOT ' : ''}NULL`);
  const oldestEntry = submitted ? null : (await trx.raw<{ rows: Array<{ d: string | null }> }>(`SELECT min(first_date)::text AS d FROM time_entries WHERE key_purpose = 'draft'`)).rows[0]?.d ?? null;
  const d = rows[0]?.d ?? null;
  if (d === null) return oldestEntry;
  return oldestEntry !== null && oldestEntry < d ? oldestEntry : d;
}

/** Deletes the person's running timer (sealed under a draft key); returns 1 or 0. */
export async function deleteTimerOf(trx: Trx, ownerId: string, dryRun: boolean): Promise<number> {
  if (dryRun) return Number(((await trx('running_timers').where({ owner_id: ownerId }).count('* as n').first()) as { n: string } | undefined)?.n ?? 0);
  return trx('running_timers').where({ owner_id: ownerId }).delete();
}
