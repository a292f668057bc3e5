import type { Knex } from '../platform/db.js';
import type { RetentionHandler, RetentionHolds } from '../platform/retention.js';
import { countRows, deleteBatch, holdsApply, whereNotHeld, type HoldColumns } from '../platform/retention-sql.js';

/**
 * Identity's retention handlers: `sign_in_records` (ended sessions) and `leavers`
 * (the profile of people who left). Used reset links and stale throttle counters are
 * security state, deleted within a day by housekeeping (src/identity/housekeeping.ts),
 * well inside any retention period.
 */

/** A session ended at its revocation, its idle expiry or its absolute expiry, whichever came first. */
const SESSION_END = `least(coalesce(revoked_at, 'infinity'::timestamptz), idle_expires_at, absolute_expires_at)`;
const SESSION_COLUMNS: HoldColumns = { person: 'account_id', date: 'created_at' };

function endedBefore(db: Knex, cutoff: Date): Knex.QueryBuilder {
  return db('sessions').where(db.raw(SESSION_END), '<', cutoff);
}

/** `sign_in_records`: sessions that ended before the cutoff, deleted in batches. */
export function signInRecordsRetention(): RetentionHandler {
  return {
    category: 'sign_in_records',
    async oldest(db) {
      const row = (await db('sessions').where(db.raw(SESSION_END), '<', db.fn.now()).min({ at: db.raw(SESSION_END) }).first()) as { at: Date | null } | undefined;
      return row?.at ?? null;
    },
    async plan(db, scope) {
      const all = await countRows(endedBefore(db, scope.cutoff));
      const free = holdsApply(scope.holds, SESSION_COLUMNS) ? await countRows(whereNotHeld(endedBefore(db, scope.cutoff), scope.holds, SESSION_COLUMNS)) : all;
      return { due: { sessions: free }, held: { sessions: all - free } };
    },
    async purgeBatch(db, scope) {
      const n = await deleteBatch(db, 'sessions', (q) => whereNotHeld(q.where(db.raw(SESSION_END), '<', scope.cutoff), scope.holds, SESSION_COLUMNS), scope.batchSize);
      return { removed: { sessions: n }, done: n < scope.batchSize };
    },
    async erase(db, personId, opts) {
      // Ended sessions are a security trace only; live ones stay (the person may be signed in).
      const q = () => db('sessions').where({ account_id: personId }).andWhere(db.raw(SESSION_END), '<', db.fn.now());
      const n = opts.dryRun ? await countRows(q()) : await q().delete();
      return { sessions: n };
    },
  };
}

function leaversBefore(db: Knex | Knex.Transaction, cutoff: Date, holds: RetentionHolds): Knex.QueryBuilder {
  const q = db('accounts').where({ status: 'deactivated' }).whereNull('profile_erased_at').andWhere('status_changed_at', '<', cutoff);
  if (holds.persons.size > 0) q.whereNotIn('id', [...holds.persons]);
  return q;
}

/**
 * Erases the profile of the given deactivated accounts in the caller's transaction:
 * names, mail address, department and employee number emptied; username and
 * directory link replaced by placeholders derived from the account id; password,
 * second factor, recovery codes, reset links, API tokens and sessions deleted. The
 * row stays: kept records point at its id. Returns how many accounts were erased.
 */
export async function eraseLeaverProfiles(trx: Knex.Transaction, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  for (const table of ['sessions', 'api_tokens', 'password_resets', 'recovery_codes', 'totp_factors', 'local_credentials']) {
    await trx(table).whereIn('account_id', ids).delete();
  }
  return trx('accounts').whereIn('id', ids).where({ status: 'deactivated' }).whereNull('profile_erased_at').update({
    username: trx.raw(`'erased-' || id::text`),
    directory_id: trx.raw(`CASE WHEN source = 'directory' THEN 'erased:' || id::text END`),
    dn: null, display_name: null, given_name: null, surname: null, email: null, department: null, employee_number: null,
    status_reason: 'profile erased after the leavers retention period',
    profile_erased_at: trx.fn.now(), updated_at: trx.fn.now(),
  });
}

/**
 * `leavers`: accounts deactivated longer than the period (counted from
 * `status_changed_at`) lose their profile (eraseLeaverProfiles); a person hold keeps it.
 */
export function leaversRetention(): RetentionHandler {
  return {
    category: 'leavers',
    async oldest(db) {
      const row = (await db('accounts').where({ status: 'deactivated' }).whereNull('profile_erased_at').min({ at: 'status_changed_at' }).first()) as { at: Date | null } | undefined;
      return row?.at ?? null;
    },
    async plan(db, scope) {
      const none: RetentionHolds = { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] };
      const all = await countRows(leaversBefore(db, scope.cutoff, none));
      const free = await countRows(leaversBefore(db, scope.cutoff, scope.holds));
      return { due: { accounts: free }, held: { accounts: all - free } };
    },
    async purgeBatch(db, scope) {
      const n = await db.transaction(async (trx) => {
        const rows = (await leaversBefore(trx, scope.cutoff, scope.holds).select('id').orderBy('status_changed_at').limit(scope.batchSize).forUpdate().skipLocked()) as Array<{ id: string }>;
        return eraseLeaverProfiles(trx, rows.map((r) => r.id));
      });
      return { removed: { accounts: n }, done: n < scope.batchSize };
    },
    async erase(db, personId, opts) {
      // Erasure of a person who already left takes their profile now; a current
      // employee keeps theirs (they still sign in), restricted by the caller.
      const q = (d: Knex | Knex.Transaction) => d('accounts').where({ id: personId, status: 'deactivated' }).whereNull('profile_erased_at');
      if (opts.dryRun) return { accounts: await countRows(q(db)) };
      return { accounts: await db.transaction(async (trx) => ((await q(trx).forUpdate().first('id')) ? eraseLeaverProfiles(trx, [personId]) : 0)) };
    },
  };
}
