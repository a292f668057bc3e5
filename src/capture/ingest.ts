import { NotFoundError } from '../platform/errors.js';
import type { Knex } from '../platform/db.js';
import { KeyShreddedError } from '../keys/errors.js';
import type { KeyService } from '../keys/types.js';
import { captureKeyOpts, daySubject, eventRef, utcDay } from './context.js';
import { GroupCommit, type ItemOutcome } from './group-commit.js';
import { canonicalData, mergeHeartbeat, type CaptureEvent } from './merge.js';
import { compiledRules, type SettingsRow } from './settings.js';

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
  const reserve = new IdReserve();
  const lanes = Array.from({ length: Math.max(1, opts.lanes ?? 3) }, () => new GroupCommit<Heartbeat, CaptureEvent>((items) => flush(db, keys, reserve, items), opts.maxBatch));
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

/** Event ids taken from the sequence ahead of need, so a flush rarely spends a round trip on them. */
class IdReserve {
  private ids: string[] = [];
  async take(trx: Knex.Transaction, n: number): Promise<string[]> {
    if (this.ids.length < n) {
      // Gaps in the sequence (ids reserved by a process that then stops) are harmless.
      const { rows } = await trx.raw<{ rows: Array<{ id: string }> }>(`SELECT nextval('capture_events_id_seq') AS id FROM generate_series(1, ?)`, [Math.max(n, 1024)]);
      this.ids.push(...rows.map((r) => r.id));
    }
    return this.ids.splice(0, n);
  }
}

/** What the flush's first statement returns: the locked buckets, the closed days, the settings. */
interface Locked {
  buckets: Array<{ id: string; account_id: string; name: string }>;
  forgotten: string[];
  settings: SettingsRow[];
}

/**
 * One flush, in one transaction of three statements (plus a key lookup when new events
 * are sealed, and a sequence read every 1,024 new events): lock the buckets (reading
 * the settings and closed days, and adding missing day rows, in the same statement),
 * read their last events (after the lock: a fresh snapshot sees what another node's
 * flush committed meanwhile), then write the new events, the grown ones and the
 * buckets' last events together.
 */
async function flush(db: Knex, keys: KeyService, reserve: IdReserve, items: Heartbeat[]): Promise<Array<ItemOutcome<CaptureEvent>>> {
  return db.transaction(async (trx) => {
    const wanted = new Map<string, { accountId: string; name: string }>();
    for (const i of items) wanted.set(`${i.accountId}\u0000${i.bucket}`, { accountId: i.accountId, name: i.bucket });
    const pairs = [...wanted.values()];
    const days = [...new Set(items.map((i) => `${i.accountId}|${utcDay(i.event.start)}`))].sort().map((k) => k.split('|') as [string, string]);
    const accounts = [...new Set(items.map((i) => i.accountId))];
    // The day rows first (every event needs its day's); a day the employee deleted stays
    // marked, so its heartbeats are dropped. The SELECT does not see the rows the INSERT
    // adds, and needs not: new days are not forgotten.
    const { rows: [locked] } = await trx.raw<{ rows: Locked[] }>(
      `WITH d AS (SELECT * FROM unnest(?::uuid[], ?::date[]) AS d(account_id, day)),
            ins AS (INSERT INTO capture_days (account_id, day) SELECT account_id, day FROM d ON CONFLICT DO NOTHING),
            b AS (SELECT b.id, b.account_id, b.name FROM capture_buckets b
                    JOIN unnest(?::uuid[], ?::text[]) AS w(account_id, name) ON w.account_id = b.account_id AND w.name = b.name
                   ORDER BY b.id FOR UPDATE OF b)
       SELECT (SELECT coalesce(json_agg(b), '[]') FROM b) AS buckets,
              (SELECT coalesce(json_agg(c.account_id || '|' || to_char(c.day, 'YYYY-MM-DD')), '[]') FROM capture_days c
                 JOIN d ON c.account_id = d.account_id AND c.day = d.day WHERE c.forgotten_at IS NOT NULL) AS forgotten,
              (SELECT coalesce(json_agg(s), '[]') FROM (SELECT account_id, paused, version, rules FROM capture_settings WHERE account_id = ANY (?::uuid[])) s) AS settings`,
      [days.map((d) => d[0]), days.map((d) => d[1]), pairs.map((p) => p.accountId), pairs.map((p) => p.name), accounts],
    );
    const rules = await compiledRules(trx, keys, locked!.settings, accounts);
    const forgotten = new Set(locked!.forgotten);
    const bucketId = new Map(locked!.buckets.map((b) => [`${b.account_id}\u0000${b.name}`, b.id]));
    const lasts = await lastEvents(trx, keys, locked!.buckets.map((b) => b.id));

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
    if (!touched.size) return out;

    if (created.length) {
      const ids = await reserve.take(trx, created.length);
      created.forEach((c, n) => (c.last.ev.id = Number(ids[n]!)));
      // One key lookup for all of them (the day keys exist: the first heartbeat of a day made its key).
      const sealed = await keys.encryptMany(trx, created.map((c) => ({ subject: daySubject(c.accountId, c.last.day), ref: eventRef(c.last.ev.id!), plaintext: JSON.stringify(c.last.ev.data), ...captureKeyOpts(Number(c.last.day.slice(0, 4))) })));
      created.forEach((c, n) => (c.last.envelope = sealed[n]!));
    }
    // Events created in this flush are inserted with their final duration already; one
    // statement writes the new events, the grown ones and each bucket's last event.
    const merged = [...updated];
    const bids = [...touched];
    await trx.raw(
      `WITH ins AS (INSERT INTO capture_events (id, bucket_id, account_id, day, starts_at, duration, data)
                    SELECT * FROM unnest(?::bigint[], ?::uuid[], ?::uuid[], ?::date[], ?::timestamptz[], ?::float8[], ?::text[])),
            upd AS (UPDATE capture_events e SET duration = v.d FROM unnest(?::bigint[], ?::float8[]) AS v(id, d) WHERE e.id = v.id)
       UPDATE capture_buckets b SET last_event_id = v.e, last_updated = now() FROM unnest(?::uuid[], ?::bigint[]) AS v(id, e) WHERE b.id = v.id`,
      [created.map((c) => String(c.last.ev.id)), created.map((c) => c.bucketId), created.map((c) => c.accountId), created.map((c) => c.last.day),
        created.map((c) => new Date(c.last.ev.start).toISOString()), created.map((c) => String(c.last.ev.duration)), created.map((c) => c.last.envelope),
        merged.map((l) => String(l.ev.id)), merged.map((l) => String(l.ev.duration)),
        bids, bids.map((id) => String(lasts.get(id)!.ev.id))],
    );
    for (const l of lasts.values()) remember(l);
    return out;
  });
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
