import test from 'ava';
import { captureApp, capturingEmployee, withToken } from './helpers.js';

const DAY = 86_400_000;

test('an aw-server export file imports into my buckets (exclusions applied, events past retention skipped) and my export gives my raw activity back while it exists', async (t) => {
  const a = await captureApp(t);
  const { who, aw, token } = await capturingEmployee(a);
  const other = await capturingEmployee(a);
  await who.client.call('PUT', '/api/v1/me/capture/settings', { paused: false, exclusions: [{ field: 'title', pattern: '*payslip*' }] });

  const now = Date.now();
  // The shape aw-server's /api/0/export writes (ids and extra fields included).
  const file = {
    buckets: {
      'aw-watcher-window_old-laptop': {
        id: 'aw-watcher-window_old-laptop', created: new Date(now - 50 * DAY).toISOString(), name: null, type: 'currentwindow', client: 'aw-watcher-window', hostname: 'old-laptop', data: {},
        events: [
          { id: 7, timestamp: new Date(now - 2 * DAY).toISOString(), duration: 120.5, data: { app: 'editor', title: 'plan.md' } },
          { id: 8, timestamp: new Date(now - DAY).toISOString(), duration: 30, data: { app: 'mail', title: 'Your payslip' } },
          { id: 9, timestamp: new Date(now - 45 * DAY).toISOString(), duration: 30, data: { app: 'editor', title: 'ancient' } },
        ],
      },
      'aw-watcher-afk_old-laptop': {
        id: 'aw-watcher-afk_old-laptop', created: new Date(now - 50 * DAY).toISOString(), type: 'afkstatus', client: 'aw-watcher-afk', hostname: 'old-laptop',
        events: [{ timestamp: new Date(now - DAY).toISOString(), duration: 600, data: { status: 'afk' } }],
      },
    },
  };
  const bad = await who.client.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/me/capture/import', { buckets: { x: { client: 'c', type: 't', hostname: 'h', events: [{ timestamp: 'yesterday' }] } } });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details.map((d) => d.field), ['buckets.x.events.0.timestamp']);
  t.is(await a.db.knex('capture_buckets').count({ n: '*' }).first().then((r) => Number(r!.n)), 0, 'a refused import leaves nothing');
  t.is((await withToken(a, token, 'POST', '/api/v1/me/capture/import', file)).status, 403, 'not for an agent token');

  const imported = await who.client.json('POST', '/api/v1/me/capture/import', file);
  t.is(imported.status, 200, JSON.stringify(imported.body));
  t.deepEqual(imported.body, { buckets: 2, events: 2, skipped: 2 });
  const events = await aw.getEvents('aw-watcher-window_old-laptop');
  t.deepEqual(events.map((e) => [e.data.title, e.duration]), [['plan.md', 120.5]]);

  const exp = await who.client.json<{ buckets: Record<string, { hostname: string; events: Array<{ data: Record<string, unknown> }> }> }>('GET', '/api/v1/me/capture/export');
  t.is(exp.status, 200);
  t.deepEqual(Object.keys(exp.body.buckets).sort(), ['aw-watcher-afk_old-laptop', 'aw-watcher-window_old-laptop']);
  t.is(exp.body.buckets['aw-watcher-window_old-laptop']!.hostname, 'old-laptop');
  t.deepEqual(exp.body.buckets['aw-watcher-afk_old-laptop']!.events.map((e) => e.data), [{ status: 'afk' }]);
  const viaAgent = await withToken(a, token, 'GET', '/api/v1/aw/api/0/export');
  t.deepEqual(viaAgent.body, exp.body, 'the agent API exports the same');
  t.deepEqual((await withToken(a, other.token, 'GET', '/api/v1/aw/api/0/export')).body, { buckets: {} }, 'nobody else’s');

  // Once deleted, it is no longer in the export.
  const from = new Date(now - 3 * DAY).toISOString().slice(0, 10);
  t.is((await who.client.call('POST', '/api/v1/me/capture/delete-period', { from, to: new Date(now).toISOString().slice(0, 10) })).status, 200);
  const after = await who.client.json<{ buckets: Record<string, { events: unknown[] }> }>('GET', '/api/v1/me/capture/export');
  t.deepEqual(Object.values(after.body.buckets).map((b) => b.events.length), [0, 0]);
});
