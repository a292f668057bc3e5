import { NotFoundError } from '../platform/errors.js';
import type { Knex } from '../platform/db.js';
import { KeyShreddedError } from '../keys/errors.js';
import type { KeyService } from '../keys/types.js';
import { captureKeyOpts, daySubject, eventRef, utcDay } from './context.js';
import { GroupCommit, type ItemOutcome } from './group-commit.js';
import { canonicalData, mergeHeartbeat, type CaptureEvent } from './merge.js';
import { rulesFor } from './settings.js';

/**
 * The heartbeat path. Every heartbeat goes through one group commit per process:
 * a flush locks the buckets it touches (so two nodes never merge into the same
 * event at once), reads each bucket's last event, applies the ActivityWatch merge
 * rule in arrival order, seals the new events under their day's key and writes
 * everything with a handful of set-based statements. The caller's answer waits for
 * the commit: an acknowledged heartbeat survives `kill -9`.
 */

/** One heartbeat as the route hands it in. */
export interface Heartbeat {
  accountId: string;
  bucket: string;
  pulsetime: number;
  event: CaptureEvent;
}

/** The last event of a bucket as the flush works on it. */
interface Last {
  ev: CaptureEvent;
  canonical: string;
  envelope: string;
  /** Whether the flush must write it: 'new' (insert), 'merged' (update duration), undefined (untouched). */
  write?: 'new' | 'merged';
  day: string;
}

/** Decrypted data of recently seen last events, by event id (reused while the stored envelope is the same). */
const dataCache = new Map<number, { envelope: string; data: Record<string, unknown>; canonical: string }>();

/** Sends heartbeats through the group commit. */
export interface HeartbeatIngest {
  heartbeat(hb: Heartbeat): Promise<CaptureEvent>;
}

/**
 * Builds the heartbeat path on a database and key service. `lanes` group commits run
 * side by side, each person always in the same lane (so one person's heartbeats keep
 * their order and two lanes never touch the same rows); more lanes overlap one
 * flush's round trips with another's, up to what the pool and the disk allow.
 */
export function heartbeatIngest(db: Knex, keys: KeyService, opts: { maxBatch?: number; lanes?: number } = {}): HeartbeatIngest {
  const lanes = Array.from({ length: Math.max(1, opts.lanes ?? 3) }, () => new GroupCommit<Heartbeat, CaptureEvent>((items) => flush(db, keys, items), opts.maxBatch));
  const laneOf = (accountId: string) => lanes[parseInt(accountId.slice(0, 8), 16) % lanes.length]!;
  // Days whose key this process has seen exist. A person's first heartbeat of a day
  // creates the day's key on its own, beside the others, rather than one after the
  // other inside a flush (at the start of a working day every agent needs a new key).
  const warm = new Set<string>();
  const warmUp = async (accountId: string, day: string): Promise<void> => {
    try {
      // The day row first: every day key has one, so retention and erasure find every key.
      await db.raw(`INSERT INTO capture_days (account_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING`, [accountId, day]);
      await keys.encrypt(db, daySubject(accountId, day), eventRef(0), '', captureKeyOpts(Number(day.slice(0, 4))));
    } catch (err) {
      // A deleted day has no key any more (the flush drops its heartbeats); anything
      // else the flush meets again and reports.
      if (!(err instanceof KeyShreddedError)) return;
    }
    if (warm.size > 200_000) warm.clear();
    warm.add(`${accountId}|${day}`);
  };
  // A person's heartbeats reach their lane in the order they came, also while one of
  // them waits for its day key: each waits for the one before it.
  const gates = new Map<string, Promise<void>>();
  return {
    async heartbeat(hb) {
      const day = utcDay(hb.event.start);
      const before = gates.get(hb.accountId);
      if (!before && warm.has(`${hb.accountId}|${day}`)) return laneOf(hb.accountId).submit(hb);
      const ready = (before ?? Promise.resolve()).then(() => (warm.has(`${hb.accountId}|${day}`) ? undefined : warmUp(hb.accountId, day)));
      gates.set(hb.accountId, ready);
      await ready;
      if (gates.get(hb.accountId) === ready) gates.delete(hb.accountId);
      return laneOf(hb.accountId).submit(hb);
    },
  };
}

