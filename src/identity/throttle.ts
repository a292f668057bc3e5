import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { AppError } from '../platform/errors.js';

/** 429 with the number of seconds to wait (sent as Retry-After). */
export class ThrottledError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too_many_attempts', `Too many failed sign-ins; try again in ${retryAfterSeconds} s`);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

type ThrottleConfig = Config['auth'];

/** Throttle keys for one sign-in attempt: the account name and the source address. */
export function throttleKeys(source: string, username: string, address: string): { account: string; address: string } {
  return { account: `account:${source}:${username.toLowerCase()}`, address: `address:${address}` };
}

/**
 * Refuses the attempt (429) while any of the keys is blocked. Nothing is ever locked
 * for good: a block lasts at most `throttle_max_seconds`.
 */
export async function assertNotThrottled(db: Knex | Knex.Transaction, keys: string[]): Promise<void> {
  const row = await db('auth_throttle')
    .whereIn('key', keys)
    .andWhere('blocked_until', '>', db.fn.now())
    .max<{ until: Date | null }>({ until: 'blocked_until' })
    .first();
  if (row?.until) throw new ThrottledError(Math.max(1, Math.ceil((new Date(row.until).getTime() - Date.now()) / 1000)));
}

/**
 * Counts one failure against a key (atomically, so several app nodes agree) and
 * blocks it once the limit is reached: base·2^(failures-limit) seconds, capped.
 */
export async function recordFailure(db: Knex | Knex.Transaction, key: string, limit: number, cfg: ThrottleConfig): Promise<void> {
  await db.raw(
    `INSERT INTO auth_throttle AS t (key, failures, first_failure_at) VALUES (:key, 1, now())
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.first_failure_at < now() - make_interval(mins => :window) THEN 1 ELSE t.failures + 1 END,
       first_failure_at = CASE WHEN t.first_failure_at < now() - make_interval(mins => :window) THEN now() ELSE t.first_failure_at END`,
    { key, window: cfg.throttle_window_minutes },
  );
  await db.raw(
    `UPDATE auth_throttle SET blocked_until = now() + make_interval(secs => least(:max::float8, :base::float8 * power(2, failures - :limit)))
     WHERE key = :key AND failures >= :limit`,
    { key, limit, base: cfg.throttle_base_seconds, max: cfg.throttle_max_seconds },
  );
}

/** Forgets the failures of a key (after a successful sign-in). */
export async function clearFailures(db: Knex | Knex.Transaction, key: string): Promise<void> {
  await db('auth_throttle').where({ key }).delete();
}
