import type { Knex } from './db.js';
import type { RetentionHolds } from './retention.js';

/**
 * Query helpers for retention handlers of small tables (rows deleted in batches, no
 * keys): which rows legal holds keep, and the batched, skip-locked delete that makes
 * two nodes running the same handler at once delete each row once.
 */

/** Where a table keeps what holds are matched against. */
export interface HoldColumns {
  /** The column holding the person's account id, if the rows belong to one. */
  person?: string;
  /** The timestamp column whose date a range hold covers. */
  date: string;
}

/** Adds "not kept by any hold" to a query of `columns`' table. */
export function whereNotHeld(q: Knex.QueryBuilder, holds: RetentionHolds, columns: HoldColumns): Knex.QueryBuilder {
  if (columns.person && holds.persons.size > 0) q.whereNotIn(columns.person, [...holds.persons]);
  for (const r of holds.ranges) {
    q.whereRaw(`NOT ((??)::date BETWEEN ?::date AND ?::date)`, [columns.date, r.from, r.to]);
  }
  return q;
}

/** Whether any hold applies to rows described by `columns`. */
export function holdsApply(holds: RetentionHolds, columns: HoldColumns): boolean {
  return holds.ranges.length > 0 || (columns.person !== undefined && holds.persons.size > 0);
}

/** Counts the rows of a query (a fresh builder each call). */
export async function countRows(q: Knex.QueryBuilder): Promise<number> {
  const row = (await q.clearSelect().clearOrder().count<{ n: string }[]>({ n: '*' }).first()) as { n: string } | undefined;
  return Number(row?.n ?? 0);
}

/**
 * Deletes up to `limit` rows that `due` selects, in one statement (one transaction):
 * `DELETE … WHERE id IN (SELECT id … LIMIT n FOR UPDATE SKIP LOCKED)`, so a second
 * node skips rows the first is deleting instead of waiting for or repeating them.
 * Returns how many rows went.
 */
export async function deleteBatch(db: Knex, table: string, due: (q: Knex.QueryBuilder) => Knex.QueryBuilder, limit: number, idColumn = 'id'): Promise<number> {
  const ids = due(db(table).select(idColumn)).limit(limit).forUpdate().skipLocked();
  return db(table).whereIn(idColumn, ids).delete();
}
