import { eventLineOf } from './export-rows.js';

/**
 * The `audit:export` JSON lines written byte to byte from PostgreSQL's COPY text,
 * without decoding a line into a string or encoding the result again: the fields
 * are copied as they come, between the keys, in one pass that also checks them
 * (a scan and then a copy took 1.4 × as long). Profiling the export showed the string
 * path (UTF-8 decode, split into fields, concatenation, UTF-8 encode on write)
 * taking most of Node's time, which made the export slower than twice the plain COPY.
 * A line with anything that needs care (a backslash other than a NULL field `\N`, a
 * quote outside the payload, a control character, an odd time, not twelve fields)
 * takes the string path (`eventLineOf`), so every line's bytes are exactly the
 * string path's; `test/audit/export-bytes.test.ts` holds the two equal.
 */

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HEAD = ascii('{"type":"event","seq":');
const ID = ascii(',"id":"');
const AT = ascii('","at":"');
/** The keys before fields 3..11 (actor_id .. hash); the one for field 3 closes the time's quote. */
const KEYS = ['","actor_id":', ',"subject_id":', ',"action":', ',"object_type":', ',"object_id":', ',"payload":', ',"personal":', ',"prev_hash":', ',"hash":'].map(ascii);
const NULL = ascii('null');
const TAIL = ascii('}\n');
/** Room one line needs on the fast path beyond its own length (keys, quotes, `null` for `\N`, time). */
const SLACK = 256;
const TAB = 9;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const PAYLOAD = 8;

/** Writes JSON lines into fixed-size output buffers handed out when full. */
class LineWriter {
  private out: Buffer;
  private pos = 0;
  count = 0;

  constructor(private readonly size: number) {
    this.out = Buffer.allocUnsafe(size);
  }

  /** Bytes written so far (the caller hands them out past a threshold). */
  get length(): number {
    return this.pos;
  }

  /** The written bytes; the writer starts a fresh buffer (the old one stays the caller's). */
  take(): Buffer {
    const done = this.out.subarray(0, this.pos);
    this.out = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return done;
  }

