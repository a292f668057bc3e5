import type { Knex } from '../platform/db.js';

/** How long ended sessions stay as a trace ("who was signed in when") before deletion. */
const ENDED_SESSION_DAYS = 30;

/**
 * Deletes sign-in rows nobody needs any more: sessions ended (revoked or expired)
 * more than 30 days ago, used or expired password-reset tokens, and throttle counters
 * that are neither blocking nor inside a window. Returns the counts for the log.
 */
export async function purgeExpiredAuthRows(db: Knex): Promise<{ sessions: number; resets: number; throttles: number }> {
  const sessions = await db('sessions')
    .where('revoked_at', '<', db.raw(`now() - make_interval(days => ?)`, [ENDED_SESSION_DAYS]))
    .orWhere('absolute_expires_at', '<', db.raw(`now() - make_interval(days => ?)`, [ENDED_SESSION_DAYS]))
    .delete();
  const resets = await db('password_resets').where('expires_at', '<', db.raw(`now() - interval '1 day'`)).delete();
  const throttles = await db('auth_throttle')
    .where('first_failure_at', '<', db.raw(`now() - interval '1 day'`))
    .andWhere((q) => q.whereNull('blocked_until').orWhere('blocked_until', '<', db.fn.now()))
    .delete();
  return { sessions, resets, throttles };
}
