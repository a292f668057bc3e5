/**
 * Group commit: callers hand in items and wait; one flush at a time takes everything
 * waiting and processes it in one transaction, then answers every caller. While a
 * flush runs, new items queue up and go together in the next one, so the batch size
 * follows the load by itself (no timer, no added latency when idle). An answer is
 * given only after the flush's commit: an acknowledged item is durable, and a crash
 * before the commit acknowledges nothing. A batch that fails is retried item by item,
 * so one bad item fails alone.
 */

/** How many callers are answered before other work gets a turn. */
const SETTLE_SLICE = 16;

/** What a flush returns per item, in order: a result, or the error for that item alone. */
export type ItemOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** A queue that flushes in batches of at most `maxBatch` items, one flush at a time. */
export class GroupCommit<T, R> {
  private queue: Array<Waiting<T, R>> = [];
  private running = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<Array<ItemOutcome<R>>>,
    private readonly maxBatch = 2000,
  ) {}

  /** Queues an item; settles once the batch holding it has committed (or failed). */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        let out: Array<ItemOutcome<R>>;
        try {
          out = await this.flush(batch.map((w) => w.item));
        } catch (err) {
          // One bad item must not fail everyone's: a failed batch is retried item by
          // item, in order (except when the database is overloaded, where retrying
          // would only add load: everyone gets the 503).
          if (batch.length === 1 || (err as { status?: number }).status === 503) {
            for (const w of batch) w.reject(err);
            continue;
          }
          for (const w of batch) {
            try {
              const [o] = await this.flush([w.item]);
              if (o?.ok) w.resolve(o.value);
              else w.reject(o ? o.error : err);
            } catch (one) {
              w.reject(one);
            }
          }
          continue;
        }
        // The callers' answers are written a slice at a time, letting other requests'
        // I/O in between: a batch of hundreds answered at once would hold the event
        // loop (and every interactive request waiting on it) for its whole length.
        for (let i = 0; i < batch.length; i += SETTLE_SLICE) {
          if (i) await new Promise((r) => setImmediate(r));
          batch.slice(i, i + SETTLE_SLICE).forEach((w, j) => {
            const o = out[i + j];
            if (o?.ok) w.resolve(o.value);
            else w.reject(o ? o.error : new Error('group commit: no outcome for an item'));
          });
        }
      }
    } finally {
      this.running = false;
    }
  }
}
