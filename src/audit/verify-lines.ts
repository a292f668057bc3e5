import { createHash } from 'node:crypto';
import { canonicalJson, type JsonValue } from './canonical.js';

/**
 * The event hash from lines PostgreSQL builds. One COPY line per event carries the
 * fields below, separated by 0x02; PostgreSQL writes every field of the canonical JSON
 * except the payload in its final form (`to_json` of a text writes what
 * `JSON.stringify` writes), so Node only parses the payload, serialises it canonically
 * and hashes. The bytes hashed are the ones `eventHash` (canonical.ts) hashes for the
 * same row; `test/audit/verify-stream.test.ts` holds them equal on awkward rows.
 *
 *   seq | hash (JSON) | head: `{"action":…,"object_type":…,"payload":` | payload (jsonb text)
 *       | personal (JSON) | prev_hash (JSON) | subject_id (JSON)
 */
export const CHECK_LINE_SQL = `seq,
  to_json(hash)::text,
  '{"action":' || coalesce(to_json(action)::text, 'null')
  || ',"actor_id":' || coalesce(to_json(actor_id)::text, 'null')
  || ',"at":"' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  || '","id":"' || id::text
  || '","object_id":' || coalesce(to_json(object_id)::text, 'null')
  || ',"object_type":' || coalesce(to_json(object_type)::text, 'null')
  || ',"payload":',
  payload::text,
  coalesce(to_json(personal)::text, 'null'),
  to_json(prev_hash)::text,
  coalesce(to_json(subject_id)::text, 'null')`;

/** One parsed line: what the chain check needs, plus the parts to hash it again under another seq. */
export interface CheckLine {
  seq: number;
  hash: string;
  prevHash: string;
  head: string;
  payload: string;
  personal: string;
  prevJson: string;
  subject: string;
}

/** A JSON string as PostgreSQL's `to_json` wrote it, back to its value (the stored hashes are plain hex). */
function jsonText(s: string): string {
  if (s.length === 66 && s.indexOf('\\') === -1) return s.slice(1, -1);
  const v = JSON.parse(s) as unknown;
  return typeof v === 'string' ? v : String(v);
}

/** Splits one line (without its newline) into its fields. */
export function parseCheckLine(line: string): CheckLine {
  const f = line.split('\x02');
  if (f.length !== 7) throw new Error(`audit COPY line with ${f.length} fields`);
  return {
    seq: Number(f[0]),
    hash: jsonText(f[1]!),
    head: f[2]!,
    payload: f[3]!,
    personal: f[4]!,
    prevJson: f[5]!,
    prevHash: jsonText(f[5]!),
    subject: f[6]!,
  };
}

/**
 * The hash the row must carry, written as seq `seq` (its own seq unless a reorder is
 * being tested). The payload is read as node-postgres reads jsonb (JSON.parse) and
 * serialised canonically, so the result equals `eventHash` of the row as read before.
 */
export function lineHash(l: CheckLine, seq: number = l.seq): string {
  const text = l.head + canonicalJson(JSON.parse(l.payload) as JsonValue)
    + ',"personal":' + l.personal + ',"prev_hash":' + l.prevJson + ',"seq":' + seq + ',"subject_id":' + l.subject + ',"v":1}';
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Splits a stream of chunks into complete lines, a block at a time: each yield is the
 * text of whole lines (ending in a newline). A multi-byte character split across
 * chunks is decoded whole.
 */
export async function* lineBlocks(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest: Buffer | null = null;
  for await (const chunk of chunks) {
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      rest = rest ? Buffer.concat([rest, chunk]) : chunk;
      continue;
    }
    // Only the line cut at the previous chunk's end is copied; the rest is decoded in place.
    const first = chunk.indexOf(10);
    const head = rest ? Buffer.concat([rest, chunk.subarray(0, first + 1)]).toString('utf8') : chunk.toString('utf8', 0, first + 1);
    rest = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : null;
    yield first === last ? head : head + chunk.toString('utf8', first + 1, last + 1);
  }
  if (rest?.length) throw new Error('audit COPY stream ended inside a line');
}
