import { hash as digest } from 'node:crypto';
import { canonicalJson, type JsonValue } from './canonical.js';

/**
 * Audit events read as PostgreSQL's plain `COPY ... TO STDOUT` text: the columns as
 * stored, one row a line, no per-row objects from node-postgres and no formatting work
 * in the database (building JSON text there cost it three times the plain COPY).
 * From these raw fields Node writes both the canonical JSON the hash covers and the
 * export line; `test/audit/export-rows.test.ts` holds both byte-equal to the generic
 * serialiser (`eventHash`) and to the lines PostgreSQL builds (`EVENT_LINE_SQL`).
 * The COPY connection runs with TimeZone UTC and DateStyle ISO (export-copy.ts).
 */
export const EVENT_COLUMNS = 'seq, id, at, actor_id, subject_id, action, object_type, object_id, payload, personal, prev_hash, hash';

/** One event row as COPY text gives it (jsonb payload as text). */
export interface EventRowText {
  seq: number;
  id: string;
  /** ISO 8601 UTC with milliseconds, the form the hash covers. */
  at: string;
  actor: string;
  subject: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  /** The payload as jsonb prints it. */
  payload: string;
  personal: string | null;
  prevHash: string;
  hash: string;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A COPY text field back to its value: `\N` is NULL; backslash sequences are the only escapes COPY TO writes. */
function field(s: string): string | null {
  if (s.indexOf('\\') === -1) return s;
  if (s === '\\N') return null;
  return s.replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? c);
}

/**
 * A timestamptz as PostgreSQL prints it with DateStyle ISO in UTC
 * (`2026-12-02 20:10:41.12+00`, trailing zeros of the fraction dropped) as ISO 8601
 * with milliseconds, truncated like `to_char(... 'MS')`.
 */
function isoTime(s: string): string {
  if (s.length >= 22 && s.charCodeAt(10) === 32 && s.endsWith('+00')) {
    const frac = s.charCodeAt(19) === 46 ? s.slice(20, s.length - 3) : '';
    if (s.length === 22 || frac) return s.slice(0, 10) + 'T' + s.slice(11, 19) + '.' + (frac + '000').slice(0, 3) + 'Z';
  }
  // Out of range for ISO with four-digit years (a row tampered with): kept as printed, it matches no hash.
  return s;
}

/** Splits one COPY text line (without its newline) into an event. */
export function parseEventRow(line: string): EventRowText {
  const f = line.split('\t');
  if (f.length !== 12) throw new Error(`audit COPY line with ${f.length} fields`);
  return {
    seq: Number(f[0]),
    id: f[1]!,
    at: isoTime(f[2]!),
    actor: field(f[3]!) ?? '',
    subject: field(f[4]!),
    action: field(f[5]!) ?? '',
    objectType: field(f[6]!),
    objectId: field(f[7]!),
    payload: field(f[8]!) ?? 'null',
    personal: field(f[9]!),
    prevHash: field(f[10]!) ?? '',
    hash: field(f[11]!) ?? '',
  };
}

const str = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));

/** Bytes COPY text passes through raw but JSON must escape (the rest of 0x00-0x1f COPY escapes itself). */
const RAW_CONTROL = /[\x00-\x08\x0e-\x1f]/;

/**
 * A COPY text field straight to its JSON text (what `to_json` / `JSON.stringify` of
 * the value writes). Most fields hold neither backslash, quote nor control character:
 * then the JSON text is the field in quotes, with no decoding and no escaping.
 */
function jsonField(f: string, clean: boolean): string {
  if (clean && f.indexOf('\\') === -1 && f.indexOf('"') === -1) return '"' + f + '"';
  return str(field(f));
}

/**
 * The `audit:export` JSON line of one COPY text line (with its newline): the bytes
 * `EVENT_LINE_SQL` builds, written without decoding the fields that need no escaping.
 */
export function eventLineOf(line: string): string {
  const f = line.split('\t');
  if (f.length !== 12) throw new Error(`audit COPY line with ${f.length} fields`);
  const clean = !RAW_CONTROL.test(line);
  return '{"type":"event","seq":' + f[0] + ',"id":"' + f[1] + '","at":"' + isoTime(f[2]!) + '","actor_id":' + jsonField(f[3]!, clean)
    + ',"subject_id":' + jsonField(f[4]!, clean) + ',"action":' + jsonField(f[5]!, clean) + ',"object_type":' + jsonField(f[6]!, clean)
    + ',"object_id":' + jsonField(f[7]!, clean) + ',"payload":' + (field(f[8]!) ?? 'null') + ',"personal":' + jsonField(f[9]!, clean)
    + ',"prev_hash":' + jsonField(f[10]!, clean) + ',"hash":' + jsonField(f[11]!, clean) + '}\n';
}

/** What the chain check needs of one COPY text line: seq, hashes, and whether the row matches its hash. */
export interface LineVerdict {
  seq: number;
  prevHash: string;
  hash: string;
  ok: boolean;
}

