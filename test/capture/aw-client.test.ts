import test from 'ava';
import { buildAuditor, buildEmployee, buildOperator, buildTeamAdmin } from '../helpers/factories.js';
import { awClientFor, captureApp, capturingEmployee, tokenOf, withToken } from './helpers.js';

const BUCKET = 'aw-watcher-window_test-host';

test('the stock aw-client creates a bucket, sends heartbeats and reads back merged events', async (t) => {
  const a = await captureApp(t);
  const { aw } = await capturingEmployee(a);

  const info = await aw.getInfo();
  t.is(typeof info.version, 'string');
  t.deepEqual(await aw.ensureBucket(BUCKET, 'currentwindow', 'test-host'), { alreadyExist: false });
  t.deepEqual(await aw.ensureBucket(BUCKET, 'currentwindow', 'test-host'), { alreadyExist: true }, 'an existing bucket answers 304, as aw-server');
  const buckets = await aw.getBuckets();
  t.deepEqual(Object.keys(buckets), [BUCKET]);
  t.is(buckets[BUCKET]!.hostname, 'test-host');
  t.true(buckets[BUCKET]!.created instanceof Date);

  const t0 = Date.now() - 3_600_000;
  const at = (s: number) => new Date(t0 + s * 1000);
  const editor = { app: 'editor', title: 'report.md' };
  // Same data within pulsetime: one event growing; other data: a new event; a gap beyond pulsetime: new event.
  for (const s of [0, 5, 10, 15]) await aw.heartbeat(BUCKET, 10, { timestamp: at(s), duration: 0, data: editor });
  await aw.heartbeat(BUCKET, 10, { timestamp: at(16), duration: 0, data: { app: 'browser', title: 'docs' } });
  await aw.heartbeat(BUCKET, 10, { timestamp: at(20), duration: 0, data: { app: 'browser', title: 'docs' } });
  await aw.heartbeat(BUCKET, 10, { timestamp: at(100), duration: 0, data: { app: 'browser', title: 'docs' } });
  // Duplicate of the last one: no change.
  await aw.heartbeat(BUCKET, 10, { timestamp: at(100), duration: 0, data: { app: 'browser', title: 'docs' } });

  const events = await aw.getEvents(BUCKET);
  t.deepEqual(events.map((e) => [e.timestamp.getTime() - t0, e.duration, e.data.app]), [
    [100_000, 0, 'browser'],
    [16_000, 4, 'browser'],
    [0, 15, 'editor'],
  ]);
  t.is(await aw.countEvents(BUCKET), 3);
  const one = await aw.getEvent(BUCKET, events[2]!.id!);
  t.deepEqual(one.data, editor);
  const windowed = await aw.getEvents(BUCKET, { start: at(17), end: at(50) });
  t.deepEqual(windowed.map((e) => e.data.app), ['browser'], 'events that overlap the window');

  // Plain inserts (batches of events), then delete one event.
  await aw.insertEvents(BUCKET, [{ timestamp: at(200), duration: 30, data: { app: 'terminal', title: 'make' } }, { timestamp: at(300), duration: 5, data: { app: 'terminal', title: 'git' } }]);
  t.is(await aw.countEvents(BUCKET), 5);
  await aw.deleteEvent(BUCKET, events[0]!.id!);
  t.is(await aw.countEvents(BUCKET), 4);

  // The raw activity rests sealed: no title in the table.
  const rows = await a.db.knex('capture_events').select('data');
  t.true(rows.length === 4 && rows.every((r: { data: string }) => !r.data.includes('report.md') && !r.data.includes('editor')));

  await aw.deleteBucket(BUCKET);
  t.deepEqual(await aw.getBuckets(), {});
  t.is(Number((await a.db.knex('capture_events').count({ n: '*' }).first())!.n), 0);
});

