import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Actor } from './policy.js';
import type { Role } from './repository.js';

/** A live session with its account, as the request sees it. */
export interface LiveSession {
  id: string;
  accountId: string;
  secondFactorDone: boolean;
  createdAt: Date;
  absoluteExpiresAt: Date;
  /** The account's roles and second factor as read with the session (absent where a caller built the session itself). */
  actor?: SessionActor;
}

/** Only the SHA-256 of a session token is stored: a database reader cannot replay sessions. */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * The CSRF token of a session: an HMAC keyed by the session token itself, so it needs
 * no storage, changes with every new session, and cannot be computed without the
 * cookie (which scripts on other sites never see).
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('uurwerk-csrf-v1').digest('base64url');
}

/** Constant-time comparison of a presented CSRF token. */
export function csrfMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface NewSessionInput {
  accountId: string;
  secondFactorDone: boolean;
  remoteAddress?: string;
  userAgent?: string;
  /** Keep the absolute deadline of the session being replaced (rotation). */
  absoluteExpiresAt?: Date;
}

/** Creates a session; returns its id and the token for the cookie (shown once, never stored). */
export async function createSession(trx: Knex | Knex.Transaction, input: NewSessionInput, auth: Config['auth']): Promise<{ id: string; token: string }> {
  const token = randomBytes(32).toString('base64url');
  const [row] = await trx('sessions')
    .insert({
      token_hash: tokenHash(token),
      account_id: input.accountId,
      second_factor_at: input.secondFactorDone ? trx.fn.now() : null,
      absolute_expires_at: input.absoluteExpiresAt ?? trx.raw(`now() + make_interval(hours => ?)`, [auth.session_absolute_hours]),
      idle_expires_at: trx.raw(`now() + make_interval(mins => ?)`, [auth.session_idle_minutes]),
      remote_address: input.remoteAddress?.slice(0, 100) ?? null,
      user_agent: input.userAgent?.slice(0, 300) ?? null,
    })
    .returning('id');
  return { id: (row as { id: string }).id, token };
}

/** The roles and second factor of a session's account, read with the session. */
export interface SessionActor extends Actor {
  hasFactor: boolean;
}

/**
 * Sessions recently found live, by token hash, for `auth.session_cache_seconds`: without
 * it every request spends a lookup before its own work. A sign-out or revocation in this
 * process drops the entry at once (`forgetCachedSessions`, called by `revokeSession` and
 * `revokeAccess`); one made by another process (the CLI, a second node), or a role change
 * that revokes nothing, is seen within the cache's lifetime. An entry never outlives the
 * session's own idle or absolute deadline.
 */
const cache = new Map<string, { session: LiveSession; until: number }>();
const CACHE_MAX = 10_000;

/** Drops cached sessions: all, those of some accounts, or one session by id. */
export function forgetCachedSessions(which?: { accountId?: string; accountIds?: ReadonlySet<string>; sessionId?: string }): void {
  if (!which) return cache.clear();
  for (const [k, v] of cache) {
    if (v.session.accountId === which.accountId || v.session.id === which.sessionId || which.accountIds?.has(v.session.accountId)) cache.delete(k);
  }
}

/**
 * Forgets now and again when the caller's transaction has ended: a lookup racing the
 * commit could otherwise cache the session as live again.
 */
function forgetAroundCommit(db: Knex | Knex.Transaction, which: Parameters<typeof forgetCachedSessions>[0] & object): void {
  forgetCachedSessions(which);
  const ended = 'executionPromise' in db && db.isTransaction ? (db as Knex.Transaction).executionPromise : undefined;
  const again = () => forgetCachedSessions(which);
  if (ended) ended.then(again, again);
}

/** Forgets an account's cached sessions now and when the revoking transaction `db` ends. */
export function forgetSessionsOf(db: Knex | Knex.Transaction, accountId: string): void {
  forgetAroundCommit(db, { accountId });
}

