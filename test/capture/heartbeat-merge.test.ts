import test from 'ava';
import { heartbeatIngest } from '../../src/capture/ingest.js';
import { readEvents } from '../../src/capture/events.js';
import { mergeHeartbeat, type CaptureEvent } from '../../src/capture/merge.js';
import { captureApp, capturingEmployee } from './helpers.js';

/**
 * The reference: aw-server's heartbeat as upstream documents and implements it
 * (aw-core `transforms/heartbeats.py` heartbeat_merge, aw-server `api.py`
 * ServerAPI.heartbeat, aw-core memory storage), transcribed independently of
 * src/capture/merge.ts. The last event is the one the previous heartbeat wrote
 * (kept in memory), else the latest stored by timestamp; a merge replaces that event.
 */
class ReferenceServer {
  events: Array<{ id: number; timestamp: number; duration: number; data: string }> = [];
  private lastEvent: number | undefined;
  private nextId = 1;

  heartbeat(hb: { timestamp: number; duration: number; data: Record<string, unknown> }, pulsetime: number): void {
    const data = JSON.stringify(sortKeys(hb.data));
    let last = this.lastEvent !== undefined ? this.events.find((e) => e.id === this.lastEvent) : undefined;
    if (!last) last = [...this.events].sort((a, b) => b.timestamp - a.timestamp || b.id - a.id)[0];
    if (last && last.data === data) {
      // heartbeat_merge: within [last.timestamp, last.timestamp + last.duration + pulsetime]
      const pulseperiodEnd = last.timestamp + last.duration * 1000 + pulsetime * 1000;
      if (last.timestamp <= hb.timestamp && hb.timestamp <= pulseperiodEnd) {
        const newDuration = (hb.timestamp - last.timestamp) / 1000 + hb.duration;
        last.duration = Math.max(last.duration, newDuration);
        this.lastEvent = last.id;
        return;
      }
    }
    const e = { id: this.nextId++, timestamp: hb.timestamp, duration: hb.duration, data };
    this.events.push(e);
    this.lastEvent = e.id;
  }
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** A small deterministic generator (mulberry32), so a failing stream can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A watcher's stream with the awkward cases: repeats, duplicates, out-of-order, gaps, key order, durations. */
function stream(seed: number, n: number, t0: number): Array<{ hb: CaptureEvent; pulsetime: number }> {
  const r = rng(seed);
  const windows = [{ app: 'editor', title: 'a.ts' }, { title: 'a.ts', app: 'editor' }, { app: 'browser', title: 'docs' }, { app: 'mail', title: 'inbox', extra: { n: 1 } }];
  const out: Array<{ hb: CaptureEvent; pulsetime: number }> = [];
  let clock = t0;
  let prev: CaptureEvent | undefined;
  for (let i = 0; i < n; i++) {
    const x = r();
    if (prev && x < 0.08) {
      out.push({ hb: { ...prev }, pulsetime: 5 }); // an exact duplicate
      continue;
    }
    clock += x < 0.1 ? 30_000 : Math.round(r() * 3000); // a gap beyond pulsetime now and then
    const start = x > 0.93 ? clock - Math.round(r() * 20_000) : clock; // out of order
    const hb = { start, duration: r() < 0.3 ? Math.round(r() * 4000) / 1000 : 0, data: windows[r() < 0.75 ? (i >> 3) % 4 : Math.floor(r() * 4)]! };
    out.push({ hb, pulsetime: r() < 0.5 ? 5 : 2.5 });
    prev = hb;
  }
  return out;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

test('the merge rule matches the reference on the awkward cases one by one', (t) => {
  const last = { id: 1, start: 0, duration: 10, data: { app: 'a' } };
  t.is(mergeHeartbeat(last, { start: 5, duration: 0, data: { app: 'b' } }, 10), undefined, 'other data');
  t.is(mergeHeartbeat(last, { start: -1, duration: 0, data: { app: 'a' } }, 10), undefined, 'older than the last event');
  t.is(mergeHeartbeat(last, { start: 20_001, duration: 0, data: { app: 'a' } }, 10), undefined, 'after the pulse window');
  t.is(mergeHeartbeat(last, { start: 20_000, duration: 0, data: { app: 'a' } }, 10)?.duration, 20, 'at the edge of the pulse window');
  t.is(mergeHeartbeat(last, { start: 2000, duration: 1, data: { app: 'a' } }, 10)?.duration, 10, 'inside: never shortens');
  t.is(mergeHeartbeat(last, { start: 0, duration: 10, data: { app: 'a' } }, 10)?.duration, 10, 'a duplicate changes nothing');
});

test('one stream through the appliance (HTTP-free ingest, batched and one by one) and through the reference gives the same events', async (t) => {
  const a = await captureApp(t);
  const deps = { db: a.db.knex, keys: a.app.services.keys, audit: a.app.services.audit, config: a.config };
  for (const [seed, concurrent] of [[1, false], [2, true], [3, true]] as const) {
    const { who, aw } = await capturingEmployee(a);
    const bucket = `aw-watcher-window_seed${seed}`;
    await aw.ensureBucket(bucket, 'currentwindow', 'h');
    const hbs = stream(seed, 400, Date.now() - 3 * 3_600_000);
    const ref = new ReferenceServer();
    for (const { hb, pulsetime } of hbs) ref.heartbeat({ timestamp: hb.start, duration: hb.duration, data: hb.data }, pulsetime);

    const ingest = heartbeatIngest(a.db.knex, a.app.services.keys, { maxBatch: 37 });
    const send = ({ hb, pulsetime }: (typeof hbs)[number]) => ingest.heartbeat({ accountId: who.id, bucket, pulsetime, event: { ...hb } });
    if (concurrent) await Promise.all(hbs.map(send)); // arrives at once: many batches of up to 37
    else for (const x of hbs) await send(x);

    const ours = (await readEvents(deps, who.id, bucket, {})).map((e) => [e.start, round(e.duration), JSON.stringify(sortKeys(e.data))]).sort();
    const theirs = ref.events.map((e) => [e.timestamp, round(e.duration), e.data]).sort();
    t.true(theirs.length > 20 && theirs.length < 400, `the stream exercises merging (${theirs.length} events from 400 heartbeats)`);
    t.deepEqual(ours, theirs, `seed ${seed}${concurrent ? ', concurrent' : ''}`);
  }
});

test('two nodes alternating on one bucket give the reference events (each flush reads what the other committed), and a merging flush is three statements', async (t) => {
  const a = await captureApp(t);
  const deps = { db: a.db.knex, keys: a.app.services.keys, audit: a.app.services.audit, config: a.config };
  const { who, aw } = await capturingEmployee(a);
  const bucket = 'aw-watcher-window_two-nodes';
  await aw.ensureBucket(bucket, 'currentwindow', 'h');
  const hbs = stream(4, 200, Date.now() - 3 * 3_600_000);
  const ref = new ReferenceServer();
  for (const { hb, pulsetime } of hbs) ref.heartbeat({ timestamp: hb.start, duration: hb.duration, data: hb.data }, pulsetime);
  // Two ingest paths stand for two nodes: each has its own group commit and id reserve.
  const nodes = [heartbeatIngest(a.db.knex, a.app.services.keys), heartbeatIngest(a.db.knex, a.app.services.keys)];
  for (const [i, { hb, pulsetime }] of hbs.entries()) await nodes[i % 2]!.heartbeat({ accountId: who.id, bucket, pulsetime, event: { ...hb } });
  const ours = (await readEvents(deps, who.id, bucket, {})).map((e) => [e.start, round(e.duration), JSON.stringify(sortKeys(e.data))]).sort();
  t.deepEqual(ours, ref.events.map((e) => [e.timestamp, round(e.duration), e.data]).sort());

  // Steady state: a heartbeat that extends the last event costs BEGIN, three statements, COMMIT.
  const last = hbs.at(-1)!.hb;
  const beat = (i: number) => nodes[0]!.heartbeat({ accountId: who.id, bucket, pulsetime: 5, event: { start: last.start + i * 1000, duration: 0, data: last.data } });
  await beat(1); // this node has then seen the day (its key exists) and the bucket's last event
  const sql: string[] = [];
  const listen = (q: { sql: string }) => sql.push(q.sql);
  a.db.knex.on('query', listen);
  try {
    for (let i = 2; i <= 6; i++) await beat(i);
  } finally {
    a.db.knex.off('query', listen);
  }
  t.is(sql.length, 5 * 5, `five flushes of five statements each: ${sql.map((s) => s.slice(0, 30)).join(' | ')}`);
});

