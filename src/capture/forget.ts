import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { KeyService } from '../keys/types.js';
import type { Knex } from '../platform/db.js';
import type { RetentionCounts, RetentionHandler, RetentionHolds } from '../platform/retention.js';
import { whereNotHeld } from '../platform/retention-sql.js';
import { daySubject, settingsSubject, type CaptureDeps } from './context.js';

/**
 * Forgetting raw activity: a day at a time, by deleting the day's row (its events go
 * with it) and shredding the day's key in the same transaction, so even a backup
 * taken before holds nothing readable once the key is gone (the shred ledger keeps
 * a restored key from coming back). Used by the retention job (`raw_capture`), by
 * erasure and by the employee deleting a period.
 * The keys go with `shredKeys` (one call per batch, ledger first); the callers audit
 * counts (the retention run, `capture.period.deleted`, `retention.erased`).
 */

/**
 * Deletes the given days of raw activity and shreds their keys, in the caller's
 * transaction. With `markForgotten` the day rows stay, marked, so the ingest path
 * drops anything more for those days (their keys no longer exist).
 */
export async function shredDays(trx: Knex.Transaction, keys: KeyService, days: ReadonlyArray<{ account_id: string; day: string }>, opts: { markForgotten?: boolean } = {}): Promise<{ days: number; events: number; keys: number }> {
  if (!days.length) return { days: 0, events: 0, keys: 0 };
  const args = [days.map((d) => d.account_id), days.map((d) => d.day)];
  const { rows } = await trx.raw<{ rows: Array<{ n: string }> }>(
    `WITH d AS (SELECT * FROM unnest(?::uuid[], ?::date[]) AS d(account_id, day)),
          gone AS (DELETE FROM capture_events e USING d WHERE e.account_id = d.account_id AND e.day = d.day RETURNING 1)
     SELECT count(*) AS n FROM gone`, args);
  if (opts.markForgotten) await trx.raw(`UPDATE capture_days c SET forgotten_at = coalesce(c.forgotten_at, now()) FROM unnest(?::uuid[], ?::date[]) AS d(account_id, day) WHERE c.account_id = d.account_id AND c.day = d.day`, args);
  else await trx.raw(`DELETE FROM capture_days c USING unnest(?::uuid[], ?::date[]) AS d(account_id, day) WHERE c.account_id = d.account_id AND c.day = d.day`, args);
  const shredded = await keys.shredKeys(trx, days.map((d) => ({ subject: daySubject(d.account_id, d.day), purpose: 'capture' as const, year: Number(d.day.slice(0, 4)) })));
  return { days: days.length, events: Number(rows[0]!.n), keys: shredded.length };
}

const DAY = `to_char(day, 'YYYY-MM-DD')`;

function dueDays(db: Knex | Knex.Transaction, cutoff: Date, holds: RetentionHolds): Knex.QueryBuilder {
  // A day is due once all of it lies before the cutoff.
  return whereNotHeld(db('capture_days').where('day', '<', db.raw('(?::timestamptz AT TIME ZONE \'UTC\')::date', [cutoff.toISOString()])), holds, { person: 'account_id', date: 'day' });
}

/** The `raw_capture` retention handler: whole days past the period, keys shredded; held persons and ranges kept. */
export function rawCaptureRetention(keys: KeyService): RetentionHandler {
  return {
    category: 'raw_capture',
    async oldest(db) {
      const row = (await db('capture_days').min({ d: db.raw(DAY) }).first()) as { d: string | null } | undefined;
      return row?.d ? new Date(`${row.d}T00:00:00Z`) : null;
    },
    async plan(db, scope) {
      const all = Number(((await db('capture_days').where('day', '<', db.raw(`(?::timestamptz AT TIME ZONE 'UTC')::date`, [scope.cutoff.toISOString()])).count({ n: '*' }).first()) as { n: string }).n);
      const free = Number(((await dueDays(db, scope.cutoff, scope.holds).count({ n: '*' }).first()) as { n: string }).n);
      return { due: { days: free }, held: { days: all - free } };
    },
    async purgeBatch(db, scope) {
      return db.transaction(async (trx) => {
        const days = (await dueDays(trx, scope.cutoff, scope.holds).select('account_id', trx.raw(`${DAY} AS day`)).orderBy('day').limit(scope.batchSize).forUpdate().skipLocked()) as Array<{ account_id: string; day: string }>;
        const r = await shredDays(trx, keys, days);
        return { removed: { days: r.days, events: r.events, keys: r.keys }, done: days.length < scope.batchSize };
      });
    },
    async erase(db, personId, opts): Promise<RetentionCounts> {
      // A legal hold on the person keeps their raw activity too, until it is released.
      if (opts.holds.persons.has(personId) && !opts.dryRun) return { days: 0, buckets: 0 };
      return db.transaction(async (trx): Promise<RetentionCounts> => {
        const days = (await trx('capture_days').where({ account_id: personId }).select('account_id', trx.raw(`${DAY} AS day`))) as Array<{ account_id: string; day: string }>;
        const buckets = Number(((await trx('capture_buckets').where({ account_id: personId }).count({ n: '*' }).first()) as { n: string }).n);
        if (opts.dryRun) return { days: days.length, buckets };
        const r = await shredDays(trx, keys, days);
        await trx('capture_buckets').where({ account_id: personId }).delete();
        await trx('capture_settings').where({ account_id: personId }).delete();
        // Templates the person shared stay with their team, no longer naming who shared them.
        await trx('capture_rule_templates').where({ created_by: personId }).update({ created_by: null });
        const settingsKeys = await keys.shred(trx, settingsSubject(personId));
        return { days: r.days, events: r.events, buckets, keys: r.keys + settingsKeys };
      });
    },
  };
}

/** The employee deletes their raw activity of the days `from`..`to` (inclusive): gone now, keys shredded. */
export async function deletePeriod(deps: CaptureDeps, accountId: string, from: string, to: string): Promise<{ days: number; events: number }> {
  return deps.db.transaction(async (trx) => {
    const days = (await trx('capture_days').where({ account_id: accountId }).whereNull('forgotten_at').whereBetween('day', [from, to]).select('account_id', trx.raw(`${DAY} AS day`)).forUpdate()) as Array<{ account_id: string; day: string }>;
    const r = await shredDays(trx, deps.keys, days, { markForgotten: true });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.capturePeriodDeleted, actorId: accountId, subjectId: accountId, object: { type: 'capture_period', id: `${from}..${to}` }, payload: { from, to, days: r.days, events: r.events } });
    return { days: r.days, events: r.events };
  });
}