test('raw activity is its owner’s alone: another token 404, admin 404, operator and auditor 403, no token without the scope', async (t) => {
  const a = await captureApp(t);
  const owner = await capturingEmployee(a, { team: 'team-a' });
  await owner.aw.ensureBucket(BUCKET, 'currentwindow', 'h');
  await owner.aw.heartbeat(BUCKET, 5, { timestamp: new Date(), duration: 1, data: { app: 'mail', title: 'secret' } });
  const [ev] = await owner.aw.getEvents(BUCKET);
  const paths = [`/api/v1/aw/api/0/buckets/${BUCKET}`, `/api/v1/aw/api/0/buckets/${BUCKET}/events`, `/api/v1/aw/api/0/buckets/${BUCKET}/events/${ev!.id}`, `/api/v1/aw/api/0/buckets/${BUCKET}/events/count`];

  const other = await capturingEmployee(a);
  for (const p of paths) t.is((await withToken(a, other.token, 'GET', p)).status, 404, `another employee's token: ${p}`);
  t.deepEqual(await other.aw.getBuckets(), {}, 'the list shows none of it');
  t.is((await withToken(a, other.token, 'POST', `/api/v1/aw/api/0/buckets/${BUCKET}/heartbeat?pulsetime=5`, { timestamp: new Date().toISOString(), duration: 0, data: { app: 'x' } })).status, 404);
  t.is((await withToken(a, other.token, 'DELETE', `/api/v1/aw/api/0/buckets/${BUCKET}/events/${ev!.id}`)).status, 404);
  t.is((await withToken(a, other.token, 'DELETE', `/api/v1/aw/api/0/buckets/${BUCKET}`)).status, 404);
  // The other's "same" bucket name is their own bucket, unrelated.
  await other.aw.ensureBucket(BUCKET, 'currentwindow', 'h2');
  t.deepEqual(await other.aw.getEvents(BUCKET), []);

  // Even the team admin whose scope holds the owner: raw activity is never submitted, never theirs.
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  for (const p of paths) t.is((await admin.client.call('GET', p)).status, 404, `team admin with the owner in scope: ${p}`);
  t.deepEqual((await admin.client.json('GET', '/api/v1/aw/api/0/buckets')).body, {}, 'and their own list is their own');
  for (const who of [await buildOperator(a), await buildAuditor(a)]) {
    for (const p of paths) t.is((await who.client.call('GET', p)).status, 403, `${who.username}: ${p}`);
    t.is((await who.client.call('GET', '/api/v1/me/capture/settings')).status, 403);
  }
  const entriesOnly = await tokenOf(owner.who, ['entries:read', 'entries:write'], 'script');
  t.is((await withToken(a, entriesOnly.token, 'GET', paths[1]!)).status, 403, 'a token without the capture scope');
  t.is((await withToken(a, owner.token, 'GET', '/api/v1/me/days/2026-01-05')).status, 403, 'a capture token opens nothing else');
  t.is((await withToken(a, owner.token, 'PUT', '/api/v1/me/capture/settings', { paused: false, exclusions: [] })).status, 403, 'an agent cannot change the settings');

  // The owner's session sees it too; revoking the device ends the pairing.
  t.is((await owner.who.client.call('GET', paths[1]!)).status, 200);
  const devices = await owner.who.client.json<{ devices: Array<{ id: string; name: string }> }>('GET', '/api/v1/me/capture/devices');
  t.deepEqual(devices.body.devices.map((d) => d.name), ['laptop']);
  t.is((await owner.who.client.call('DELETE', `/api/v1/me/tokens/${owner.tokenId}`)).status, 204);
  await t.throwsAsync(owner.aw.getBuckets(), { message: /401/ });
  const fresh = awClientFor(a, (await tokenOf(owner.who)).token);
  t.is((await fresh.getEvents(BUCKET)).length, 1, 'a newly paired device sees the same private data');
  // Pairing from the account page: the capture scope is a box to tick; the page lists the device and its scope.
  const form = new URLSearchParams({ _csrf: owner.who.client.csrf!, name: 'desktop', scope_capture: '1', expires_in_days: '30' });
  const made = await fetch(`${a.url}/account/tokens`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: [...owner.who.client.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: form.toString(),
  });
  const shown = /<code id="new-token">(uwt_[^<]+)<\/code>/.exec(await made.text())?.[1];
  t.truthy(shown, 'the new token is shown once');
  t.deepEqual(await awClientFor(a, shown!).getBuckets().then((b) => Object.keys(b)), [BUCKET]);
  const page = await (await owner.who.client.call('GET', '/account', undefined, { accept: 'text/html' })).text();
  t.regex(page, /desktop<\/td><td><code>capture<\/code>/);
  t.regex(page, /name="scope_capture"/);
  const plain = await buildEmployee(a);
  t.is((await plain.client.call('GET', paths[0]!)).status, 404);
});
