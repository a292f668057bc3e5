import { randomUUID } from 'node:crypto';
import type { Knex } from '../platform/db.js';
import { ValidationError } from '../platform/errors.js';
import type { CipherRef, KeyEventHook, KeyService } from '../keys/types.js';
import { ACTION_PATTERN } from './actions.js';
import type { JsonValue } from './canonical.js';
import { coalescedFlush, groupedAppend, noteStaged } from './chainer.js';
import { eventBySeq, insertStaged, type StagedEvent } from './repository.js';

/** What a caller records. Ids are pseudonymous (account ids, `system`, `cli:<user>`), never names. */
export interface AuditEventInput {
  /** One of AUDIT_ACTIONS (or another `domain.object.verb` name). */
  action: string;
  actorId: string;
  /** The person the event is about; required when `personal` is given (its key encrypts them). */
  subjectId?: string | null;
  object?: { type: string; id: string } | null;
  /** Non-personal details, stored in clear and covered by the hash. */
  payload?: Record<string, unknown>;
  /** Personal details (typed username, IP address, ...), encrypted under the subject's data key. */
  personal?: Record<string, unknown> | null;
}

/**
 * A staged event. Its seq, time and hash are given when a chain pass takes it
 * (`AuditLog.flush`), after the caller's transaction committed.
 */
export interface RecordedEvent {
  id: string;
}

/** The audit log as other domains use it. */
export interface AuditLog {
  /**
   * Stages one event inside the caller's transaction, so the event commits or rolls
   * back with the change it records. One INSERT, no lock: the chain pass that
   * `flush` runs (after each request and job, and every second) numbers and hashes it.
   */
  record(trx: Knex.Transaction, event: AuditEventInput): Promise<RecordedEvent>;
  /** Stages several events in order in one insert (batched operations); they are chained in that order. */
  recordMany(trx: Knex.Transaction, events: AuditEventInput[]): Promise<RecordedEvent[]>;
  /**
   * Appends events that record no change of their own — a read, a refused sign-in, a
   * file handed out — with no caller transaction: events of concurrent callers are
   * written together under one lock, one head read and one commit (group commit,
   * `groupedAppend` in chainer.ts). Resolves once they are durable and chained, so a
   * read answered after it is already in the log. Bad input is refused (422) before
   * anything is encrypted or written. An event that records a change uses `record` instead, so it
   * commits or rolls back with that change.
   */
  append(events: AuditEventInput | readonly AuditEventInput[]): Promise<RecordedEvent[]>;
  /**
   * Chains every event staged and committed before the call (group commit: callers
   * arriving during a pass share the next one). A no-op for a log built without a
   * database handle (key commands: their close runs the pass).
   */
  flush(): Promise<void>;
  /** Decrypts an event's personal details (throws the key service's error once the subject is shredded). */
  readPersonal(db: Knex | Knex.Transaction, seq: number): Promise<Record<string, unknown> | null>;
}

/** The AES-GCM binding of an event's `personal` column. */
export function personalRef(eventId: string): CipherRef {
  return { table: 'audit.events', column: 'personal', rowId: eventId };
}

/** With the u flag, a surrogate only matches when it is unpaired. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function fail(key: string, message: string): never {
  throw new ValidationError([{ field: key, message }]);
}

/**
 * Copies a payload into plain JSON, refusing what would not survive a round trip
 * through jsonb unchanged (the verifier re-hashes what it reads back): non-finite
 * numbers, integers beyond 2^53, NUL characters, undefined, functions, dates.
 */
export function normalisePayload(value: unknown, path = 'payload'): JsonValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) fail(path, 'must be a finite number within ±2^53');
    return value;
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000')) fail(path, 'must not contain NUL');
    if (LONE_SURROGATE.test(value)) fail(path, 'must be well-formed Unicode');
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => normalisePayload(v, `${path}.${i}`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000') || LONE_SURROGATE.test(k)) fail(path, 'keys must be well-formed text without NUL');
      if (v === undefined) continue;
      out[k] = normalisePayload(v, `${path}.${k}`);
    }
    return out;
  }
  return fail(path, 'must be plain JSON (objects, arrays, strings, finite numbers, booleans, null)');
}

function checkId(key: string, value: string | null | undefined, max: number, required: boolean): string | null {
  if (value === undefined || value === null) {
    if (required) fail(key, 'is required');
    return null;
  }
  if (typeof value !== 'string' || value.length < 1 || value.length > max) fail(key, `must be 1 to ${max} characters`);
  // Stored text must read back as hashed: PostgreSQL refuses NUL and would store a lone surrogate as U+FFFD.
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) fail(key, 'must be well-formed text without NUL');
  return value;
}

/** An event checked and ready to chain: everything but seq, time and hashes. */
type Prepared = StagedEvent;