/**
 * Checks one COPY text line against its stored hash, writing the canonical JSON from
 * the fields as they come (quoted as is where nothing needs escaping).
 */
export function lineVerdict(line: string): LineVerdict {
  const f = line.split('\t');
  if (f.length !== 12) throw new Error(`audit COPY line with ${f.length} fields`);
  const clean = !RAW_CONTROL.test(line);
  const text = '{"action":' + jsonField(f[5]!, clean) + ',"actor_id":' + jsonField(f[3]!, clean) + ',"at":"' + isoTime(f[2]!) + '","id":' + jsonField(f[1]!, clean)
    + ',"object_id":' + jsonField(f[7]!, clean) + ',"object_type":' + jsonField(f[6]!, clean)
    + ',"payload":' + canonicalJson(JSON.parse(field(f[8]!) ?? 'null') as JsonValue)
    + ',"personal":' + jsonField(f[9]!, clean) + ',"prev_hash":' + jsonField(f[10]!, clean) + ',"seq":' + Number(f[0])
    + ',"subject_id":' + jsonField(f[4]!, clean) + ',"v":1}';
  const hash = field(f[11]!) ?? '';
  return { seq: Number(f[0]), prevHash: field(f[10]!) ?? '', hash, ok: digest('sha256', text, 'hex') === hash };
}

/** Per line of a block: 1 when the row matches its stored hash. */
export function blockFlags(block: string): Uint8Array {
  const ok: number[] = [];
  forEachLine(block, (line) => ok.push(lineVerdict(line).ok ? 1 : 0));
  return Uint8Array.from(ok);
}

/** Seq and hashes of one COPY text line without reading the rest (seq first, prev_hash and hash last). */
export function lineHashes(line: string): Omit<LineVerdict, 'ok'> {
  const h = line.lastIndexOf('\t');
  const p = line.lastIndexOf('\t', h - 1);
  return { seq: Number(line.slice(0, line.indexOf('\t'))), prevHash: field(line.slice(p + 1, h)) ?? '', hash: field(line.slice(h + 1)) ?? '' };
}

/**
 * The hash the row must carry, written as seq `seq` (its own unless a reorder is being
 * tested): the bytes `eventHash` hashes, the payload read as node-postgres reads jsonb
 * (JSON.parse) and serialised canonically.
 */
export function rowHash(r: EventRowText, seq: number = r.seq): string {
  const text = '{"action":' + str(r.action) + ',"actor_id":' + str(r.actor) + ',"at":"' + r.at + '","id":' + str(r.id)
    + ',"object_id":' + str(r.objectId) + ',"object_type":' + str(r.objectType)
    + ',"payload":' + canonicalJson(JSON.parse(r.payload) as JsonValue)
    + ',"personal":' + str(r.personal) + ',"prev_hash":' + str(r.prevHash) + ',"seq":' + seq
    + ',"subject_id":' + str(r.subject) + ',"v":1}';
  return digest('sha256', text, 'hex');
}

/** The `audit:export` JSON line of the row (with its newline): the bytes `EVENT_LINE_SQL` builds. */
export function eventLine(r: EventRowText): string {
  return '{"type":"event","seq":' + r.seq + ',"id":' + str(r.id) + ',"at":"' + r.at + '","actor_id":' + str(r.actor)
    + ',"subject_id":' + str(r.subject) + ',"action":' + str(r.action) + ',"object_type":' + str(r.objectType)
    + ',"object_id":' + str(r.objectId) + ',"payload":' + r.payload + ',"personal":' + str(r.personal)
    + ',"prev_hash":' + str(r.prevHash) + ',"hash":' + str(r.hash) + '}\n';
}

/**
 * Splits a stream of chunks into blocks of whole lines (each ending in a newline), each
 * in a buffer of its own (not a slice of a shared pool), so it can be transferred to a
 * worker thread without copying. A multi-byte character split across chunks stays whole.
 */
export async function* lineByteBlocks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let rest: Buffer | null = null;
  for await (const chunk of chunks) {
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      rest = rest ? Buffer.concat([rest, chunk]) : Buffer.from(chunk);
      continue;
    }
    const head = rest?.length ?? 0;
    const block = Buffer.allocUnsafeSlow(head + last + 1);
    if (rest) rest.copy(block, 0);
    chunk.copy(block, head, 0, last + 1);
    rest = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : null;
    yield block;
  }
  if (rest?.length) throw new Error('audit COPY stream ended inside a line');
}

/** Splits a stream of chunks into blocks of whole lines as text (see `lineByteBlocks`). */
export async function* lineBlocks(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  for await (const block of lineByteBlocks(chunks)) yield block.toString('utf8');
}

/** Calls `each` for every line of a block from `lineBlocks` (without the newline). */
export function forEachLine(block: string, each: (line: string) => void): void {
  let at = 0;
  for (let nl = block.indexOf('\n'); nl !== -1; nl = block.indexOf('\n', at)) {
    each(block.slice(at, nl));
    at = nl + 1;
  }
}
