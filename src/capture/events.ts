import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Knex } from '../platform/db.js';
import { NotFoundError } from '../platform/errors.js';
import { bucketRef, captureKeyOpts, daySubject, eventRef, settingsSubject, utcDay, type CaptureDeps } from './context.js';
import type { CaptureEvent } from './merge.js';
import { rulesFor } from './settings.js';

/**
 * Buckets and events outside the heartbeat path: the ActivityWatch bucket calls and
 * plain event inserts (watchers that batch, imports). Every query is scoped to the
 * caller's own account: another person's bucket is indistinguishable from one that
 * does not exist (404).
 */

/** A bucket's details as ActivityWatch describes them. */
export interface BucketMeta {
  client: string;
  type: string;
  hostname: string;
  data: Record<string, unknown>;
}

/** A bucket as listed. */
export interface Bucket extends BucketMeta {
  id: string;
  created: Date;
  last_updated: Date | null;
}

interface BucketRow {
  id: string;
  name: string;
  meta: string;
  created_at: Date;
  last_updated: Date | null;
}

/** The caller's buckets (all, or the one named), details decrypted. */
export async function listBuckets(deps: CaptureDeps, accountId: string, name?: string): Promise<Bucket[]> {
  const q = deps.db('capture_buckets').where({ account_id: accountId }).orderBy('name');
  if (name !== undefined) q.andWhere({ name });
  const rows = (await q.select('id', 'name', 'meta', 'created_at', 'last_updated')) as BucketRow[];
  const metas = await deps.keys.decryptMany(deps.db, rows.map((r) => ({ subject: settingsSubject(accountId), ref: bucketRef(r.id), envelope: r.meta })));
  return rows.map((r, i) => ({ id: r.name, ...(JSON.parse(metas[i]!) as BucketMeta), created: r.created_at, last_updated: r.last_updated }));
}

/** Creates a bucket; false when the caller already has one by that name (ActivityWatch answers 304). */
export async function createBucket(deps: CaptureDeps, accountId: string, name: string, meta: BucketMeta): Promise<boolean> {
  return deps.db.transaction(async (trx) => {
    const [row] = (await trx('capture_buckets').insert({ account_id: accountId, name, meta: '' }).onConflict(['account_id', 'name']).ignore().returning('id')) as Array<{ id: string }>;
    if (!row) return false;
    const sealed = await deps.keys.encrypt(trx, settingsSubject(accountId), bucketRef(row.id), JSON.stringify(meta), captureKeyOpts(new Date().getUTCFullYear()));
    await trx('capture_buckets').where({ id: row.id }).update({ meta: sealed });
    return true;
  });
}

/** The row id of the caller's bucket by name, or 404. */
export async function bucketRowId(db: Knex | Knex.Transaction, accountId: string, name: string): Promise<string> {
  const row = (await db('capture_buckets').where({ account_id: accountId, name }).first('id')) as { id: string } | undefined;
  if (!row) throw new NotFoundError('No such bucket');
  return row.id;
}

/** Deletes one of the caller's buckets with its events. */
export async function deleteBucket(deps: CaptureDeps, accountId: string, name: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const id = await bucketRowId(trx, accountId, name);
    const n = await trx('capture_events').where({ bucket_id: id }).delete();
    await trx('capture_buckets').where({ id }).delete();
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.captureBucketDeleted, actorId: accountId, subjectId: accountId, object: { type: 'capture_bucket', id }, payload: { events: n } });
  });
}

/** What an events query may narrow by. */
export interface EventQuery {
  start?: Date;
  end?: Date;
  limit?: number;
  id?: number;
}

interface EventRow {
  id: string;
  account_id: string;
  day: string;
  starts_at: Date;
  duration: number;
  data: string;
}

