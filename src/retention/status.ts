import type { Knex } from '../platform/db.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { RetentionCounts, RetentionHandler } from '../platform/retention.js';
import { activeHolds } from './holds.js';
import { CATEGORIES, CATEGORY_NAMES, cutoffFor, dueAt, type RetentionCategory } from './policy.js';

/** Categories the product keeps no data of yet (no table, so no handler). */
/** One category in `retention:status`, `GET /api/v1/retention` and the operator page. */
export interface CategoryStatus {
  category: RetentionCategory;
  setting: string;
  legal_minimum: string | null;
  ground: string;
  at_end: string;
  /** `active` (a handler runs), `no_handler` (no module in this build forgets it). */
  state: 'active' | 'no_handler';
  /** Oldest anchor still held (ISO), null when none. */
  oldest: string | null;
  /** When the oldest data becomes due (ISO), null when nothing is held. */
  next_due: string | null;
  /** Due now (what the next run would remove). */
  due: RetentionCounts;
  /** Kept back by legal holds. */
  held: RetentionCounts;
  /** What the last run removed in this category. */
  last_run_counts: RetentionCounts | null;
}

/** The last real (not dry) run. */
export interface LastRun {
  id: string;
  status: string;
  as_of: string;
  started_at: string;
  finished_at: string | null;
  started_by: string;
  error: string | null;
}

/** The retention state as a whole. */
export interface RetentionStatus {
  as_of: string;
  cron: string;
  batch_size: number;
  active_holds: number;
  last_run: LastRun | null;
  categories: CategoryStatus[];
}

/** Builds the status per category from the handlers' `oldest` and `plan`, the holds and the last run. */
export async function retentionStatus(db: Knex, retention: Readonly<Config['retention']>, handlers: readonly RetentionHandler[], clock: Clock): Promise<RetentionStatus> {
  const asOf = clock.now();
  const holds = await activeHolds(db, asOf);
  const run = (await db('retention_runs').where({ dry_run: false }).orderBy('started_at', 'desc').first('id', 'status', 'as_of', 'started_at', 'finished_at', 'started_by', 'error', 'counts')) as
    | { id: string; status: string; as_of: Date; started_at: Date; finished_at: Date | null; started_by: string; error: string | null; counts: Record<string, RetentionCounts> }
    | undefined;
  const byCategory = new Map(handlers.map((h) => [h.category, h]));
  const categories: CategoryStatus[] = [];
  for (const category of CATEGORY_NAMES) {
    const policy = CATEGORIES[category];
    const setting = retention[category];
    const h = byCategory.get(category);
    const base = { category, setting, legal_minimum: policy.legalMinimum ?? null, ground: policy.ground, at_end: policy.atEnd, last_run_counts: run?.counts[category] ?? null };
    if (!h) {
      categories.push({ ...base, state: 'no_handler', oldest: null, next_due: null, due: {}, held: {} });
      continue;
    }
    const oldest = await h.oldest(db, { asOf });
    const plan = await h.plan(db, { asOf, cutoff: cutoffFor(retention, category, asOf), holds, batchSize: retention.batch_size });
    categories.push({ ...base, state: 'active', oldest: oldest?.toISOString() ?? null, next_due: oldest ? dueAt(category, setting, oldest).toISOString() : null, due: plan.due, held: plan.held });
  }
  const activeCount = holds.persons.size + holds.projects.size + holds.customers.size + holds.ranges.length;
  return {
    as_of: asOf.toISOString(), cron: retention.cron, batch_size: retention.batch_size, active_holds: activeCount,
    last_run: run ? { id: run.id, status: run.status, as_of: run.as_of.toISOString(), started_at: run.started_at.toISOString(), finished_at: run.finished_at?.toISOString() ?? null, started_by: run.started_by, error: run.error } : null,
    categories,
  };
}

function counts(c: RetentionCounts | null): string {
  if (!c || Object.keys(c).length === 0) return '0';
  return Object.entries(c).map(([k, v]) => `${v} ${k}`).join(', ');
}

/** The status as text lines (CLI and operator page). */
export function formatStatus(s: RetentionStatus): string[] {
  const lines = [`retention as of ${s.as_of} (runs on "${s.cron}" UTC, ${s.batch_size} per batch); legal holds in force: ${s.active_holds}`];
  lines.push(s.last_run ? `last run: ${s.last_run.status}, started ${s.last_run.started_at} by ${s.last_run.started_by}${s.last_run.error ? ` (${s.last_run.error})` : ''}` : 'last run: none yet');
  for (const c of s.categories) {
    lines.push('');
    lines.push(`${c.category}: ${c.setting}${c.legal_minimum ? ` (legal minimum ${c.legal_minimum})` : ''}`);
    if (c.state === 'no_handler') {
      lines.push('  no handler in this build: nothing is deleted for this category yet');
      continue;
    }
    lines.push(`  oldest held: ${c.oldest ?? 'none'}; next due: ${c.next_due ?? '-'}`);
    lines.push(`  due now: ${counts(c.due)}; held by legal holds: ${counts(c.held)}`);
    lines.push(`  last run removed: ${counts(c.last_run_counts)}`);
  }
  return lines;
}
