import type { Knex } from '../platform/db.js';
import type { RetentionHandler, RetentionHolds } from '../platform/retention.js';
import { countRows, deleteBatch, holdsApply, whereNotHeld, type HoldColumns } from '../platform/retention-sql.js';

const COLUMNS: HoldColumns = { date: 'started_at' };

/** Runs started before the cutoff, except the newest run of all (what `ldap:status` and the mail-once rule read). */
function before(db: Knex, q: Knex.QueryBuilder, cutoff: Date): Knex.QueryBuilder {
  return q.where('started_at', '<', cutoff).whereNot('id', db('directory_sync_runs').select('id').orderBy('started_at', 'desc').limit(1));
}

function dueRuns(db: Knex, cutoff: Date, holds: RetentionHolds): Knex.QueryBuilder {
  return whereNotHeld(before(db, db('directory_sync_runs'), cutoff), holds, COLUMNS);
}

/**
 * `directory_sync_runs`: sync runs and the diffs they hold (usernames of people who
 * joined, left or changed roles), deleted once `retention.directory_sync_runs` has
 * passed since the run. The newest run always stays, so the status has a last run.
 */
export function directorySyncRunsRetention(): RetentionHandler {
  return {
    category: 'directory_sync_runs',
    async oldest(db) {
      const row = (await db('directory_sync_runs').min({ at: 'started_at' }).first()) as { at: Date | null } | undefined;
      return row?.at ?? null;
    },
    async plan(db, scope) {
      const all = await countRows(before(db, db('directory_sync_runs'), scope.cutoff));
      const free = holdsApply(scope.holds, COLUMNS) ? await countRows(dueRuns(db, scope.cutoff, scope.holds)) : all;
      return { due: { runs: free }, held: { runs: all - free } };
    },
    async purgeBatch(db, scope) {
      const n = await deleteBatch(db, 'directory_sync_runs', (q) => whereNotHeld(before(db, q, scope.cutoff), scope.holds, COLUMNS), scope.batchSize);
      return { removed: { runs: n }, done: n < scope.batchSize };
    },
  };
}
