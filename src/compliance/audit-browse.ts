import type { Knex } from '../platform/db.js';
import { ValidationError } from '../platform/errors.js';
import { complianceProblem } from './problems.js';
import { addDays, startOfDay } from '../timesheets/tz.js';
import type { AuditEventView, EventsPage, EventsQuery } from './schema.js';

/**
 * The audit log as the auditor browses it: filtered by actor, subject, action
 * prefix and time, newest first, paged by `seq` (keyset: `seq < before`, never
 * OFFSET), so page 10,000 costs what page 1 costs. Each filter has an index that
 * yields rows in seq order or narrows to the range (migration 20261203010000), or
 * matches so often that walking the primary key back stops after one page;
 * the EXPLAIN test in test/compliance/view-explain.test.ts holds the plan to it.
 */

/** Default and largest page size. */
export const PAGE_SIZE = 50;

/** Upper bound for an action prefix: '~' sorts after every character an action may hold (C locale). */
const PREFIX_END = '~';

/**
 * A filter bound as an instant: a date is the organisation's day (`from` its first
 * instant, `to` the first instant of the day after, so `to` is inclusive); an ISO
 * time is taken as is (`to` exclusive).
 */
export function boundOf(value: string, edge: 'from' | 'to', timeZone: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return startOfDay(edge === 'to' ? addDays(value, 1) : value, timeZone);
  return new Date(value);
}

/** The time range of a filter, checked (422 naming `query.to` when it ends before it starts). */
export function timeRange(q: Pick<EventsQuery, 'from' | 'to'>, timeZone: string): { from?: Date; to?: Date } {
  const from = q.from ? boundOf(q.from, 'from', timeZone) : undefined;
  const to = q.to ? boundOf(q.to, 'to', timeZone) : undefined;
  if (from && to && to.getTime() <= from.getTime()) throw new ValidationError([complianceProblem('query.to', 'range.to_after_from')]);
  return { from, to };
}

interface EventRow {
  seq: string;
  id: string;
  at: Date;
  actor_id: string;
  subject_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  payload: Record<string, unknown>;
  sealed_personal: boolean;
  prev_hash: string;
  hash: string;
}

/** The page query, without running it (the EXPLAIN test plans exactly this). */
export function eventsPageQuery(db: Knex, q: EventsQuery, timeZone: string): Knex.QueryBuilder {
  const limit = q.limit ?? PAGE_SIZE;
  const { from, to } = timeRange(q, timeZone);
  const query = db('audit.events')
    .select('seq', 'id', 'at', 'actor_id', 'subject_id', 'action', 'object_type', 'object_id', 'payload', 'prev_hash', 'hash', db.raw('personal IS NOT NULL AS sealed_personal'))
    .orderBy('seq', 'desc')
    .limit(limit + 1);
  if (q.actor !== undefined) void query.where('actor_id', q.actor);
  if (q.subject !== undefined) void query.where('subject_id', q.subject);
  if (q.action !== undefined) void query.where('action', '>=', q.action).andWhere('action', '<', q.action + PREFIX_END);
  if (from) void query.where('at', '>=', from);
  if (to) void query.where('at', '<', to);
  if (q.before !== undefined) void query.where('seq', '<', q.before);
  return query;
}

/** The event as the API and page show it (the payload exactly as stored). */
function present(r: EventRow): AuditEventView {
  return {
    seq: Number(r.seq), id: r.id, at: new Date(r.at).toISOString(), actor_id: r.actor_id, subject_id: r.subject_id, action: r.action,
    object_type: r.object_type, object_id: r.object_id, payload: r.payload, sealed_personal: r.sealed_personal, prev_hash: r.prev_hash, hash: r.hash,
  };
}

/** One page of the audit log: at most `limit` events, newest first, and the cursor of the next page (null at the end). */
export async function browseEvents(db: Knex, q: EventsQuery, timeZone: string): Promise<EventsPage> {
  const limit = q.limit ?? PAGE_SIZE;
  const rows = (await eventsPageQuery(db, q, timeZone)) as EventRow[];
  const events = rows.slice(0, limit).map(present);
  return { events, next_before: rows.length > limit ? events[events.length - 1]!.seq : null };
}
