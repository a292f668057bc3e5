import test from 'ava';
import { insertEvents, bucketRowId } from '../../src/capture/events.js';
import { rawCaptureRetention } from '../../src/capture/forget.js';
import { fixedClock } from '../../src/platform/clock.js';
import { erasePerson } from '../../src/retention/erase.js';
import { addHold } from '../../src/retention/holds.js';
import { runRetention, type RetentionDeps } from '../../src/retention/run.js';
import { testLogger } from '../helpers/log.js';
import { captureApp, capturingEmployee } from './helpers.js';

const BUCKET = 'aw-watcher-window_h';
const DAY = 86_400_000;

test('raw_capture: days past the period go with their keys; a held person keeps theirs; erase removes all of a person', async (t) => {
  const a = await captureApp(t);
  const { keys, audit } = a.app.services;
  const deps = { db: a.db.knex, keys, audit, config: a.config };
  const old = new Date(Date.now() - 40 * DAY);
  const oldDay = old.toISOString().slice(0, 10);
  const today = new Date().toISOString().slice(0, 10);

  const seed = async () => {
    const p = await capturingEmployee(a);
    await p.aw.ensureBucket(BUCKET, 'currentwindow', 'h');
    // Old data as an import would bring it (the agent API refuses events already past the period).
    await a.db.knex.transaction(async (trx) => insertEvents(deps, trx, p.who.id, await bucketRowId(trx, p.who.id, BUCKET), [{ start: old.getTime(), duration: 60, data: { app: 'a', title: 'old' } }]));
    await p.aw.heartbeat(BUCKET, 5, { timestamp: new Date(Date.now() - 1000), duration: 0, data: { app: 'a', title: 'today' } });
    return p;
  };
  const free = await seed();
  const held = await seed();
  await addHold(a.db.knex, audit, 'cli:dpo', { target: { kind: 'person', accountId: held.who.id }, reason: 'claim', endsOn: new Date(Date.now() + DAY).toISOString().slice(0, 10) }, new Date());
  t.is(await a.db.knex('data_keys').where({ subject: `capture:${free.who.id}:${oldDay}` }).count({ n: '*' }).first().then((r) => Number(r!.n)), 1);

  const retention: RetentionDeps = { db: a.db.knex, retention: a.config.retention, handlers: [rawCaptureRetention(keys)], audit, logger: testLogger(t.title), clock: fixedClock(new Date()) };
  const dry = await runRetention(retention, { dryRun: true, startedBy: 'cli:test' });
  t.deepEqual(dry.counts.raw_capture, { days: 1 });
  t.deepEqual(dry.held.raw_capture, { days: 1 });
  const oldest = await rawCaptureRetention(keys).oldest(a.db.knex, { asOf: new Date() });
  t.is(oldest?.toISOString().slice(0, 10), oldDay);

  const run = await runRetention(retention, { startedBy: 'cli:test' });
  t.is(run.status, 'done');
  t.deepEqual(run.counts.raw_capture, { days: 1, events: 1, keys: 1 });
  t.deepEqual((await free.aw.getEvents(BUCKET)).map((e) => e.data.title), ['today']);
  t.deepEqual((await held.aw.getEvents(BUCKET)).map((e) => e.data.title), ['today', 'old'], 'the held person keeps theirs');
  t.is(Number((await a.db.knex('data_keys').where({ subject: `capture:${free.who.id}:${oldDay}` }).count({ n: '*' }).first())!.n), 0, 'the day key is shredded');
  t.is(Number((await a.db.knex('data_keys').where({ subject: `capture:${free.who.id}:${today}` }).count({ n: '*' }).first())!.n), 1, 'today keeps its key');
  t.deepEqual((await runRetention(retention, { startedBy: 'cli:test' })).counts.raw_capture, { days: 0, events: 0, keys: 0 }, 'idempotent');

  // Erasure: everything of the person, keys included.
  await free.who.client.call('PUT', '/api/v1/me/capture/settings', { paused: false, exclusions: [{ field: 'title', pattern: 'x' }] });
  const erased = await erasePerson({ db: a.db.knex, audit, handlers: [rawCaptureRetention(keys)], clock: fixedClock(new Date()) }, { personId: free.who.id, reason: 'request', dryRun: false, actorId: 'cli:dpo' });
  t.like(erased.counts.raw_capture, { days: 1, events: 1, buckets: 1 });
  for (const table of ['capture_events', 'capture_days', 'capture_buckets', 'capture_settings']) {
    t.is(Number((await a.db.knex(table).where({ account_id: free.who.id }).count({ n: '*' }).first())!.n), 0, table);
  }
  t.is(Number((await a.db.knex('data_keys').where('subject', 'like', `capture:${free.who.id}:%`).count({ n: '*' }).first())!.n), 0, 'no capture key of the person is left');
  t.is((await held.aw.getEvents(BUCKET)).length, 2, 'nobody else is touched');
});