function prepare(event: AuditEventInput, id: string, personal: string | null): Prepared {
  if (typeof event.action !== 'string' || !ACTION_PATTERN.test(event.action)) fail('action', 'must look like domain.object.verb');
  const actorId = checkId('actorId', event.actorId, 200, true)!;
  const subjectId = checkId('subjectId', event.subjectId, 200, false);
  const objectType = checkId('object.type', event.object?.type, 100, false);
  const objectId = checkId('object.id', event.object?.id, 200, false);
  if ((objectType === null) !== (objectId === null)) fail('object', 'needs both type and id');
  const payload = normalisePayload(event.payload ?? {});
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) fail('payload', 'must be an object');
  if (event.personal && subjectId === null) fail('subjectId', 'is required with personal details (their key encrypts them)');
  return { id, actor_id: actorId, subject_id: subjectId, action: event.action, object_type: objectType, object_id: objectId, payload, personal };
}

/** Stages prepared events in the caller's transaction, in one statement. */
async function stage(trx: Knex.Transaction, prepared: Prepared[]): Promise<RecordedEvent[]> {
  // Outside a transaction the event would commit even if the change it records failed.
  if (!trx.isTransaction) throw new Error('audit.record must run inside the transaction of the change it records');
  if (!prepared.length) return [];
  await insertStaged(trx, prepared);
  noteStaged();
  return prepared.map((p) => ({ id: p.id }));
}

/**
 * Appends events that carry no personal details, inside the caller's transaction,
 * in one batch. Needs no keys, so code that holds only a database handle (master
 * data, imports) records its changes too; events with `personal` go through
 * `AuditLog.record`, which encrypts them.
 */
export async function recordPlainEvents(trx: Knex.Transaction, events: AuditEventInput[]): Promise<RecordedEvent[]> {
  // Refused rather than dropped: a caller with personal details must have them encrypted.
  if (events.some((e) => e.personal)) fail('personal', 'needs AuditLog.record, which encrypts it');
  return stage(trx, events.map((e) => prepare(e, randomUUID(), null)));
}

/**
 * Creates the audit log on top of the key service (used for the `personal` column
 * only). `db` is what `flush` chains with; without it, staged events wait for the
 * next pass of whoever has one (the CLI's close, the appliance's timer).
 */
export function createAuditLog(keys: KeyService, db?: Knex): AuditLog {
  const flush = db ? coalescedFlush(db) : () => Promise.resolve();
  const grouped = db ? groupedAppend(db) : null;
  const prepareAll = async (trx: Knex.Transaction, events: readonly AuditEventInput[]): Promise<Prepared[]> => {
    // Every event is checked before the key service creates a data key for any of them.
    const checked = events.map((e) => prepare(e, randomUUID(), null));
    const out: Prepared[] = [];
    for (const [i, event] of events.entries()) {
      const c = checked[i]!;
      out.push(event.personal ? { ...c, personal: await keys.encrypt(trx, event.subjectId!, personalRef(c.id), JSON.stringify(normalisePayload(event.personal, 'personal')), { purpose: 'audit' }) } : c);
    }
    return out;
  };
  return {
    async record(trx, event) {
      if (!trx.isTransaction) throw new Error('audit.record must run inside the transaction of the change it records');
      return (await stage(trx, await prepareAll(trx, [event])))[0]!;
    },

    async recordMany(trx, events) {
      if (!trx.isTransaction) throw new Error('audit.record must run inside the transaction of the change it records');
      return stage(trx, await prepareAll(trx, events));
    },

    async append(input) {
      if (!db || !grouped) throw new Error('audit.append needs an audit log built with a database handle');
      const events = Array.isArray(input) ? (input as readonly AuditEventInput[]) : [input as AuditEventInput];
      // Personal details are encrypted in a short transaction of their own (the key
      // service may create the subject's data key in it); prepareAll checks every event first.
      const prepared = events.some((e) => e.personal) ? await db.transaction((trx) => prepareAll(trx, events)) : events.map((e) => prepare(e, randomUUID(), null));
      await grouped(prepared);
      return prepared.map((p) => ({ id: p.id }));
    },

    flush,

    async readPersonal(db, seq) {
      const row = await eventBySeq(db, seq);
      if (!row?.personal || !row.subject_id) return null;
      return JSON.parse(await keys.decrypt(db, row.subject_id, personalRef(row.id), row.personal)) as Record<string, unknown>;
    },
  };
}

/**
 * Plugs the audit log into the keys domain: every key operation becomes an event in
 * the transaction that performed it. Details are non-secret facts (versions, counts),
 * stored in clear; nothing is encrypted, since a shred event's subject has no key left.
 */
export function keyEventHook(audit: AuditLog): KeyEventHook {
  return async (trx, e) => {
    await audit.record(trx, { action: e.action, actorId: e.actor, subjectId: e.subject ?? null, payload: e.details });
  };
}
