import { eventHash, GENESIS_HASH, type AuditEventRow } from './canonical.js';
import type { VerifyProblem } from './verify.js';

const SEEN_LIMIT = 200_000;
/** Mismatched rows kept for classification; past it each is named as edited at once. */
const MISMATCH_LIMIT = 10_000;

/**
 * A remembered hash's key: its first 52 bits as a number. A number key costs a
 * fraction of a 64-character string, and a false match can only mislabel a finding
 * (reordered vs edited), never hide one: a reorder is confirmed by re-hashing.
 */
function hashKey(hash: string): number {
  return typeof hash === 'string' ? Number.parseInt(hash.slice(0, 13), 16) : Number.NaN;
}

/** What the chain rules read of a row, whatever form it was read in. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Where rows sit by hash while mismatches are classified: the seq a row was written with, 0 while unknown. */
export interface SeenHashes {
  get(hash: string): number | undefined;
  has(hash: string): boolean;
  set(hash: string, seq: number): void;
}

/**
 * The chain rules both checks apply (`ChainVerifier` over rows, `LineChainCheck` over
 * COPY lines): contiguous seq, each row's own hash, each link to its predecessor, and
 * at the end the classification of the rows whose hash failed. `M` is the form a
 * mismatched row is kept in until then.
 */
export class ChainRules<M> {
  private expected: number;
  private prevHash: string | null;
  private prevSeq: number;
  protected readonly mismatches: M[] = [];
  protected readonly flagged = new Set<number>();
  private readonly links: Array<{ seq: number; prevSeq: number }> = [];
  protected readonly problems: VerifyProblem[] = [];
  /** Stored hash of each seq a checkpoint ends at. */
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

  /**
   * Applies the rules to the next row (ascending seq) and its hash verdict; `keep`
   * gives the form a mismatched row is kept in. False when the row came out of order
   * (named, and otherwise skipped).
   */
  protected step(row: ChainLink, ok: boolean, keep: () => M): boolean {
    this.checked++;
    if (row.seq < this.expected) {
      this.problems.push({ kind: 'reordered', seq: row.seq, message: `seq ${row.seq} appears again or out of order after seq ${this.expected - 1}` });
      return false;
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
      if (this.mismatches.length < MISMATCH_LIMIT) this.mismatches.push(keep());
      else this.problems.push({ kind: 'edited', seq: row.seq, message: `seq ${row.seq}: content does not match its hash` });
    }
    if (this.wanted.has(row.seq)) this.headAt.set(row.seq, row.hash);
    this.prevHash = row.hash;
    this.prevSeq = row.seq;
    this.expected = row.seq + 1;
    this.last = row.seq;
    return true;
  }

  /**
   * Classifies the rows whose hash failed: one that hashes correctly (`hashAt`) under
   * the seq its predecessor-by-hash implies was moved (reordered), otherwise it was
   * edited. Returns every chain problem, by seq.
   */
  protected classify(link: (m: M) => ChainLink, seen: SeenHashes, hashAt: (m: M, seq: number) => string): VerifyProblem[] {
    const pending = new Set(this.mismatches);
    let progress = true;
    while (progress && pending.size) {
      progress = false;
      for (const m of pending) {
        const l = link(m);
        let orig: number | undefined;
        if (l.prevHash === GENESIS_HASH) orig = 1;
        else {
          const p = seen.get(l.prevHash);
          if (p) orig = p + 1;
        }
        if (orig === undefined) continue;
        const entry = seen.has(l.hash);
        if (orig !== l.seq && hashAt(m, orig) === l.hash) {
          this.problems.push({ kind: 'reordered', seq: l.seq, message: `seq ${l.seq} holds the event written as seq ${orig} (rows reordered)` });
          if (entry) seen.set(l.hash, orig);
        } else {
          this.problems.push({ kind: 'edited', seq: l.seq, message: `seq ${l.seq}: content does not match its hash (row edited)` });
          if (entry) seen.set(l.hash, l.seq);
        }
        pending.delete(m);
        progress = true;
      }
    }
    for (const m of pending) this.problems.push({ kind: 'edited', seq: link(m).seq, message: `seq ${link(m).seq}: content does not match its hash (row edited)` });
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

/**
 * Streams events in seq order and checks the chain: contiguous seq, each row's own
 * hash, each link to its predecessor. A row whose hash fails is examined at the end:
 * if it hashes correctly under the seq its predecessor-by-hash implies, it was moved
 * (reordering), otherwise its content was edited. Memory stays bounded (recent
 * hashes only), so a long log is verified without loading it whole.
 */
export class ChainVerifier extends ChainRules<AuditEventRow> {
  /** Hash key → the seq the row was written with, 0 while unknown (its own hash failed). */
  private readonly seen = new Map<number, number>();
  /** The remembered keys in insertion order, as a ring: evicting the oldest is O(1). */
  private readonly ring = new Float64Array(SEEN_LIMIT).fill(Number.NaN);
  private ringAt = 0;

  /** Feeds the next row (ascending seq). */
  push(row: AuditEventRow): void {
    const ok = eventHash(row) === row.hash;
    if (this.step({ seq: row.seq, prevHash: row.prev_hash, hash: row.hash }, ok, () => row)) this.remember(row.hash, ok ? row.seq : 0);
  }

  /**
   * Remembers the last SEEN_LIMIT hashes (finish() looks up where a mismatched row's
   * predecessor was written). Evicts through the ring, not through the Map's own
   * iteration: a Map's first live key sits behind every hole deletions left, so
   * `keys().next()` made each eviction slower and the whole run super-linear.
   */
  private remember(hash: string, orig: number): void {
    const key = hashKey(hash);
    const old = this.ring[this.ringAt]!;
    if (!Number.isNaN(old)) this.seen.delete(old);
    this.ring[this.ringAt] = key;
    this.ringAt = (this.ringAt + 1) % SEEN_LIMIT;
    this.seen.set(key, orig);
  }

  /** Classifies the rows whose hash failed and returns every chain problem, by seq. */
  finish(): VerifyProblem[] {
    const seen: SeenHashes = {
      get: (h) => this.seen.get(hashKey(h)),
      has: (h) => this.seen.has(hashKey(h)),
      set: (h, seq) => void this.seen.set(hashKey(h), seq),
    };
    return this.classify((m) => ({ seq: m.seq, prevHash: m.prev_hash, hash: m.hash }), seen, (m, seq) => eventHash({ ...m, seq }));
  }
}
