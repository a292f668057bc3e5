import type { Knex } from '../platform/db.js';
import type { RetentionCounts, RetentionHandler, RetentionHolds, RetentionScope } from '../platform/retention.js';
import { AUDIT_ACTIONS, SYSTEM_ACTOR } from './actions.js';
import { lockAgeing, maxSeq, minSeq } from './repository.js';
import { chainWithin } from './chainer.js';
import { recordPlainEvents } from './service.js';

/**
 * Audit log ageing (`retention.audit_events`, counted from the end of the calendar
 * year an event was written in). Events go only from the start of the log up to the
 * last seq of a signed checkpoint; that checkpoint and all before it stay as the
 * anchor, so `audit:verify` proves the rest of the chain from its head hash. Each
 * transaction removes whole checkpoint segments (at least one, about `batchSize`
 * events when segments are small), so the log verifies between batches too, and
 * records one `audit.aged` event naming what went and the anchor: verification
 * accepts a log that starts after seq 1 only with that record (migration
 * 20261202180000: `audit.age_events` is the one DELETE, only from the start and only
 * up to a checkpoint's last seq).
 */

type Db = Knex | Knex.Transaction;

/** A checkpoint as ageing needs it. */
interface Boundary {
  number: number;
  lastSeq: number;
}

/** Where ageing stands: the first event left, and the checkpoint it may age up to. */
interface AgeingState {
  first: number;
  /** The latest checkpoint whose covered events are all due and unheld; null when none lies past `first`. */
  anchor: Boundary | null;
}

/** Events written before this instant are due: the start of the cutoff's UTC year. */
export function dueBefore(cutoff: Date): Date {
  return new Date(Date.UTC(cutoff.getUTCFullYear(), 0, 1));
}

async function firstSeqWhere(db: Db, where: string, bindings: readonly Knex.RawBinding[]): Promise<number | null> {
  const { rows } = await db.raw<{ rows: Array<{ seq: string | number }> }>(`SELECT seq FROM audit.events WHERE ${where} ORDER BY seq LIMIT 1`, bindings);
  return rows[0] ? Number(rows[0].seq) : null;
}

/**
 * The first seq ageing must keep because of a legal hold: the first event about a
 * held person (`subject_id`), or written on a day inside a held range (UTC dates).
 * Project and customer holds concern time entries; audit events do not name them.
 */
export async function firstHeldSeq(db: Db, holds: RetentionHolds): Promise<number | null> {
  const found: number[] = [];
  if (holds.persons.size) {
    const s = await firstSeqWhere(db, 'subject_id = ANY(?::text[])', [[...holds.persons]]);
    if (s !== null) found.push(s);
  }
  for (const r of holds.ranges) {
    const s = await firstSeqWhere(db, `(at AT TIME ZONE 'UTC')::date BETWEEN ?::date AND ?::date`, [r.from, r.to]);
    if (s !== null) found.push(s);
  }
  return found.length ? Math.min(...found) : null;
}

/** The latest checkpoint ending below `limit` and at or after `first`. */
async function boundaryBelow(db: Db, first: number, limit: number): Promise<Boundary | null> {
  const r = (await db.withSchema('audit').table('checkpoints').select('number', 'last_seq')
    .where('last_seq', '<', limit).andWhere('last_seq', '>=', first).orderBy('last_seq', 'desc').first()) as { number: string | number; last_seq: string | number } | undefined;
  return r ? { number: Number(r.number), lastSeq: Number(r.last_seq) } : null;
}

/**
 * Finds how far the log may age now. The limit is the first event that must stay:
 * the first one written in or after the cutoff year, the first one a hold keeps, and
 * never the head (the next append chains onto it, and the database finds the head
 * among the events).
 */