/** As `forgetSessionsOf` for many accounts (a directory sync's role changes): one pass over the cache. */
export function forgetSessionsOfMany(db: Knex | Knex.Transaction, accountIds: Iterable<string>): void {
  const ids = new Set(accountIds);
  if (ids.size) forgetAroundCommit(db, { accountIds: ids });
}

/**
 * Finds the live session for a cookie token and slides its idle deadline. Revoked,
 * idle-expired and absolutely expired sessions, and sessions of accounts that are no
 * longer active, are not found. One query reads the session, the account's roles and
 * whether it has a second factor; none while the session is cached.
 */
export async function findLiveSession(db: Knex, token: string, auth: Config['auth']): Promise<LiveSession | undefined> {
  const hash = tokenHash(token);
  const key = hash.toString('base64');
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.session;
  if (hit) cache.delete(key);
  const { rows } = await db.raw<{ rows: SessionRow[] }>(
    `SELECT s.id, s.account_id, s.second_factor_at, s.created_at, s.absolute_expires_at, s.idle_expires_at, s.last_seen_at,
            coalesce((SELECT json_agg(json_build_object('role', r.role, 'team', r.team)) FROM role_assignments r WHERE r.account_id = s.account_id), '[]') AS roles,
            EXISTS (SELECT 1 FROM totp_factors f WHERE f.account_id = s.account_id AND f.confirmed_at IS NOT NULL) AS has_factor
       FROM sessions s JOIN accounts a ON a.id = s.account_id
      WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.absolute_expires_at > now() AND a.status = 'active'`,
    [hash],
  );
  const row = rows[0];
  if (!row) return undefined;
  // Slide the idle deadline at most once a minute per session, to spare writes.
  let idleUntil = new Date(row.idle_expires_at).getTime();
  if (now - new Date(row.last_seen_at).getTime() > 60_000) {
    await db('sessions').where('id', row.id).update({
      last_seen_at: db.fn.now(),
      idle_expires_at: db.raw(`least(absolute_expires_at, now() + make_interval(mins => ?))`, [auth.session_idle_minutes]),
    });
    idleUntil = Math.min(now + auth.session_idle_minutes * 60_000, new Date(row.absolute_expires_at).getTime());
  }
  const session: LiveSession = {
    id: row.id,
    accountId: row.account_id,
    secondFactorDone: row.second_factor_at !== null,
    createdAt: new Date(row.created_at),
    absoluteExpiresAt: new Date(row.absolute_expires_at),
    actor: {
      accountId: row.account_id,
      roles: new Set(row.roles.map((r) => r.role)),
      teams: new Set(row.roles.filter((r) => r.role === 'team_admin').map((r) => r.team)),
      hasFactor: row.has_factor,
    },
  };
  const cacheMs = (auth.session_cache_seconds ?? 0) * 1000;
  if (cacheMs > 0) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(key, { session, until: Math.min(now + cacheMs, idleUntil, session.absoluteExpiresAt.getTime()) });
  }
  return session;
}

interface SessionRow {
  id: string;
  account_id: string;
  second_factor_at: Date | null;
  created_at: Date;
  absolute_expires_at: Date;
  idle_expires_at: Date;
  last_seen_at: Date;
  roles: Array<{ role: Role; team: string }>;
  has_factor: boolean;
}

/** Revokes one session (logout, rotation), keeping the row as a trace. */
export async function revokeSession(trx: Knex | Knex.Transaction, id: string, reason: string): Promise<boolean> {
  const n = await trx('sessions').where({ id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now(), revoke_reason: reason });
  forgetAroundCommit(trx, { sessionId: id });
  return n > 0;
}

/** An account's sessions that are still usable, newest first (for "where am I signed in"). */
export async function liveSessionsOf(db: Knex, accountId: string): Promise<Array<{ id: string; created_at: Date; last_seen_at: Date; user_agent: string | null }>> {
  return db('sessions').where({ account_id: accountId }).whereNull('revoked_at')
    .andWhere('idle_expires_at', '>', db.fn.now()).andWhere('absolute_expires_at', '>', db.fn.now())
    .orderBy('created_at', 'desc').select('id', 'created_at', 'last_seen_at', 'user_agent');
}
