import { createHash } from 'node:crypto';

/**
 * The canonical serialisation behind every audit hash and signature. It is pure
 * (no database, no keys) so the offline verifier and an auditor's own tool can
 * reproduce it from the export alone.
 *
 * Canonical JSON: UTF-8 JSON without whitespace; object keys sorted by UTF-16 code
 * units (JavaScript's default sort); arrays in order; strings and numbers exactly as
 * `JSON.stringify` writes them; `null` for absent optional fields (never omitted).
 *
 * Event hash = lowercase hex SHA-256 of the canonical JSON of
 *   { v: 1, seq, id, at, actor_id, subject_id, action, object_type, object_id,
 *     payload, personal, prev_hash }
 * where `seq` is a JSON integer, `at` is ISO 8601 UTC with milliseconds
 * (`2026-11-23T10:00:00.000Z`) and `personal` is the encrypted envelope as stored
 * (so the chain still verifies after the subject's keys are shredded). The first
 * event's `prev_hash` is 64 zeros.
 *
 * Checkpoint message = canonical JSON of
 *   { v: 1, type: 'uurwerk.audit.checkpoint', number, at, first_seq, last_seq,
 *     head_hash, prev_checkpoint_hash, key_id }
 * Its Ed25519 signature is over these UTF-8 bytes; its hash is their SHA-256. The
 * first checkpoint's `prev_checkpoint_hash` is 64 zeros.
 */

/** The hash that precedes the first event and the first checkpoint. */
export const GENESIS_HASH = '0'.repeat(64);

/** A JSON value as stored in `payload` (jsonb). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One audit event as hashed, stored and exported. */
export interface AuditEventRow {
  seq: number;
  id: string;
  at: string;
  actor_id: string;
  subject_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  payload: { [key: string]: JsonValue };
  personal: string | null;
  prev_hash: string;
  hash: string;
}

/** One signed checkpoint as stored and exported. */
export interface CheckpointRow {
  number: number;
  at: string;
  first_seq: number;
  last_seq: number;
  head_hash: string;
  prev_checkpoint_hash: string;
  key_id: string;
  signature: string;
  hash: string;
}

/**
 * Serialises a JSON value canonically (see the module comment). Written with string
 * concatenation and one sort per object rather than map/join: the verifier runs it
 * over every event of the log, so it sets the pace of `audit:verify`.
 */
export function canonicalJson(value: JsonValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
    return JSON.stringify(value);
  }
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i] as JsonValue);
    return out + ']';
  }
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += (i ? ',' : '') + JSON.stringify(k) + ':' + canonicalJson(value[k] as JsonValue);
  }
  return out + '}';
}

/** Lowercase hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The hash an event row must carry, computed from every field except `hash`: the
 * canonical JSON of the object in the module comment, written out in its sorted key
 * order directly (the same bytes `canonicalJson` produces for it; a test holds them equal).
 */
export function eventHash(row: Omit<AuditEventRow, 'hash'>): string {
  return eventHasher(row)(row.seq, row.at, row.prev_hash);
}

/**
 * `eventHash` for an event whose seq, time and previous hash are not known yet: the
 * canonical text around them is written once, and a chain pass only fills them in.
 */
export function eventHasher(row: Omit<AuditEventRow, 'hash' | 'seq' | 'at' | 'prev_hash'>): (seq: number, at: string, prevHash: string) => string {
  const beforeAt = '{"action":' + canonicalJson(row.action) + ',"actor_id":' + canonicalJson(row.actor_id) + ',"at":';
  const beforePrev =
    ',"id":' + canonicalJson(row.id) +
    ',"object_id":' + canonicalJson(row.object_id) +
    ',"object_type":' + canonicalJson(row.object_type) +
    ',"payload":' + canonicalJson(row.payload) +
    ',"personal":' + canonicalJson(row.personal) +
    ',"prev_hash":';
  const after = ',"subject_id":' + canonicalJson(row.subject_id) + ',"v":1}';
  return (seq, at, prevHash) => sha256Hex(beforeAt + canonicalJson(at) + beforePrev + canonicalJson(prevHash) + ',"seq":' + canonicalJson(seq) + after);
}

/** The hash as the generic canonical serialisation defines it (what `eventHash` must equal). */
export function eventHashReference(row: Omit<AuditEventRow, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      seq: row.seq,
      id: row.id,
      at: row.at,
      actor_id: row.actor_id,
      subject_id: row.subject_id,
      action: row.action,
      object_type: row.object_type,
      object_id: row.object_id,
      payload: row.payload,
      personal: row.personal,
      prev_hash: row.prev_hash,
    }),
  );
}

/** The exact bytes a checkpoint signature covers. */
export function checkpointMessage(cp: Omit<CheckpointRow, 'signature' | 'hash'>): string {
  return canonicalJson({
    v: 1,
    type: 'uurwerk.audit.checkpoint',
    number: cp.number,
    at: cp.at,
    first_seq: cp.first_seq,
    last_seq: cp.last_seq,
    head_hash: cp.head_hash,
    prev_checkpoint_hash: cp.prev_checkpoint_hash,
    key_id: cp.key_id,
  });
}
