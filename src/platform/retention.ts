import type { Knex } from './db.js';

/**
 * The contract between the retention job (src/retention/) and the modules that own
 * data: each module hands in one handler per category of data it holds; the job
 * decides when (policy, holds, clock) and the handler knows how (which rows, which
 * keys). Category names are the keys of the `retention:` configuration section.
 */

/** Legal holds in force, as the handlers need them. Dates are `YYYY-MM-DD`, inclusive. */
export interface RetentionHolds {
  /** Account ids whose data is held. */
  persons: ReadonlySet<string>;
  projects: ReadonlySet<string>;
  customers: ReadonlySet<string>;
  ranges: ReadonlyArray<{ from: string; to: string }>;
}

/** What one run asks of a handler. */
export interface RetentionScope {
  /** The moment the run works for (the clock, or `--as-of`). */
  asOf: Date;
  /**
   * Data whose anchor lies before this instant is due. What the anchor is depends on
   * the category (src/retention/policy.ts): for a category counted from the end of
   * the calendar year, data of year Y is due when `Y < cutoff.getUTCFullYear()`.
   */
  cutoff: Date;
  holds: RetentionHolds;
  /** Most rows (or keys) to remove in one transaction. */
  batchSize: number;
}

/** Counts by what was counted: `rows`, `keys`, `days`, `entries`... (numbers only, never names). */
export type RetentionCounts = Record<string, number>;

/** One category of data, as its owning module forgets it. */
export interface RetentionHandler {
  /** A key of the `retention:` configuration section. */
  category: string;
  /** The oldest anchor still held (for `retention:status`); null when nothing is held. */
  oldest(db: Knex, scope: Pick<RetentionScope, 'asOf'>): Promise<Date | null>;
  /** What a run would remove now, and what legal holds keep back; changes nothing. */
  plan(db: Knex, scope: RetentionScope): Promise<{ due: RetentionCounts; held: RetentionCounts }>;
  /**
   * Removes one batch of due data in its own transaction(s) and reports what it did;
   * `done` once nothing due remains. Must be idempotent and safe when two nodes run
   * it at the same moment (each row deleted and each key shredded once).
   */
  purgeBatch(db: Knex, scope: RetentionScope): Promise<{ removed: RetentionCounts; done: boolean }>;
  /**
   * Erases what this category holds about one person that no legal duty keeps now
   * (`uurwerk erase --person`), or with `dryRun` only counts it. Absent when the
   * category keeps nothing erasable early.
   */
  erase?(db: Knex, personId: string, opts: { dryRun: boolean; holds: RetentionHolds }): Promise<RetentionCounts>;
}
