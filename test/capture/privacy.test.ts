import { execFileSync } from 'node:child_process';
import test from 'ava';
import { captureApp, capturingEmployee, withToken } from './helpers.js';

const BUCKET = 'aw-watcher-window_host';
const dump = (url: string) => execFileSync('/usr/bin/pg_dump', [url], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });

test('exclusions apply before anything is stored: an excluded title or app leaves no trace in a pg_dump', async (t) => {
  const a = await captureApp(t);
  const { who, aw, token } = await capturingEmployee(a);
  await aw.ensureBucket(BUCKET, 'currentwindow', 'host');

  const bad = await who.client.json<{ error: { details: Array<{ field: string }> } }>('PUT', '/api/v1/me/capture/settings', { paused: false, exclusions: [{ field: 'window', pattern: '' }] });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details.map((d) => d.field).sort(), ['exclusions.0.field', 'exclusions.0.pattern']);
  const set = await who.client.json('PUT', '/api/v1/me/capture/settings', { paused: false, exclusions: [{ field: 'title', pattern: 'Zwanenburg Kliniek' }, { field: 'app', pattern: 'keepass*' }] });
  t.is(set.status, 200);
  t.deepEqual((await who.client.json('GET', '/api/v1/me/capture/settings')).body, set.body);

  const now = Date.now() - 600_000;
  const at = (s: number) => new Date(now + s * 1000);
  await aw.heartbeat(BUCKET, 5, { timestamp: at(0), duration: 0, data: { app: 'firefox', title: 'Quarterly report draft' } });
  await aw.heartbeat(BUCKET, 5, { timestamp: at(3), duration: 0, data: { app: 'firefox', title: 'Afspraak ZWANENBURG KLINIEK – Firefox' } });
  await aw.heartbeat(BUCKET, 5, { timestamp: at(4), duration: 0, data: { app: 'KeePassXC', title: 'Vault of Hendrikje' } });
  await aw.insertEvents(BUCKET, [{ timestamp: at(10), duration: 2, data: { app: 'firefox', title: 'zwanenburg kliniek uitslag' } }, { timestamp: at(20), duration: 2, data: { app: 'mail', title: 'Lunch' } }]);
  // Also through the import-style array path with an id that does not exist.
  t.is((await withToken(a, token, 'POST', `/api/v1/aw/api/0/buckets/${BUCKET}/events`, [{ timestamp: at(30).toISOString(), duration: 1, data: { app: 'keepass', title: 'Hendrikje' } }])).status, 200);

  // Out-of-range times are refused before they reach the shared flush, naming the field.
  for (const [when, why] of [[new Date(Date.now() - 40 * 86_400_000), 'retention'], [new Date(Date.now() + 3 * 86_400_000), 'future']] as const) {
    const r = await withToken(a, token, 'POST', `/api/v1/aw/api/0/buckets/${BUCKET}/heartbeat?pulsetime=5`, { timestamp: when.toISOString(), duration: 0, data: { app: 'x' } });
    t.is(r.status, 422, why);
    t.deepEqual((r.body as { error: { details: Array<{ field: string }> } }).error.details.map((d) => d.field), ['timestamp'], why);
  }
  const events = await aw.getEvents(BUCKET);
  t.deepEqual(events.map((e) => e.data.title).sort(), ['Lunch', 'Quarterly report draft']);
  const text = dump(a.db.url).toLowerCase();
  for (const s of ['zwanenburg', 'kliniek', 'keepass', 'hendrikje', 'quarterly report']) t.false(text.includes(s), `"${s}" is not in the dump`);
});

test('pause stores nothing; deleting a period removes its events and shreds its day keys, and that day captures no more', async (t) => {
  const a = await captureApp(t);
  const { who, aw } = await capturingEmployee(a);
  await aw.ensureBucket(BUCKET, 'currentwindow', 'host');
  const today = new Date().toISOString().slice(0, 10);
  const earlier = new Date(Date.now() - 2 * 86_400_000);
  const now = () => new Date(Math.max(Date.parse(`${today}T00:00:00Z`), Date.now() - 1000));

  t.is((await who.client.call('PUT', '/api/v1/me/capture/settings', { paused: true, exclusions: [] })).status, 200);
  await aw.heartbeat(BUCKET, 5, { timestamp: now(), duration: 0, data: { app: 'x', title: 'while paused' } });
  t.deepEqual(await aw.getEvents(BUCKET), [], 'paused: acknowledged, stored nowhere');
  t.is((await who.client.call('PUT', '/api/v1/me/capture/settings', { paused: false, exclusions: [] })).status, 200);

  await aw.heartbeat(BUCKET, 5, { timestamp: earlier, duration: 0, data: { app: 'x', title: 'two days ago' } });
  await aw.heartbeat(BUCKET, 5, { timestamp: now(), duration: 0, data: { app: 'x', title: 'today' } });
  t.is((await aw.getEvents(BUCKET)).length, 2);
  const subject = `capture:${who.id}:${today}`;
  t.is(Number((await a.db.knex('data_keys').where({ subject }).count({ n: '*' }).first())!.n), 1, 'today has a key of its own');

  const badPeriod = await who.client.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/me/capture/delete-period', { from: today, to: '2000-01-01' });
  t.is(badPeriod.status, 422);
  t.deepEqual(badPeriod.body.error.details.map((d) => d.field), ['to']);
  const del = await who.client.json<{ days: number; events: number }>('POST', '/api/v1/me/capture/delete-period', { from: today, to: today });
  t.deepEqual(del.body, { days: 1, events: 1 });
  t.deepEqual((await aw.getEvents(BUCKET)).map((e) => e.data.title), ['two days ago']);
  t.is(Number((await a.db.knex('data_keys').where({ subject }).count({ n: '*' }).first())!.n), 0, 'the day key is shredded');
  t.truthy(await a.db.knex('key_tombstones').where({ subject }).first());

  // More of that day is answered and dropped (its key is gone); other days still capture.
  await aw.heartbeat(BUCKET, 5, { timestamp: now(), duration: 0, data: { app: 'x', title: 'today again' } });
  await aw.heartbeat(BUCKET, 5, { timestamp: new Date(earlier.getTime() + 1000), duration: 0, data: { app: 'x', title: 'two days ago' } });
  const left = await aw.getEvents(BUCKET);
  t.deepEqual(left.map((e) => [e.data.title, e.duration]), [['two days ago', 1]]);
  const actions = await a.db.knex('audit.events').where('action', 'like', 'capture.%').orderBy('seq').pluck('action');
  t.deepEqual(actions, ['capture.settings.changed', 'capture.settings.changed', 'capture.period.deleted']);
});
