import type { Knex } from '../platform/db.js';
import { ChainRules } from './chain.js';
import { copyOutInSnapshot } from './export-copy.js';
import { blockFlags, EVENT_COLUMNS, forEachLine, lineByteBlocks, lineHashes, lineVerdict, parseEventRow, rowHash, type EventRowText, type LineVerdict } from './export-rows.js';
import { HashWorker } from './verify-pool.js';
import type { VerifyProblem } from './verify.js';

/** Where rows with these hashes sit (seq by hash), within the range checked. */
export type HashLookup = (hashes: readonly string[]) => Promise<Map<string, number>>;

/** What a chain check found: the same facts `ChainVerifier` (chain.ts) gives. */
export interface ChainCheckResult {
  problems: VerifyProblem[];
  checked: number;
  last: number;
  /** Stored hash of each wanted seq (where checkpoints end). */
  headAt: Map<number, string>;
  /** Blocks of lines a worker thread hashed (0 without one). */
  workerBlocks: number;
}

/**
 * The chain check over rows in ascending seq, each with its hash verdict: contiguous
 * seq, each row's own hash, each link to its predecessor. The same rules and messages
 * as `ChainVerifier`, but it remembers nothing per row: a row whose hash fails is
 * classified at the end by looking up (one indexed query on the unique hash) where its
 * predecessor-by-hash sits, so time is linear and memory flat whatever the log's length.
 */
export class LineChainCheck extends ChainRules<EventRowText> {
  /** Feeds the next row (ascending seq), whether its content matches its hash, and its COPY line (kept if it does not). */
  push(row: Omit<LineVerdict, 'ok'>, ok: boolean, line: string): void {
    this.step(row, ok, () => parseEventRow(line));
  }

  /**
   * Classifies the rows whose hash failed (see `ChainRules.classify`), after one
   * lookup of where their hashes and their predecessors' sit. Returns every chain
   * problem, by seq.
   */
  async finish(lookup: HashLookup): Promise<VerifyProblem[]> {
    // hash → the seq the row was written with, 0 while unknown (its own hash failed).
    const seen = new Map<string, number>();
    if (this.mismatches.length) {
      const found = await lookup([...new Set(this.mismatches.flatMap((m) => [m.prevHash, m.hash]))]);
      for (const [h, s] of found) seen.set(h, this.flagged.has(s) ? 0 : s);
    }
    return this.classify((m) => m, seen, (m, seq) => rowHash(m, seq));
  }
}

function lineCount(block: string): number {
  let n = 0;
  for (let i = block.indexOf('\n'); i !== -1; i = block.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Checks the chain of events from..to in the snapshot of `trx`: one plain COPY of the
 * rows (see export-rows.ts), hashed as they arrive, with back-pressure
 * down to the socket. `anchorHash` is the hash of seq from-1 (GENESIS for 1, null
 * when unknown); `wanted` the seqs whose stored hash the checkpoint check needs.
 * Over many rows a worker thread hashes every other block (verify-pool.ts);
 * `opts.worker` forces it on or off.
 */
export async function checkChainByCopy(
  trx: Knex.Transaction,
  from: number,
  to: number,
  anchorHash: string | null,
  wanted: ReadonlySet<number>,
  opts: { worker?: boolean } = {},
): Promise<ChainCheckResult> {
  const check = new LineChainCheck(from, anchorHash, wanted);
  const lo = Math.trunc(from);
  const hi = Math.trunc(Math.min(to, Number.MAX_SAFE_INTEGER));
  const select = `SELECT ${EVENT_COLUMNS} FROM audit.events WHERE seq BETWEEN ${lo} AND ${hi} ORDER BY seq`;
  const worker = (opts.worker ?? HashWorker.worthIt(hi - lo + 1)) ? new HashWorker() : undefined;
  // Blocks in read order; every other one goes to the worker while this thread hashes the next.
  type Entry = { block: string; flags?: Uint8Array | Error; wait?: Promise<void>; threaded?: boolean };
  let workerBlocks = 0;
  const queue: Entry[] = [];
  const apply = (e: Entry): void => {
    const flags = e.flags;
    if (!flags || flags instanceof Error) {
      forEachLine(e.block, (line) => {
        const v = lineVerdict(line);
        check.push(v, v.ok, line);
      });
      return;
    }
    if (e.threaded) {
      if (flags.length !== lineCount(e.block)) throw new Error('hash worker answered for another number of lines');
      workerBlocks++;
    }
    let i = 0;
    forEachLine(e.block, (line) => check.push(lineHashes(line), flags[i++] === 1, line));
  };
  try {
    let n = 0;
    for await (const bytes of lineByteBlocks(copyOutInSnapshot(trx, select, ''))) {
      // Decoded here first: a block for the worker is transferred (gone from this thread).
      const block = bytes.toString('utf8');
      const e: Entry = { block, threaded: worker && n++ % 2 === 0 };
      if (worker && e.threaded) {
        // Settled into a value at once: a worker failure must not surface as an unhandled rejection.
        e.wait = worker.verdicts(bytes).then((f) => void (e.flags = f), (err: unknown) => void (e.flags = err as Error));
      } else e.flags = blockFlags(block);
      queue.push(e);
      while (queue.length && (queue[0]!.flags !== undefined || queue.length > 4)) {
        const head = queue.shift()!;
        if (head.flags === undefined) await head.wait;
        apply(head);
      }
    }
    for (const e of queue) {
      if (e.flags === undefined) await e.wait;
      apply(e);
    }
  } finally {
    await worker?.close();
  }
  const lookup: HashLookup = async (hashes) => {
    const rows = (await trx.withSchema('audit').table('events').select('seq', 'hash')
      .whereIn('hash', hashes as string[]).andWhereBetween('seq', [lo, hi]).orderBy('seq')) as Array<{ seq: string | number; hash: string }>;
    return new Map(rows.map((r) => [r.hash, Number(r.seq)]));
  };
  const problems = await check.finish(lookup);
  return { problems, checked: check.checked, last: check.last, headAt: check.headAt, workerBlocks };
}
