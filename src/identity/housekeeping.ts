import type { Knex } from '../platform/db.js';

/**
 * Deletes security state nobody needs any more: used or expired password-reset
 * tokens (a day after their end) and throttle counters that are neither blocking nor
 * inside a window. Ended sessions are records with a retention period of their own
 * (`retention.sign_in_records`, src/identity/retention.ts), deleted by the retention job.
 * Returns the counts for the log.
 */
export async function purgeExpiredAuthRows(db: Knex): Promise<{ resets: number; throttles: number }> {
  const resets = await db('password_resets').where('expires_at', '<', db.raw(`now() - interval '1 day'`)).delete();
  const throttles = await db('auth_throttle')
    .where('first_failure_at', '<', db.raw(`now() - interval '1 day'`))
    .andWhere((q) => q.whereNull('blocked_until').orWhere('blocked_until', '<', db.fn.now()))
    .delete();
  return { resets, throttles };
}
