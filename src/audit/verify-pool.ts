import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The thread's heap, kept small: it holds one block of lines (about 64 KB) at a time,
 * but V8's default young generation (3 × 16 MB semi-spaces) let it swell by some
 * 35 MB over a million events, which took `audit:verify` to 200 MB RSS. With 4 MB
 * it peaks near 165 MB at the same speed (measured at 1,000,000 events); should it
 * ever run out, the thread dies and the main thread hashes the rest (see below).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

/**
 * One worker thread that hashes blocks of COPY lines (verify-worker.ts) while the main
 * thread reads the next ones and hashes every other block itself: on two cores the
 * chain check runs at about twice the speed of one thread. Should the worker fail to
 * start (or die), `verdicts` rejects and the caller hashes the block itself, so a
 * missing thread costs speed, never a verdict.
 */
export class HashWorker {
  private readonly worker: Worker;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (f: Uint8Array) => void; reject: (e: Error) => void }>();
  private broken: Error | undefined;

  constructor() {
    // Compiled, this module is .js beside verify-worker.js. Run from source (tests, tsx),
    // both are .ts and the thread loads tsx itself: a worker does not inherit the loader.
    if (import.meta.url.endsWith('.ts')) {
      const url = JSON.stringify(new URL('./verify-worker.ts', import.meta.url).href);
      this.worker = new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${url}); })`, { eval: true, resourceLimits: WORKER_LIMITS });
    } else this.worker = new Worker(new URL('./verify-worker.js', import.meta.url), { resourceLimits: WORKER_LIMITS });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; flags: Uint8Array; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.reject(new Error(m.error));
      else w?.resolve(m.flags);
    });
    const fail = (err: Error) => {
      this.broken ??= err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('hash worker exited')));
  }

  /** Whether a worker is worth starting for `rows` rows on this machine. */
  static worthIt(rows: number): boolean {
    return rows >= 20_000 && availableParallelism() > 1;
  }

  /**
   * Per line of `block` (UTF-8 lines, in a buffer of its own): 1 when the row matches
   * its hash. The buffer is transferred, not copied (cloning a 64 KB block as a string
   * cost the main thread about 0.13 ms, a transfer 0.01 ms): it is unusable here afterwards.
   */
  verdicts(block: Buffer): Promise<Uint8Array> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
      this.worker.postMessage({ id, bytes }, [block.buffer as ArrayBuffer]);
    });
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
