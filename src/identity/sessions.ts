import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Knex } from '../platform/db.js';
import { forgetCachedTokens } from './api-tokens.js';
import { forgetSessionsOf } from './sessions-service.js';

/** What ended when a person's access was revoked. */
export interface Revocation {
  /** How many sessions ended. */
  sessions: number;
  /** The personal API tokens that ended with them (for the owner to be told which). */
  tokens: Array<{ id: string; name: string }>;
}

/**
 * Ends every live session *and* every live personal API token of an account inside
 * the caller's transaction, so a revocation commits together with the change that
 * causes it (a disable in the directory, a lost role, "sign out everywhere", an
 * operator's revocation, a password reset). A token is a session that outlives the
 * browser; leaving it alive would let whoever held the account keep its data access.
 */
export async function revokeAccess(trx: Knex | Knex.Transaction, accountId: string, reason: string): Promise<Revocation> {
  const sessions = await trx('sessions')
    .where({ account_id: accountId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now(), revoke_reason: reason });
  const tokens = (await trx('api_tokens')
    .where({ account_id: accountId })
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', trx.fn.now())
    .update({ revoked_at: trx.fn.now(), revoke_reason: reason.slice(0, 200) })
    .returning(['id', 'name'])) as Array<{ id: string; name: string }>;
  // Now and once more after the caller's transaction had time to commit: a lookup racing
  // the commit could otherwise cache the token as live again.
  forgetCachedTokens(accountId);
  forgetSessionsOf(trx, accountId);
  setTimeout(() => forgetCachedTokens(accountId), 1_000).unref();
  return { sessions, tokens: tokens.sort((a, b) => a.id.localeCompare(b.id)) };
}

/** One audit event naming the tokens that ended with the sessions (ids only: names are the owner's words). */
export async function recordEndedTokens(audit: AuditLog, trx: Knex.Transaction, actorId: string, accountId: string, reason: string, r: Revocation): Promise<void> {
  if (r.tokens.length === 0) return;
  await audit.record(trx, { action: AUDIT_ACTIONS.apiTokenRevoked, actorId, subjectId: accountId, object: { type: 'account', id: accountId }, payload: { reason, token_ids: r.tokens.map((tk) => tk.id) } });
}

/**
 * Revokes every live session of an account (and, through `revokeAccess`, its API
 * tokens) inside the caller's transaction. Returns how many sessions were revoked.
 */
export async function revokeSessions(trx: Knex | Knex.Transaction, accountId: string, reason: string): Promise<number> {
  return (await revokeAccess(trx, accountId, reason)).sessions;
}

/** Number of sessions of an account that are not revoked (expiry is not considered here). */
export async function liveSessionCount(db: Knex | Knex.Transaction, accountId: string): Promise<number> {
  const row = await db('sessions').where({ account_id: accountId }).whereNull('revoked_at').count<{ n: string }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