async function flush(db: Knex, keys: KeyService, items: Heartbeat[]): Promise<Array<ItemOutcome<CaptureEvent>>> {
  return db.transaction(async (trx) => {
    const rules = await rulesFor(trx, keys, items.map((i) => i.accountId));
    const wanted = new Map<string, { accountId: string; name: string }>();
    for (const i of items) wanted.set(`${i.accountId}\u0000${i.bucket}`, { accountId: i.accountId, name: i.bucket });
    const pairs = [...wanted.values()];
    const { rows: buckets } = await trx.raw<{ rows: Array<{ id: string; account_id: string; name: string }> }>(
      `SELECT b.id, b.account_id, b.name FROM capture_buckets b
        JOIN unnest(?::uuid[], ?::text[]) AS w(account_id, name) ON w.account_id = b.account_id AND w.name = b.name
        ORDER BY b.id FOR UPDATE OF b`,
      [pairs.map((p) => p.accountId), pairs.map((p) => p.name)],
    );
    const bucketId = new Map(buckets.map((b) => [`${b.account_id}\u0000${b.name}`, b.id]));
    const lasts = await lastEvents(trx, keys, buckets.map((b) => b.id));
    const forgotten = await forgottenDays(trx, items);

    // Apply the rule in arrival order, in memory.
    const out: Array<ItemOutcome<CaptureEvent>> = [];
    const created: Array<{ last: Last; bucketId: string; accountId: string }> = [];
    const touched = new Set<string>();
    // Stored events that grew; kept apart because a later heartbeat may make a new last event.
    const updated = new Set<Last>();
    for (const i of items) {
      const bid = bucketId.get(`${i.accountId}\u0000${i.bucket}`);
      if (!bid) {
        out.push({ ok: false, error: new NotFoundError("No such bucket") });
        continue;
      }
      // Paused or excluded: answered like any heartbeat, stored nowhere.
      if (rules.get(i.accountId)!.drops(i.event.data) || forgotten.has(`${i.accountId}|${utcDay(i.event.start)}`)) {
        out.push({ ok: true, value: i.event });
        continue;
      }
      const last = lasts.get(bid);
      const merged = last ? mergeHeartbeat(last.ev, i.event, i.pulsetime, last.canonical) : undefined;
      if (last && merged) {
        last.ev = merged;
        last.write ??= 'merged';
        if (last.write === 'merged') updated.add(last);
        out.push({ ok: true, value: merged });
      } else {
        const fresh: Last = { ev: { ...i.event, id: undefined }, canonical: canonicalData(i.event.data), envelope: '', write: 'new', day: utcDay(i.event.start) };
        lasts.set(bid, fresh);
        created.push({ last: fresh, bucketId: bid, accountId: i.accountId });
        out.push({ ok: true, value: fresh.ev });
      }
      touched.add(bid);
    }

    if (created.length) {
      const { rows: ids } = await trx.raw<{ rows: Array<{ id: string }> }>(`SELECT nextval('capture_events_id_seq') AS id FROM generate_series(1, ?)`, [created.length]);
      created.forEach((c, n) => (c.last.ev.id = Number(ids[n]!.id)));
      // One key lookup for all of them (the day keys exist: the first heartbeat of a day made its key).
      const sealed = await keys.encryptMany(trx, created.map((c) => ({ subject: daySubject(c.accountId, c.last.day), ref: eventRef(c.last.ev.id!), plaintext: JSON.stringify(c.last.ev.data), ...captureKeyOpts(Number(c.last.day.slice(0, 4))) })));
      created.forEach((c, n) => (c.last.envelope = sealed[n]!));
      await trx.raw(
        `INSERT INTO capture_events (id, bucket_id, account_id, day, starts_at, duration, data)
         SELECT * FROM unnest(?::bigint[], ?::uuid[], ?::uuid[], ?::date[], ?::timestamptz[], ?::float8[], ?::text[])`,
        [created.map((c) => String(c.last.ev.id)), created.map((c) => c.bucketId), created.map((c) => c.accountId), created.map((c) => c.last.day),
          created.map((c) => new Date(c.last.ev.start).toISOString()), created.map((c) => String(c.last.ev.duration)), created.map((c) => c.last.envelope)],
      );
    }
    // Events created in this flush were inserted with their final duration already.
    const merged = [...updated];
    if (merged.length) {
      await trx.raw(`UPDATE capture_events e SET duration = v.d FROM unnest(?::bigint[], ?::float8[]) AS v(id, d) WHERE e.id = v.id`, [merged.map((l) => String(l.ev.id)), merged.map((l) => String(l.ev.duration))]);
    }
    if (touched.size) {
      const ids = [...touched];
      await trx.raw(`UPDATE capture_buckets b SET last_event_id = v.e, last_updated = now() FROM unnest(?::uuid[], ?::bigint[]) AS v(id, e) WHERE b.id = v.id`, [ids, ids.map((id) => String(lasts.get(id)!.ev.id))]);
    }
    for (const l of lasts.values()) remember(l);
    return out;
  });
}

