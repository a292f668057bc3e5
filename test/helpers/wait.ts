/** Options for {@link waitUntil}. */
export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** What is awaited, for the error message: "the outbox to be empty". */
  what: string;
  /** Pause between polls (default 50 ms): short, since a poll is cheap next to a slow test. */
  intervalMs?: number;
}

/**
 * Polls `check` until it returns a truthy value and resolves with that value; fails
 * with "timed out after N ms waiting for WHAT" otherwise. Tests await a condition
 * with this instead of sleeping a guessed time, so they are as fast as the system
 * allows and say what never happened when they fail. An exception from `check`
 * ends the wait at once (a process that died will not come back).
 */
export async function waitUntil<T>(check: () => T | Promise<T>, opts: WaitOptions): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() >= deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, Math.min(opts.intervalMs ?? 50, Math.max(0, deadline - Date.now()))));
  }
}

/** Whether `url` answers 200 right now (false while nothing listens). */
export async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false; // not listening yet
  }
}
