import type { Knex } from '../platform/db.js';
import { GENESIS_HASH } from './canonical.js';
import { copyOutInSnapshot } from './export-copy.js';
import { blockFlags, EVENT_COLUMNS, forEachLine, lineByteBlocks, lineHashes, lineVerdict, parseEventRow, rowHash, type EventRowText, type LineVerdict } from './export-rows.js';
import { HashWorker } from './verify-pool.js';
import type { VerifyProblem } from './verify.js';

const MISMATCH_LIMIT = 10_000;

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
export class LineChainCheck {
  private expected: number;
  private prevHash: string | null;
  private prevSeq: number;
  private readonly mismatches: EventRowText[] = [];
  private readonly flagged = new Set<number>();
  private readonly links: Array<{ seq: number; prevSeq: number }> = [];
  private readonly problems: VerifyProblem[] = [];
  readonly headAt = new Map<number, string>();
  checked = 0;
  last = 0;

  /**
   * @param from the first seq expected
   * @param anchorHash hash of seq from-1 (GENESIS for from=1); null when unknown
   * @param wanted seqs whose stored hash the checkpoint check needs
   */
  constructor(from: number, anchorHash: string | null, private readonly wanted: ReadonlySet<number>) {
    this.expected = from;
    this.prevHash = anchorHash;
    this.prevSeq = from - 1;
  }

  /** Feeds the next row (ascending seq), whether its content matches its hash, and its COPY line (kept if it does not). */
  push(row: Omit<LineVerdict, 'ok'>, ok: boolean, line: string): void {
    this.checked++;
    if (row.seq < this.expected) {
      this.problems.push({ kind: 'reordered', seq: row.seq, message: `seq ${row.seq} appears again or out of order after seq ${this.expected - 1}` });
      return;
    }
    let gap = false;
    if (row.seq > this.expected) {
      gap = true;
      const missing = row.seq - 1 === this.expected ? `seq ${this.expected} is missing` : `seq ${this.expected} to ${row.seq - 1} are missing`;
      this.problems.push({ kind: 'gap', seq: this.expected, message: `gap: ${missing} (rows deleted)` });
    }
    if (!gap && this.prevHash !== null && row.prevHash !== this.prevHash) this.links.push({ seq: row.seq, prevSeq: this.prevSeq });
    if (!ok) {
      this.flagged.add(row.seq);
      if (this.mismatches.length < MISMATCH_LIMIT) this.mismatches.push(parseEventRow(line));
      else this.problems.push({ kind: 'edited', seq: row.seq, message: `seq ${row.seq}: content does not match its hash` });
    }
    if (this.wanted.has(row.seq)) this.headAt.set(row.seq, row.hash);
    this.prevHash = row.hash;
    this.prevSeq = row.seq;
    this.expected = row.seq + 1;
    this.last = row.seq;
  }

  /**
   * Classifies the rows whose hash failed: one that hashes correctly under the seq its
   * predecessor-by-hash implies was moved (reordered), otherwise it was edited. Returns
   * every chain problem, by seq.
   */
  async finish(lookup: HashLookup): Promise<VerifyProblem[]> {
    const pending = new Set(this.mismatches);
    // hash → the seq the row was written with, 0 while unknown (its own hash failed).
    const seen = new Map<string, number>();
    if (pending.size) {
      const found = await lookup([...new Set(this.mismatches.flatMap((m) => [m.prevHash, m.hash]))]);
      for (const [h, s] of found) seen.set(h, this.flagged.has(s) ? 0 : s);
    }
    let progress = true;
    while (progress && pending.size) {
      progress = false;
      for (const m of pending) {
        let orig: number | undefined;
        if (m.prevHash === GENESIS_HASH) orig = 1;
        else {
          const p = seen.get(m.prevHash);
          if (p) orig = p + 1;
        }
        if (orig === undefined) continue;
        const entry = seen.has(m.hash);
        if (orig !== m.seq && rowHash(m, orig) === m.hash) {
          this.problems.push({ kind: 'reordered', seq: m.seq, message: `seq ${m.seq} holds the event written as seq ${orig} (rows reordered)` });
          if (entry) seen.set(m.hash, orig);
        } else {
          this.problems.push({ kind: 'edited', seq: m.seq, message: `seq ${m.seq}: content does not match its hash (row edited)` });
          if (entry) seen.set(m.hash, m.seq);
        }
        pending.delete(m);
        progress = true;
      }
    }
    for (const m of pending) this.problems.push({ kind: 'edited', seq: m.seq, message: `seq ${m.seq}: content does not match its hash (row edited)` });
    for (const l of this.links) {
      // A link broken next to a row already named is a consequence of that finding.
      if (this.flagged.has(l.seq) || this.flagged.has(l.prevSeq)) continue;
      this.problems.push({
        kind: 'broken-link',
        seq: l.seq,
        message: `seq ${l.seq} does not chain to seq ${l.prevSeq}: seq ${l.prevSeq} was edited and re-hashed, or seq ${l.seq}'s prev_hash was changed`,
      });
    }
    return this.problems.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
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