/**
 * Makes sure a day row exists for every heartbeat's day and returns the days the
 * employee deleted (`account|day`): their keys are shredded, so heartbeats for them
 * are answered and dropped.
 */
async function forgottenDays(trx: Knex.Transaction, items: Heartbeat[]): Promise<Set<string>> {
  const pairs = [...new Set(items.map((i) => `${i.accountId}|${utcDay(i.event.start)}`))].sort().map((k) => k.split('|') as [string, string]);
  const args = [pairs.map((d) => d[0]), pairs.map((d) => d[1])];
  // One statement: the SELECT does not see the rows this INSERT adds, and needs not (new days are not forgotten).
  const { rows } = await trx.raw<{ rows: Array<{ k: string }> }>(
    `WITH d AS (SELECT * FROM unnest(?::uuid[], ?::date[]) AS d(account_id, day)),
          ins AS (INSERT INTO capture_days (account_id, day) SELECT account_id, day FROM d ON CONFLICT DO NOTHING)
     SELECT c.account_id || '|' || to_char(c.day, 'YYYY-MM-DD') AS k FROM capture_days c
       JOIN d ON c.account_id = d.account_id AND c.day = d.day
      WHERE c.forgotten_at IS NOT NULL`, args);
  return new Set(rows.map((r) => r.k));
}

function remember(l: Last): void {
  if (!l.ev.id || !l.envelope) return;
  if (dataCache.size > 100_000) dataCache.clear();
  dataCache.set(l.ev.id, { envelope: l.envelope, data: l.ev.data, canonical: l.canonical });
}

/**
 * Each bucket's last event: the one the last heartbeat wrote (`last_event_id`), or
 * the latest by time when there is none (after plain inserts, a deletion or a
 * retention run) — as upstream, which keeps the last heartbeat in memory.
 */
async function lastEvents(trx: Knex.Transaction, keys: KeyService, bucketIds: string[]): Promise<Map<string, Last>> {
  const out = new Map<string, Last>();
  if (!bucketIds.length) return out;
  const { rows } = await trx.raw<{ rows: Array<{ bucket_id: string; id: string; account_id: string; day: string; starts_at: Date; duration: number; data: string }> }>(
    `SELECT b.id AS bucket_id, l.* FROM capture_buckets b CROSS JOIN LATERAL (
       (SELECT id, account_id, to_char(day, 'YYYY-MM-DD') AS day, starts_at, duration, data FROM capture_events WHERE id = b.last_event_id AND bucket_id = b.id)
       UNION ALL
       (SELECT id, account_id, to_char(day, 'YYYY-MM-DD') AS day, starts_at, duration, data FROM capture_events WHERE bucket_id = b.id ORDER BY starts_at DESC, id DESC LIMIT 1)
       LIMIT 1) l
     WHERE b.id = ANY (?::uuid[])`,
    [bucketIds],
  );
  const misses = rows.filter((r) => dataCache.get(Number(r.id))?.envelope !== r.data);
  const plain = await keys.decryptMany(trx, misses.map((r) => ({ subject: daySubject(r.account_id, r.day), ref: eventRef(r.id), envelope: r.data })));
  misses.forEach((r, n) => {
    const data = JSON.parse(plain[n]!) as Record<string, unknown>;
    dataCache.set(Number(r.id), { envelope: r.data, data, canonical: canonicalData(data) });
  });
  for (const r of rows) {
    const hit = dataCache.get(Number(r.id))!;
    out.set(r.bucket_id, { ev: { id: Number(r.id), start: new Date(r.starts_at).getTime(), duration: Number(r.duration), data: hit.data }, canonical: hit.canonical, envelope: r.data, day: r.day });
  }
  return out;
}