  private room(n: number): void {
    if (this.pos + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + n));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }

  private lit(bytes: Uint8Array): void {
    const out = this.out;
    let p = this.pos;
    for (let k = 0; k < bytes.length; k++) out[p++] = bytes[k]!;
    this.pos = p;
  }

  private raw(buf: Buffer, a: number, b: number): void {
    const out = this.out;
    let p = this.pos;
    for (let k = a; k < b; k++) out[p++] = buf[k]!;
    this.pos = p;
  }

  /**
   * Copies one field's bytes up to its tab (or the line's end) and returns where it
   * stopped; -1 when the field needs the string path: a control character, a backslash
   * (a NULL `\N` is taken before), a quote outside the payload.
   */
  private field(buf: Buffer, i: number, e: number, payload: boolean): number {
    const out = this.out;
    let p = this.pos;
    for (; i < e; i++) {
      const c = buf[i]!;
      if ((c > QUOTE && c !== BACKSLASH) || c === 0x20 || c === 0x21 || (c === QUOTE && payload)) out[p++] = c;
      else if (c === TAB) break;
      else return -1;
    }
    this.pos = p;
    return i;
  }

  /** The time as `isoTime` (export-rows.ts) writes it; false when it needs the string path. */
  private time(buf: Buffer, a: number, b: number): boolean {
    const len = b - a;
    for (let k = a; k < b; k++) if (buf[k]! > 0x7f) return false;
    if (len < 22 || buf[a + 10] !== 32 || buf[b - 3] !== 0x2b || buf[b - 2] !== 0x30 || buf[b - 1] !== 0x30) return false;
    const fracLen = buf[a + 19] === 0x2e ? Math.max(0, len - 23) : 0;
    if (len !== 22 && fracLen === 0) return false;
    const out = this.out;
    this.raw(buf, a, a + 10);
    out[this.pos++] = 0x54; // T
    this.raw(buf, a + 11, a + 19);
    out[this.pos++] = 0x2e; // .
    for (let k = 0; k < 3; k++) out[this.pos++] = k < fracLen ? buf[a + 20 + k]! : 0x30;
    out[this.pos++] = 0x5a; // Z
    return true;
  }

  /** Adds the JSON line of the COPY line buf[s..e) (e at its newline). */
  line(buf: Buffer, s: number, e: number): void {
    this.count++;
    this.room(e - s + SLACK);
    const mark = this.pos;
    if (this.fast(buf, s, e)) return;
    this.pos = mark;
    const text = eventLineOf(buf.toString('utf8', s, e));
    this.room(Buffer.byteLength(text));
    this.pos += this.out.write(text, this.pos, 'utf8');
  }

  /** Writes the line in one pass over its bytes; false (output partly written) when it needs the string path. */
  private fast(buf: Buffer, s: number, e: number): boolean {
    this.lit(HEAD);
    let i = this.field(buf, s, e, false);
    if (i < 0 || i === e) return false;
    this.lit(ID);
    i = this.field(buf, i + 1, e, false);
    if (i < 0 || i === e) return false;
    this.lit(AT);
    let j = i + 1;
    for (; j < e && buf[j] !== TAB; j++) {
      const c = buf[j]!;
      if (c < 0x20 || c === QUOTE || c === BACKSLASH) return false;
    }
    if (j === e || !this.time(buf, i + 1, j)) return false;
    i = j;
    for (let f = 3; f <= 11; f++) {
      if (i === e) return false; // fewer than twelve fields
      this.lit(KEYS[f - 3]!);
      const a = i + 1;
      if (buf[a] === BACKSLASH && buf[a + 1] === 0x4e && (a + 2 === e || buf[a + 2] === TAB)) {
        this.lit(NULL);
        i = a + 2;
        continue;
      }
      if (f === PAYLOAD) {
        i = this.field(buf, a, e, true);
        if (i < 0) return false;
        continue;
      }
      this.out[this.pos++] = QUOTE;
      i = this.field(buf, a, e, false);
      if (i < 0) return false;
      this.out[this.pos++] = QUOTE;
    }
    if (i !== e) return false; // more than twelve fields
    this.lit(TAIL);
    return true;
  }
}

/** Output buffers handed out at about this size: few, large writes into the file. */
const YIELD_BYTES = 1 << 18;

/**
 * Turns a stream of COPY text chunks (rows may span chunks) into buffers of
 * `audit:export` JSON lines, each with the number of lines in it.
 */
export async function* exportLineBuffers(chunks: AsyncIterable<Buffer>): AsyncGenerator<{ bytes: Buffer; count: number }> {
  const w = new LineWriter(YIELD_BYTES + (YIELD_BYTES >> 1));
  let rest: Buffer | null = null;
  let counted = 0;
  for await (const chunk of chunks) {
    let at = 0;
    if (rest) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        rest = Buffer.concat([rest, chunk]);
        continue;
      }
      const joined = Buffer.concat([rest, chunk.subarray(0, nl)]);
      w.line(joined, 0, joined.length);
      at = nl + 1;
      rest = null;
    }
    for (let nl = chunk.indexOf(10, at); nl !== -1; nl = chunk.indexOf(10, at)) {
      w.line(chunk, at, nl);
      at = nl + 1;
    }
    // The chunk's bytes may be reused once this loop moves on: keep a copy of the cut line.
    if (at < chunk.length) rest = Buffer.from(chunk.subarray(at));
    if (w.length >= YIELD_BYTES) {
      yield { bytes: w.take(), count: w.count - counted };
      counted = w.count;
    }
  }
  if (rest?.length) throw new Error('audit COPY stream ended inside a line');
  if (w.length) yield { bytes: w.take(), count: w.count - counted };
}
