import { createHash, randomBytes } from 'node:crypto';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Knex } from '../platform/db.js';
import type { Actor } from './policy.js';
import type { Role } from './repository.js';

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
  const revoked = await db.transaction(async (trx) => {
    const n = await trx('api_tokens').where({ id, account_id: accountId }).whereNull('revoked_at').update({ revoked_at: trx.fn.now(), revoke_reason: 'revoked by owner' });
    if (n === 0) return false;
    await audit.record(trx, { action: AUDIT_ACTIONS.apiTokenRevoked, actorId: accountId, subjectId: accountId, object: { type: 'api_token', id } });
    return true;
  });
  if (revoked) forgetCachedTokens(accountId); // after the commit, so no racing lookup caches it again
  return revoked;
}

/** A live token as the request pipeline uses it: who, with which scopes, and their roles. */
export interface LiveToken {
  id: string;
  accountId: string;
  scopes: TokenScope[];
  actor: Actor;
}

/**
 * Tokens recently found live, by hash, for `auth.token_cache_seconds`: an agent sending a
 * heartbeat every few seconds would otherwise cost a lookup per request. A revocation on
 * this node takes effect at once (`forgetCachedTokens`); one on another node, or a role
 * change made by the directory sync, within the cache's lifetime.
 *
 * An entry is looked up again in the background once a random point between half and
 * four fifths of its life has passed and its token is used (refresh-ahead): the request
 * that notices it is answered from the cache, the lookup (and the `last_used_at` update)
 * runs off the request path, and agents that all started together do not all queue for
 * a lookup at the same moment. A token the refresh finds dead leaves the cache; an entry
 * whose life ends before a refresh lands is looked up on the request path as before, so
 * the bound above holds.
 */
const cache = new Map<string, { token: LiveToken; until: number; refreshAt: number }>();
const CACHE_MAX = 10_000;
/** Refreshes running, by cache key. */
const refreshing = new Map<string, Promise<void>>();
/** Bumped by every forget: a lookup that began before one does not put its answer back. */
let epoch = 0;

/** Drops cached tokens: all of them, or those of one account. */
export function forgetCachedTokens(accountId?: string): void {
  epoch++;
  if (accountId === undefined) return cache.clear();
  for (const [k, v] of cache) if (v.token.accountId === accountId) cache.delete(k);
}

/** Resolves once the background refreshes running now have ended (tests, shutdown). */
export async function tokenRefreshesSettled(): Promise<void> {
  await Promise.all([...refreshing.values()]);
}

/** The token row with its account's roles, if live; touches `last_used_at` at most once a minute. */
async function lookupToken(db: Knex, hash: Buffer): Promise<{ live: LiveToken; expiresAt: number } | undefined> {
  const row = (await db('api_tokens as t')
    .join('accounts as a', 'a.id', 't.account_id')
    .leftJoin('role_assignments as r', 'r.account_id', 't.account_id')
    .where('t.token_hash', hash)
    .whereNull('t.revoked_at')
    .andWhere('t.expires_at', '>', db.fn.now())
    .andWhere('a.status', 'active')
    .groupBy('t.id')
    .first('t.id', 't.account_id', 't.scopes', 't.last_used_at', 't.expires_at', db.raw(`coalesce(json_agg(json_build_object('role', r.role, 'team', r.team)) FILTER (WHERE r.role IS NOT NULL), '[]') AS roles`))) as
    | { id: string; account_id: string; scopes: TokenScope[]; last_used_at: Date | null; expires_at: Date; roles: Array<{ role: Role; team: string }> }
    | undefined;
  if (!row) return undefined;
  if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000) {
    await db('api_tokens').where({ id: row.id }).update({ last_used_at: db.fn.now() });
  }
  const live: LiveToken = {
    id: row.id,
    accountId: row.account_id,
    scopes: row.scopes,
    actor: { accountId: row.account_id, roles: new Set(row.roles.map((r) => r.role)), teams: new Set(row.roles.filter((r) => r.role === 'team_admin').map((r) => r.team)) },
  };
  return { live, expiresAt: new Date(row.expires_at).getTime() };
}

function remember(key: string, found: { live: LiveToken; expiresAt: number }, cacheSeconds: number): void {
  const now = Date.now();
  const life = cacheSeconds * 1000;
  if (cache.size >= CACHE_MAX && !cache.has(key)) cache.delete(cache.keys().next().value as string);
  cache.set(key, { token: found.live, until: Math.min(now + life, found.expiresAt), refreshAt: now + life * (0.5 + Math.random() * 0.3) });
}

/**
 * The account, scopes and roles behind a presented token, if it is live and its account
 * active — one query (token, account and role assignments together), or none while cached.
 */
export async function findApiToken(db: Knex, token: string, cacheSeconds = 0): Promise<LiveToken | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 100) return undefined;
  const hash = hashToken(token);
  const key = hash.toString('base64');
  const hit = cache.get(key);
  const now = Date.now();
  if (hit && hit.until > now) {
    if (now >= hit.refreshAt && !refreshing.has(key)) {
      const started = epoch;
      const refresh = lookupToken(db, hash)
        .then((found) => {
          if (epoch !== started) return;
          if (found) remember(key, found, cacheSeconds);
          else cache.delete(key);
        })
        // A failed refresh changes nothing: the entry lapses and the next use looks it up.
        .catch(() => undefined)
        .finally(() => refreshing.delete(key));
      refreshing.set(key, refresh);
    }
    return hit.token;
  }
  if (hit) cache.delete(key);
  const started = epoch;
  const found = await lookupToken(db, hash);
  if (!found) return undefined;
  if (cacheSeconds > 0 && epoch === started) remember(key, found, cacheSeconds);
  return found.live;
}
