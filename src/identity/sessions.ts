import type { Knex } from '../platform/db.js';

/**
 * Revokes every live session of an account inside the caller's transaction, so a
 * revocation commits together with the change that causes it (a disable in the
 * directory, a lost role, "sign out everywhere"). Returns how many were revoked.
 */
export async function revokeSessions(trx: Knex | Knex.Transaction, accountId: string, reason: string): Promise<number> {
  return trx('sessions')
    .where({ account_id: accountId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now(), revoke_reason: reason });
}

/** Number of sessions of an account that are not revoked (expiry is not considered here). */
export async function liveSessionCount(db: Knex | Knex.Transaction, accountId: string): Promise<number> {
  const row = await db('sessions').where({ account_id: accountId }).whereNull('revoked_at').count<{ n: string }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
