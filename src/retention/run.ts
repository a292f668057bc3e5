import { hostname } from 'node:os';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { ValidationError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { RetentionCounts, RetentionHandler, RetentionHolds } from '../platform/retention.js';
import { activeHolds } from './holds.js';
import { CATEGORIES, cutoffFor, type RetentionCategory } from './policy.js';

/** What a retention run works with; the handlers come from the modules (DomainModule.retention). */
export interface RetentionDeps {
  db: Knex;
  retention: Readonly<Config['retention']>;
  handlers: readonly RetentionHandler[];
  audit: AuditLog;
  logger: Logger;
  clock: Clock;
}

/** One run's request. */
export interface RunOptions {
  /** Count what would go (the handlers' `plan`) and change nothing. */
  dryRun?: boolean;
  /** The moment to work for; the clock's now when absent. Later than now only with dryRun. */
  asOf?: Date;
  /** Audit actor: `system` (the job) or `cli:<user>`. */
  startedBy: string;
}

/** What a run did (or, dry, would do), per category. */
export interface RunResult {
  status: 'done' | 'failed' | 'skipped';
  runId: string | null;
  asOf: Date;
  dryRun: boolean;
  /** Removed (or, dry, due) per category. */
  counts: Record<string, RetentionCounts>;
  /** Kept back by legal holds (dry runs only). */
  held: Record<string, RetentionCounts>;
  /** Runs found interrupted (killed, crashed) and closed as failed by this run. */
  recovered: number;
  /** Categories that failed, with the error class only (messages may carry data). */
  errors: string[];
}

/** The advisory lock key that lets one retention run work at a time, on any node. */
const LOCK_SQL = `SELECT pg_try_advisory_xact_lock(hashtext('uurwerk.retention.run')) AS ok`;

/** Refuses handlers whose category the policy does not know, and the same category twice. */
export function checkHandlers(handlers: readonly RetentionHandler[]): void {
  const seen = new Set<string>();
  for (const h of handlers) {
    if (!(h.category in CATEGORIES)) throw new Error(`retention handler for unknown category ${h.category}`);
    if (seen.has(h.category)) throw new Error(`two retention handlers for ${h.category}`);
    seen.add(h.category);
  }
}

function addCounts(into: RetentionCounts, more: RetentionCounts): void {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
}

/**
 * One retention run. A dry run asks every handler's `plan` and changes nothing
 * (recorded as a dry run, not audited). A real run takes an advisory lock (a second
 * run at the same moment, on any node, is skipped), closes runs a crash left
 * 'running' as failed (with their audit event), then calls each handler's
 * `purgeBatch` until it is done, recording the counts and a heartbeat after every
 * batch, and ends with one `retention.run` audit event. Idempotent: what a killed
 * run did not reach, the next one does.
 */
export async function runRetention(deps: RetentionDeps, opts: RunOptions): Promise<RunResult> {
  checkHandlers(deps.handlers);
  const now = deps.clock.now();
  const asOf = opts.asOf ?? now;
  const dryRun = opts.dryRun === true;
  if (!dryRun && asOf.getTime() > now.getTime()) {
    throw new ValidationError([{ field: 'as_of', message: 'a date in the future is only allowed with a dry run (--dry-run): data is never deleted before its time' }]);
  }
  const holds = await activeHolds(deps.db, asOf);
  const result: RunResult = { status: 'done', runId: null, asOf, dryRun, counts: {}, held: {}, recovered: 0, errors: [] };
  if (dryRun) return dryRunAll(deps, opts, holds, result);

  const lock = await deps.db.transaction();
  try {
    const got = (await lock.raw(LOCK_SQL)) as { rows: Array<{ ok: boolean }> };
    if (!got.rows[0]?.ok) {
      deps.logger.info('another retention run is in progress; this one is skipped');
      return { ...result, status: 'skipped' };
    }
    result.recovered = await closeInterrupted(deps);
    const [row] = (await deps.db('retention_runs').insert({ as_of: asOf, dry_run: false, started_by: opts.startedBy, node: hostname() }).returning('id')) as Array<{ id: string }>;
    const runId = row!.id;
    result.runId = runId;
    for (const h of deps.handlers) {
      const category = h.category as RetentionCategory;
      const scope = { asOf, cutoff: cutoffFor(deps.retention, category, asOf), holds, batchSize: deps.retention.batch_size };
      const counts: RetentionCounts = {};
      result.counts[category] = counts;
      try {
        for (;;) {
          const batch = await h.purgeBatch(deps.db, scope);
          addCounts(counts, batch.removed);
          // Touching the lock's connection proves the lock is still ours (a dropped
          // connection fails here instead of letting the run go on unlocked).
          await lock.raw('SELECT 1');
          await deps.db('retention_runs').where({ id: runId }).update({ counts: JSON.stringify(result.counts), heartbeat_at: deps.db.fn.now() });
          if (batch.done) break;
        }
      } catch (err) {
        deps.logger.error({ err, category }, 'retention handler failed');
        result.errors.push(`${category}: ${(err as Error).name}`);
      }
    }
    result.status = result.errors.length ? 'failed' : 'done';
    await deps.db.transaction(async (trx) => {
      await trx('retention_runs').where({ id: runId }).update({
        status: result.status, finished_at: trx.fn.now(), heartbeat_at: trx.fn.now(), counts: JSON.stringify(result.counts),
        error: result.errors.length ? result.errors.join('; ') : null, audited: true,
      });
      await deps.audit.record(trx, {
        action: AUDIT_ACTIONS.retentionRun, actorId: opts.startedBy, object: { type: 'retention_run', id: runId },
        payload: { status: result.status, as_of: asOf.toISOString(), counts: result.counts, errors: result.errors },
      });
    });
    deps.logger.info({ runId, counts: result.counts, status: result.status }, 'retention run finished');
    return result;
  } finally {
    await lock.rollback().catch(() => undefined);
  }
}

/**
 * Closes runs left 'running' by a process that died (the caller holds the lock, so
 * no live run can own them): each becomes failed and gets its audit event with the
 * counts it had recorded. Returns how many there were.
 */
async function closeInterrupted(deps: RetentionDeps): Promise<number> {
  const stale = (await deps.db('retention_runs').where({ status: 'running', dry_run: false }).select('id', 'as_of', 'counts', 'started_by', 'heartbeat_at')) as Array<{ id: string; as_of: Date; counts: Record<string, RetentionCounts>; started_by: string; heartbeat_at: Date }>;
  for (const r of stale) {
    const error = `interrupted: no heartbeat since ${r.heartbeat_at.toISOString()}; the next run did the rest`;
    await deps.db.transaction(async (trx) => {
      const n = await trx('retention_runs').where({ id: r.id, status: 'running' }).update({ status: 'failed', finished_at: trx.fn.now(), error, audited: true });
      if (n === 0) return;
      await deps.audit.record(trx, {
        action: AUDIT_ACTIONS.retentionRun, actorId: r.started_by, object: { type: 'retention_run', id: r.id },
        payload: { status: 'failed', as_of: r.as_of.toISOString(), counts: r.counts, errors: ['interrupted'] },
      });
    });
    deps.logger.warn({ runId: r.id }, 'an interrupted retention run was closed as failed; this run does the rest');
  }
  return stale.length;
}

async function dryRunAll(deps: RetentionDeps, opts: RunOptions, holds: RetentionHolds, result: RunResult): Promise<RunResult> {
  for (const h of deps.handlers) {
    const category = h.category as RetentionCategory;
    const p = await h.plan(deps.db, { asOf: result.asOf, cutoff: cutoffFor(deps.retention, category, result.asOf), holds, batchSize: deps.retention.batch_size });
    result.counts[category] = p.due;
    result.held[category] = p.held;
  }
  const [row] = (await deps.db('retention_runs').insert({
    as_of: result.asOf, dry_run: true, started_by: opts.startedBy, node: hostname(), status: 'done', finished_at: deps.db.fn.now(), counts: JSON.stringify(result.counts),
  }).returning('id')) as Array<{ id: string }>;
  return { ...result, runId: row!.id };
}