/** The events of one of the caller's buckets, newest first, decrypted in one pass. */
export async function readEvents(deps: CaptureDeps, accountId: string, bucket: string, q: EventQuery): Promise<CaptureEvent[]> {
  const bid = await bucketRowId(deps.db, accountId, bucket);
  const query = deps.db('capture_events').where({ bucket_id: bid, account_id: accountId });
  if (q.id !== undefined) query.andWhere({ id: q.id });
  // As aw-server: events that overlap the window, not only those starting in it.
  if (q.start) query.andWhereRaw(`starts_at + make_interval(secs => duration) >= ?`, [q.start]);
  if (q.end) query.andWhere('starts_at', '<=', q.end);
  const rows = (await query.orderBy([{ column: 'starts_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(q.limit ?? 10_000)
    .select('id', 'account_id', deps.db.raw(`to_char(day, 'YYYY-MM-DD') AS day`), 'starts_at', 'duration', 'data')) as EventRow[];
  return decryptRows(deps, rows);
}

/** Decrypts event rows (any days of one person) into events. */
export async function decryptRows(deps: CaptureDeps, rows: EventRow[]): Promise<CaptureEvent[]> {
  const plain = await deps.keys.decryptMany(deps.db, rows.map((r) => ({ subject: daySubject(r.account_id, r.day), ref: eventRef(r.id), envelope: r.data })));
  return rows.map((r, i) => ({ id: Number(r.id), start: new Date(r.starts_at).getTime(), duration: Number(r.duration), data: JSON.parse(plain[i]!) as Record<string, unknown> }));
}

/**
 * Inserts events into one of the caller's buckets (an event that carries the id of
 * an event of that bucket replaces it, as upstream). Paused capture and exclusions
 * drop events before anything is written. The bucket's heartbeat then continues
 * from its latest event. Returns how many events were stored.
 */
export async function insertEvents(deps: CaptureDeps, trx: Knex.Transaction, accountId: string, bucketId: string, events: CaptureEvent[]): Promise<number> {
  const rules = (await rulesFor(trx, deps.keys, [accountId])).get(accountId)!;
  const days = [...new Set(events.map((e) => utcDay(e.start)))].sort();
  await trx.raw(`INSERT INTO capture_days (account_id, day) SELECT ?::uuid, d FROM unnest(?::date[]) AS d ON CONFLICT DO NOTHING`, [accountId, days]);
  const forgotten = new Set((await trx('capture_days').where({ account_id: accountId }).whereIn('day', days).whereNotNull('forgotten_at').select(trx.raw(`to_char(day, 'YYYY-MM-DD') AS day`))).map((r: { day: string }) => r.day));
  const kept = events.filter((e) => !rules.drops(e.data) && !forgotten.has(utcDay(e.start)));
  if (!kept.length) return 0;
  // An event that names one of this bucket's events replaces it and keeps its id (as upstream).
  const asked = kept.flatMap((e) => (e.id !== undefined ? [e.id] : []));
  const replaced = new Set<number>(asked.length ? ((await trx('capture_events').where({ bucket_id: bucketId }).whereIn('id', asked).delete().returning('id')) as Array<{ id: string }>).map((r) => Number(r.id)) : []);
  const fresh = kept.filter((e) => e.id === undefined || !replaced.has(e.id)).length;
  const { rows: ids } = await trx.raw<{ rows: Array<{ id: string }> }>(`SELECT nextval('capture_events_id_seq') AS id FROM generate_series(1, ?)`, [fresh]);
  let next = 0;
  const rows = kept.map((e) => {
    const id = e.id !== undefined && replaced.has(e.id) ? e.id : Number(ids[next++]!.id);
    return { id, bucket_id: bucketId, account_id: accountId, day: utcDay(e.start), starts_at: new Date(e.start), duration: e.duration, data: JSON.stringify(e.data) };
  });
  const sealed = await deps.keys.encryptMany(trx, rows.map((r) => ({ subject: daySubject(accountId, r.day), ref: eventRef(r.id), plaintext: r.data, ...captureKeyOpts(Number(r.day.slice(0, 4))) })));
  rows.forEach((r, i) => (r.data = sealed[i]!));
  for (let i = 0; i < rows.length; i += 1000) await trx('capture_events').insert(rows.slice(i, i + 1000));
  await trx('capture_buckets').where({ id: bucketId }).update({ last_event_id: null, last_updated: trx.fn.now() });
  return rows.length;
}

/** Deletes one event of one of the caller's buckets; 404 when there is none. */
export async function deleteEvent(deps: CaptureDeps, accountId: string, bucket: string, id: number): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const bid = await bucketRowId(trx, accountId, bucket);
    const n = await trx('capture_events').where({ bucket_id: bid, id }).delete();
    if (!n) throw new NotFoundError('No such event');
    await trx('capture_buckets').where({ id: bid, last_event_id: id }).update({ last_event_id: null });
  });
}

/** How many events a bucket holds in a window. */
export async function countEvents(deps: CaptureDeps, accountId: string, bucket: string, q: EventQuery): Promise<number> {
  const bid = await bucketRowId(deps.db, accountId, bucket);
  const query = deps.db('capture_events').where({ bucket_id: bid });
  if (q.start) query.andWhereRaw(`starts_at + make_interval(secs => duration) >= ?`, [q.start]);
  if (q.end) query.andWhere('starts_at', '<=', q.end);
  const row = (await query.count({ n: '*' }).first()) as { n: string };
  return Number(row.n);
}