async function ageingState(db: Db, scope: Pick<RetentionScope, 'cutoff' | 'holds'>, useHolds = true): Promise<AgeingState> {
  const first = await minSeq(db);
  const head = await maxSeq(db);
  if (!first) return { first, anchor: null };
  const limits = [head];
  const notDue = await firstSeqWhere(db, 'at >= ?', [dueBefore(scope.cutoff)]);
  if (notDue !== null) limits.push(notDue);
  if (useHolds) {
    const held = await firstHeldSeq(db, scope.holds);
    if (held !== null) limits.push(held);
  }
  return { first, anchor: await boundaryBelow(db, first, Math.min(...limits)) };
}

/** The segment one transaction removes: whole checkpoint segments, about `batchSize` events, at least one. */
async function nextStep(db: Db, first: number, anchor: Boundary, batchSize: number): Promise<Boundary> {
  const within = await boundaryBelow(db, first, Math.min(anchor.lastSeq, first + batchSize - 1) + 1);
  if (within) return within;
  const r = (await db.withSchema('audit').table('checkpoints').select('number', 'last_seq')
    .where('last_seq', '>=', first).orderBy('last_seq').first()) as { number: string | number; last_seq: string | number };
  return { number: Number(r.number), lastSeq: Number(r.last_seq) };
}

/** What one ageing transaction did. */
export interface AgedSegment {
  firstSeq: number;
  lastSeq: number;
  anchorCheckpoint: number;
  events: number;
}

/**
 * Removes the next segment of due events (whole checkpoint segments, deleted in
 * statements of at most `batchSize` rows) and records `audit.aged` in the same
 * transaction; null when nothing is due. Two nodes at once: the ageing lock makes
 * the second see the first's result.
 */
export async function ageOnce(db: Knex, scope: RetentionScope): Promise<{ segment: AgedSegment | null; done: boolean }> {
  return db.transaction(async (trx) => {
    await lockAgeing(trx);
    const { first, anchor } = await ageingState(trx, scope);
    if (!anchor) return { segment: null, done: true };
    const batch = Math.max(1, scope.batchSize);
    const step = await nextStep(trx, first, anchor, batch);
    let events = 0;
    for (let from = first; from <= step.lastSeq; from += batch) {
      const { rows } = await trx.raw<{ rows: Array<{ n: string | number }> }>('SELECT audit.age_events(?, ?, ?) AS n', [from, Math.min(step.lastSeq, from + batch - 1), step.lastSeq]);
      events += Number(rows[0]!.n);
    }
    const segment: AgedSegment = { firstSeq: first, lastSeq: step.lastSeq, anchorCheckpoint: step.number, events };
    await recordPlainEvents(trx, [{
      action: AUDIT_ACTIONS.auditAged,
      actorId: SYSTEM_ACTOR,
      object: { type: 'audit_checkpoint', id: String(step.number) },
      payload: { first_seq: segment.firstSeq, last_seq: segment.lastSeq, anchor_checkpoint: segment.anchorCheckpoint, events, cutoff_year: scope.cutoff.getUTCFullYear() },
    }]);
    // The record of the gap must be in the chain when the gap commits (verify accepts it only then).
    await chainWithin(trx, { all: true });
    return { segment, done: step.number === anchor.number };
  });
}

/** The `audit_events` handler the audit module hands to the retention job. */
export function auditRetentionHandler(): RetentionHandler {
  return {
    category: 'audit_events',

    async oldest(db) {
      const r = (await db.withSchema('audit').table('events').select('at').orderBy('seq').first()) as { at: Date } | undefined;
      return r?.at ?? null;
    },

    async plan(db, scope) {
      const due: RetentionCounts = { events: 0 };
      const held: RetentionCounts = { events: 0 };
      const { first, anchor } = await ageingState(db, scope);
      if (anchor) due.events = anchor.lastSeq - first + 1;
      if (scope.holds.persons.size || scope.holds.ranges.length) {
        const free = await ageingState(db, scope, false);
        held.events = Math.max(0, (free.anchor?.lastSeq ?? 0) - (anchor?.lastSeq ?? first - 1));
      }
      return { due, held };
    },

    async purgeBatch(db, scope) {
      const { segment, done } = await ageOnce(db, scope);
      return { removed: { events: segment?.events ?? 0 }, done };
    },
  };
}
