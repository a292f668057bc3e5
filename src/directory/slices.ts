import { performance } from 'node:perf_hooks';

/**
 * Time slicing for the sync's CPU work. The sync runs in the server's process and
 * shares its event loop with interactive requests; a full sync of 5,000 users maps,
 * hashes and plans for tens of milliseconds at a stretch, and every request that
 * arrives meanwhile waits that long. Work done through a `Slicer` gives the loop a
 * turn (`setImmediate`: queued I/O callbacks run first) whenever a slice has used its
 * budget, so a request waits at most about one slice.
 */

/** Milliseconds of sync work between two turns of the event loop. */
export const SLICE_MS = 8;

/** Checks the clock every this many items: cheap enough to call once per item. */
const CHECK_EVERY = 64;

/** Hands the event loop a turn when the current slice is used up. */
export interface Slicer {
  /** Call once per unit of work; resolves at once (no turn) until the slice is used up. */
  tick(): Promise<void> | undefined;
  /** Gives the loop a turn now and starts a new slice. */
  pause(): Promise<void>;
}

/** Resolves after queued I/O callbacks (the requests waiting on the loop) have run. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A slicer with a budget of `sliceMs` per slice. */
export function slicer(sliceMs = SLICE_MS): Slicer {
  let start = performance.now();
  let n = 0;
  const pause = async () => {
    await yieldToLoop();
    start = performance.now();
    n = 0;
  };
  return {
    tick() {
      if (++n % CHECK_EVERY !== 0 || performance.now() - start < sliceMs) return undefined;
      return pause();
    },
    pause,
  };
}

/** A slicer that never yields: for callers (tests, one-off tools) that want the work done in one go. */
export const NO_SLICES: Slicer = { tick: () => undefined, pause: async () => undefined };

/** `items.map(fn)`, giving the loop a turn between slices. */
export async function mapSliced<T, U>(items: readonly T[], fn: (item: T) => U, s: Slicer = slicer()): Promise<U[]> {
  const out: U[] = new Array<U>(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]!);
    const turn = s.tick();
    if (turn) await turn;
  }
  return out;
}
