/**
 * Where "now" comes from for anything that decides by date (retention, deadlines).
 * Tests inject their own to travel through the years; production uses the system's.
 */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock fixed at `at` (tests, `--as-of`). */
export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at.getTime()) };
}
