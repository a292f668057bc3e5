import type { Knex } from '../platform/db.js';
import type { RetentionHandler, RetentionHolds, RetentionScope } from '../platform/retention.js';

/**
 * Retention of the privacy registers: a closed request (`retention.requests`) and a
 * closed breach (`retention.breaches`) are deleted once their period, counted from
 * closing, has passed. Open entries are never due. A legal hold on the person keeps
 * their requests; a held date range keeps the requests received and the breaches
 * the organisation became aware of inside it. Neither category is erased early on a
 * person's request: the register is the record that the request was handled.
 *
 * Alarm rows (`alarms`, src/privacy/suspected.ts and operational.ts) are deleted once
 * `retention.alarms` has passed since the condition cleared; an open alarm is never
 * due. A suspected alarm's breach entry stays in the breach register under its own
 * period. Backup runs (`backup_runs`) older than the period go too, except the newest
 * (the age check needs it). A held date range keeps the alarms opened inside it; a
 * person hold keeps the alarms whose key is that person (unusual reads by an admin).
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
        // An alarm (kept under retention.alarms) may outlive the breach entry it opened: its link goes, not the alarm.
        await trx('alarms').whereIn('breach_id', locked).update({ breach_id: null });
        await trx('privacy_breach_versions').whereIn('breach_id', locked).del();
        await trx('privacy_breaches').whereIn('id', locked).del();
        return { removed: { breaches: locked.length }, done: ids.length < scope.batchSize };
      }
      return { removed: { breaches: 0 }, done: true };
    });
  },
};

const NO_HOLDS: RetentionHolds = { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] };

/** Cleared alarms due at the cutoff, held ones excluded (or only those, with `held`). */
function dueAlarms(db: Knex | Knex.Transaction, scope: Pick<RetentionScope, 'cutoff' | 'holds'>, held: boolean): Knex.QueryBuilder {
  const persons = [...scope.holds.persons];
  const isHeld = (q: Knex.QueryBuilder) => {
    void q.where((w) => {
      void w.whereIn('key', persons.length ? persons : ['00000000-0000-0000-0000-000000000000']);
      for (const r of scope.holds.ranges) void w.orWhereRaw("(opened_at AT TIME ZONE 'UTC')::date BETWEEN ?::date AND ?::date", [r.from, r.to]);
    });
  };
  const q = db('alarms').whereNotNull('cleared_at').where('cleared_at', '<', scope.cutoff);
  if (held) isHeld(q);
  else void q.whereNot((w) => isHeld(w as unknown as Knex.QueryBuilder));
  return q;
}

/** Backup runs finished before the cutoff, never the newest. */
const dueBackupRuns = (db: Knex | Knex.Transaction, cutoff: Date): Knex.QueryBuilder =>
  db('backup_runs').where('finished_at', '<', cutoff).whereNot('id', db('backup_runs').orderBy('finished_at', 'desc').limit(1).select('id'));

/** The handler of `retention.alarms` (alarm rows and backup runs). */
export const alarmRetention: RetentionHandler = {
  category: 'alarms',
  async oldest(db) {
    const row = (await db('alarms').whereNotNull('cleared_at').min('cleared_at as at').first()) as { at: Date | null } | undefined;
    return row?.at ?? null;
  },
  async plan(db, scope) {
    return {
      due: { alarms: await count(dueAlarms(db, scope, false)), backup_runs: await count(dueBackupRuns(db, scope.cutoff)) },
      held: { alarms: await count(dueAlarms(db, scope, true)) },
    };
  },
  async purgeBatch(db, scope) {
    return db.transaction(async (trx) => {
      const ids = ((await dueAlarms(trx, scope, false).orderBy('cleared_at').limit(scope.batchSize).forUpdate().skipLocked().select('id')) as Array<{ id: string }>).map((r) => r.id);
      if (ids.length) await trx('alarms').whereIn('id', ids).del();
      const runs = ((await dueBackupRuns(trx, scope.cutoff).orderBy('finished_at').limit(scope.batchSize).forUpdate().skipLocked().select('id')) as Array<{ id: string }>).map((r) => r.id);
      if (runs.length) await trx('backup_runs').whereIn('id', runs).del();
      return { removed: { alarms: ids.length, backup_runs: runs.length }, done: ids.length < scope.batchSize && runs.length < scope.batchSize };
    });
  },
};
