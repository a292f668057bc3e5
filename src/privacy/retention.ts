import type { Knex } from '../platform/db.js';
import type { RetentionHandler, RetentionHolds, RetentionScope } from '../platform/retention.js';

/**
 * Retention of the privacy registers: a closed request (`retention.requests`) and a
 * closed breach (`retention.breaches`) are deleted once their period, counted from
 * closing, has passed. Open entries are never due. A legal hold on the person keeps
 * their requests; a held date range keeps the requests received and the breaches
 * the organisation became aware of inside it. Neither category is erased early on a
 * person's request: the register is the record that the request was handled.
 */

/** Closed requests due at the scope's cutoff, held ones excluded (or only those, with `held`). */
function dueRequests(db: Knex | Knex.Transaction, scope: Pick<RetentionScope, 'cutoff' | 'holds'>, held: boolean): Knex.QueryBuilder {
  const persons = [...scope.holds.persons];
  const isHeld = (q: Knex.QueryBuilder) => {
    void q.where((w) => {
      void w.whereIn('subject_id', persons.length ? persons : ['00000000-0000-0000-0000-000000000000']);
      for (const r of scope.holds.ranges) void w.orWhereBetween('received_on', [r.from, r.to]);
    });
  };
  const q = db('privacy_requests').where('status', 'closed').where('closed_at', '<', scope.cutoff);
  if (held) isHeld(q);
  else void q.whereNot((w) => isHeld(w as unknown as Knex.QueryBuilder));
  return q;
}

/** Closed breaches (their closing version) due at the cutoff. */
function dueBreaches(db: Knex | Knex.Transaction, scope: Pick<RetentionScope, 'cutoff' | 'holds'>, held: boolean): Knex.QueryBuilder {
  const inRange = (q: Knex.QueryBuilder) => {
    void q.where((w) => {
      void w.whereRaw('false');
      for (const r of scope.holds.ranges) void w.orWhereRaw('(v.aware_at AT TIME ZONE \'UTC\')::date BETWEEN ?::date AND ?::date', [r.from, r.to]);
    });
  };
  const q = db('privacy_breach_versions as v')
    .whereRaw('v.version = (SELECT max(version) FROM privacy_breach_versions w WHERE w.breach_id = v.breach_id)')
    .where('v.status', 'closed')
    .where('v.recorded_at', '<', scope.cutoff);
  if (held) inRange(q);
  else void q.whereNot((w) => inRange(w as unknown as Knex.QueryBuilder));
  return q;
}

const count = async (q: Knex.QueryBuilder): Promise<number> => Number(((await q.clone().clearSelect().count('* as n')) as Array<{ n: string }>)[0]!.n);

/** The handler of `retention.requests`. */
export const requestRetention: RetentionHandler = {
  category: 'requests',
  async oldest(db) {
    const row = (await db('privacy_requests').where('status', 'closed').min('closed_at as at').first()) as { at: Date | null } | undefined;
    return row?.at ?? null;
  },
  async plan(db, scope) {
    return { due: { requests: await count(dueRequests(db, scope, false)) }, held: { requests: await count(dueRequests(db, scope, true)) } };
  },
  async purgeBatch(db, scope) {
    return db.transaction(async (trx) => {
      const ids = ((await dueRequests(trx, scope, false).orderBy('closed_at').limit(scope.batchSize).forUpdate().skipLocked().select('id')) as Array<{ id: string }>).map((r) => r.id);
      if (ids.length) {
        await trx('privacy_reminders').where('object_type', 'request').whereIn('object_id', ids).del();
        await trx('privacy_requests').whereIn('id', ids).del();
      }
      return { removed: { requests: ids.length }, done: ids.length < scope.batchSize };
    });
  },
};

/** The handler of `retention.breaches`. */
export const breachRetention: RetentionHandler = {
  category: 'breaches',
  async oldest(db) {
    const row = (await dueBreaches(db, { cutoff: new Date('9999-12-31T00:00:00Z'), holds: NO_HOLDS }, false).min('v.recorded_at as at').first()) as { at: Date | null } | undefined;
    return row?.at ?? null;
  },
  async plan(db, scope) {
    return { due: { breaches: await count(dueBreaches(db, scope, false)) }, held: { breaches: await count(dueBreaches(db, scope, true)) } };
  },
  async purgeBatch(db, scope) {
    return db.transaction(async (trx) => {
      const ids = ((await dueBreaches(trx, scope, false).orderBy('v.recorded_at').limit(scope.batchSize).select('v.breach_id')) as Array<{ breach_id: string }>).map((r) => r.breach_id);
      if (ids.length) {
        // Locks the breaches so two nodes delete each once; the one DELETE the triggers allow.
        const locked = ((await trx('privacy_breaches').whereIn('id', ids).forUpdate().skipLocked().select('id')) as Array<{ id: string }>).map((r) => r.id);
        await trx.raw(`SELECT set_config('uurwerk.privacy_purge', 'on', true)`);
        await trx('privacy_reminders').where('object_type', 'breach').whereIn('object_id', locked).del();
        await trx('privacy_breach_versions').whereIn('breach_id', locked).del();
        await trx('privacy_breaches').whereIn('id', locked).del();
        return { removed: { breaches: locked.length }, done: ids.length < scope.batchSize };
      }
      return { removed: { breaches: 0 }, done: true };
    });
  },
};

const NO_HOLDS: RetentionHolds = { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] };
