import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';

/** A live session with its account, as the request sees it. */
export interface LiveSession {
  id: string;
  accountId: string;
  secondFactorDone: boolean;
  createdAt: Date;
  absoluteExpiresAt: Date;
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

/**
 * Finds the live session for a cookie token and slides its idle deadline. Revoked,
 * idle-expired and absolutely expired sessions, and sessions of accounts that are no
 * longer active, are not found.
 */
export async function findLiveSession(db: Knex, token: string, auth: Config['auth']): Promise<LiveSession | undefined> {
  const row = await db('sessions as s')
    .join('accounts as a', 'a.id', 's.account_id')
    .where('s.token_hash', tokenHash(token))
    .whereNull('s.revoked_at')
    .andWhere('s.idle_expires_at', '>', db.fn.now())
    .andWhere('s.absolute_expires_at', '>', db.fn.now())
    .andWhere('a.status', 'active')
    .first('s.id', 's.account_id', 's.second_factor_at', 's.created_at', 's.absolute_expires_at', 's.last_seen_at');
  if (!row) return undefined;
  // Slide the idle deadline at most once a minute per session, to spare writes.
  if (Date.now() - new Date(row.last_seen_at).getTime() > 60_000) {
    await db('sessions').where('id', row.id).update({
      last_seen_at: db.fn.now(),
      idle_expires_at: db.raw(`least(absolute_expires_at, now() + make_interval(mins => ?))`, [auth.session_idle_minutes]),
    });
  }
  return {
    id: row.id,
    accountId: row.account_id,
    secondFactorDone: row.second_factor_at !== null,
    createdAt: new Date(row.created_at),
    absoluteExpiresAt: new Date(row.absolute_expires_at),
  };
}

/** Revokes one session (logout, rotation), keeping the row as a trace. */
export async function revokeSession(trx: Knex | Knex.Transaction, id: string, reason: string): Promise<boolean> {
  const n = await trx('sessions').where({ id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now(), revoke_reason: reason });
  return n > 0;
}

/** An account's sessions that are still usable, newest first (for "where am I signed in"). */
export async function liveSessionsOf(db: Knex, accountId: string): Promise<Array<{ id: string; created_at: Date; last_seen_at: Date; user_agent: string | null }>> {
  return db('sessions').where({ account_id: accountId }).whereNull('revoked_at')
    .andWhere('idle_expires_at', '>', db.fn.now()).andWhere('absolute_expires_at', '>', db.fn.now())
    .orderBy('created_at', 'desc').select('id', 'created_at', 'last_seen_at', 'user_agent');
}
