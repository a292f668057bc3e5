import { createHash, randomBytes } from 'node:crypto';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Knex } from '../platform/db.js';

/**
 * What a personal API token may do. Everything else answers 403 for a token.
 * `capture`: an ActivityWatch agent sending the person's activity (src/capture/).
 */
export const TOKEN_SCOPES = ['entries:read', 'entries:write', 'capture'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Prefix that makes a leaked token recognisable (secret scanners, log reviews). */
const PREFIX = 'uwt_';

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A token as listed to its owner: never the token itself. */
export interface TokenRow {
  id: string;
  name: string;
  scopes: TokenScope[];
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
}

/** Creates a token for the account; returns it once (only its hash is stored). */
export async function createApiToken(db: Knex, audit: AuditLog, accountId: string, input: { name: string; scopes: TokenScope[]; expiresInDays: number }): Promise<TokenRow & { token: string }> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  return db.transaction(async (trx) => {
    const [row] = (await trx('api_tokens')
      .insert({
        account_id: accountId, name: input.name, token_hash: hashToken(token), scopes: [...new Set(input.scopes)],
        expires_at: trx.raw(`now() + make_interval(days => ?)`, [input.expiresInDays]),
      })
      .returning(['id', 'name', 'scopes', 'created_at', 'expires_at', 'last_used_at'])) as TokenRow[];
    await audit.record(trx, { action: AUDIT_ACTIONS.apiTokenCreated, actorId: accountId, subjectId: accountId, object: { type: 'api_token', id: row!.id }, payload: { scopes: row!.scopes, expires_at: new Date(row!.expires_at).toISOString() } });
    return { ...row!, token };
  });
}

/** The account's live tokens, newest first. */
export async function listApiTokens(db: Knex, accountId: string): Promise<TokenRow[]> {
  return db('api_tokens').where({ account_id: accountId }).whereNull('revoked_at').andWhere('expires_at', '>', db.fn.now())
    .orderBy('created_at', 'desc').select('id', 'name', 'scopes', 'created_at', 'expires_at', 'last_used_at');
}

/** A token that ended in the last 30 days, as shown to its owner. */
export interface EndedTokenRow {
  id: string;
  name: string;
  revoked_at: Date;
  revoke_reason: string | null;
}

/** The account's tokens revoked in the last 30 days, newest first: the owner sees what ended and why. */
export async function endedApiTokens(db: Knex, accountId: string): Promise<EndedTokenRow[]> {
  return db('api_tokens').where({ account_id: accountId }).whereNotNull('revoked_at')
    .andWhere('revoked_at', '>', db.raw(`now() - interval '30 days'`))
    .orderBy('revoked_at', 'desc').select('id', 'name', 'revoked_at', 'revoke_reason');
}

/** Revokes one of the account's tokens; false when there is no such live token. */
export async function revokeApiToken(db: Knex, audit: AuditLog, accountId: string, id: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const n = await trx('api_tokens').where({ id, account_id: accountId }).whereNull('revoked_at').update({ revoked_at: trx.fn.now(), revoke_reason: 'revoked by owner' });
    if (n === 0) return false;
    await audit.record(trx, { action: AUDIT_ACTIONS.apiTokenRevoked, actorId: accountId, subjectId: accountId, object: { type: 'api_token', id } });
    return true;
  });
}

/** The account and scopes behind a presented token, if it is live and its account active. */
export async function findApiToken(db: Knex, token: string): Promise<{ id: string; accountId: string; scopes: TokenScope[] } | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 100) return undefined;
  const row = await db('api_tokens as t')
    .join('accounts as a', 'a.id', 't.account_id')
    .where('t.token_hash', hashToken(token))
    .whereNull('t.revoked_at')
    .andWhere('t.expires_at', '>', db.fn.now())
    .andWhere('a.status', 'active')
    .first('t.id', 't.account_id', 't.scopes', 't.last_used_at');
  if (!row) return undefined;
  if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000) {
    await db('api_tokens').where({ id: row.id }).update({ last_used_at: db.fn.now() });
  }
  return { id: row.id, accountId: row.account_id, scopes: row.scopes };
}
