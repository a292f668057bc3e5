import type { Knex } from '../platform/db.js';
import { ENTRY_COLUMNS, DAY_COLUMNS, normaliseDay, normaliseEntry, walled, type DayRow, type EntryRow, type Wall } from './repository.js';

/**
 * The reads behind the day, week and inbox views, each one statement whatever the
 * number of days (issue #8's round-trip budgets; test/timesheets/round-trips.test.ts).
 * Like every query on the protected tables they run behind the wall (`walled`).
 */

/** Entries touching any of the (owner, date) pairs, in one query, oldest first (the inbox's days). */
export async function entriesOnDays(w: Wall, days: ReadonlyArray<{ ownerId: string; date: string }>): Promise<EntryRow[]> {
  if (!days.length) return [];
  const cols = ENTRY_COLUMNS.map((c) => `e.${c}`).join(', ');
  const { rows } = await walled(w, (trx) =>
    trx.raw<{ rows: Array<Record<string, unknown>> }>(
      `SELECT DISTINCT ON (e.created_at, e.id) ${cols}
         FROM unnest(?::uuid[], ?::date[]) AS k(owner_id, date)
         JOIN time_entries e ON e.owner_id = k.owner_id AND e.first_date <= k.date AND e.last_date >= k.date
        ORDER BY e.created_at, e.id`,
      [days.map((d) => d.ownerId), days.map((d) => d.date)],
    ),
  );
  return rows.map(normaliseEntry);
}

const DAY_TIMES = ['submitted_at', 'returned_at', 'approved_at', 'created_at', 'updated_at'] as const;
const ENTRY_TIMES = ['created_at', 'updated_at'] as const;

/** JSON gives timestamps as text; the row types carry Dates, as the driver gives them. */
function withDates(row: Record<string, unknown>, cols: readonly string[]): Record<string, unknown> {
  const out = { ...row };
  for (const c of cols) if (typeof out[c] === 'string') out[c] = new Date(out[c]);
  return out;
}

/** The statement behind `ownDaysWithEntries` and its bindings: the owner's days in [from, to] and the entries touching them. */
export function ownDaysSql(ownerId: string, from: string, to: string): { sql: string; bindings: string[]; prepared: true } {
  return {
    prepared: true,
    sql: `SELECT
         (SELECT coalesce(json_agg(d ORDER BY d.date), '[]') FROM (
            SELECT ${DAY_COLUMNS.join(', ')} FROM timesheet_days WHERE owner_id = ?::uuid AND date BETWEEN ?::date AND ?::date) d) AS days,
         (SELECT coalesce(json_agg(e ORDER BY e.created_at, e.id), '[]') FROM (
            SELECT ${ENTRY_COLUMNS.join(', ')} FROM time_entries WHERE owner_id = ?::uuid AND first_date <= ?::date AND last_date >= ?::date) e) AS entries`,
    bindings: [ownerId, from, to, ownerId, to, from],
  };
}

/** The row `ownDaysSql` answers with. */
export interface OwnDaysRow extends Record<string, unknown> {
  days: Array<Record<string, unknown>>;
  entries: Array<Record<string, unknown>>;
}

/** The row of `ownDaysSql` → day and entry rows. */
export function ownDaysRows(r: OwnDaysRow): { days: DayRow[]; entries: EntryRow[] } {
  return { days: r.days.map((d) => normaliseDay(withDates(d, DAY_TIMES))), entries: r.entries.map((e) => normaliseEntry(withDates(e, ENTRY_TIMES))) };
}

/**
 * The owner's day rows in [from, to] (date order) and the entries touching that range
 * (oldest first), in one statement: the person's own day and week views.
 */
export async function ownDaysWithEntries(w: Wall, ownerId: string, from: string, to: string): Promise<{ days: DayRow[]; entries: EntryRow[] }> {
  const q = ownDaysSql(ownerId, from, to);
  const { rows } = await walled(w, (trx) =>
    trx.raw<{ rows: OwnDaysRow[] }>(q.sql, q.bindings),
  );
  return ownDaysRows(rows[0]!);
}

/**
 * One day by id narrowed by a policy scope, and the entries touching it, in one
 * statement (an admin's day read). The caller authorizes before presenting anything.
 */
export async function dayWithEntriesById(w: Wall, id: string, scope: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<{ day: DayRow | undefined; entries: EntryRow[] }> {
  const cols = ENTRY_COLUMNS.map((c) => `e.${c}`).join(', ');
  const { rows } = await walled(w, (trx) =>
    trx.raw<{ rows: Array<{ day: Record<string, unknown> | null; entries: Array<Record<string, unknown>> }> }>(
      `WITH d AS ?
       SELECT (SELECT row_to_json(d) FROM d) AS day,
              (SELECT coalesce(json_agg(x ORDER BY x.created_at, x.id), '[]') FROM (
                 SELECT ${cols} FROM time_entries e JOIN d ON e.owner_id = d.owner_id AND e.first_date <= d.date AND e.last_date >= d.date) x) AS entries`,
      [scope(trx('timesheet_days').where('timesheet_days.id', id)).first(DAY_COLUMNS.map((c) => `timesheet_days.${c}`))],
    ),
  );
  const r = rows[0]!;
  return { day: r.day ? normaliseDay(withDates(r.day, DAY_TIMES)) : undefined, entries: r.entries.map((e) => normaliseEntry(withDates(e, ENTRY_TIMES))) };
}
