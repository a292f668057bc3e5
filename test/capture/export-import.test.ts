import test from 'ava';
import { buildProject } from '../helpers/factories.js';
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

test('my day of activity: timeline, AFK gaps as breaks, suggestions by app — none of it counted as time', async (t) => {
  const a = await captureApp(t);
  const { who, aw } = await capturingEmployee(a);
  await aw.ensureBucket('aw-watcher-window_h', 'currentwindow', 'h');
  await aw.ensureBucket('aw-watcher-afk_h', 'afkstatus', 'h');
  // Yesterday 08:00 UTC: the whole fixture lies in one UTC day, whenever the test runs.
  const date = new Date(Date.now() - DAY).toISOString().slice(0, 10);
  const base = Date.parse(`${date}T08:00:00Z`);
  const at = (min: number) => new Date(base + min * 60_000);
  await aw.insertEvents('aw-watcher-window_h', [
    { timestamp: at(0), duration: 600, data: { app: 'editor', title: 'plan.md' } },
    { timestamp: at(10), duration: 300, data: { app: 'browser', title: 'docs', url: 'https://intranet/docs' } },
    { timestamp: at(15), duration: 600, data: { app: 'editor', title: 'plan.md' } },
    { timestamp: at(60), duration: 120, data: { app: 'editor', title: 'notes.md' } },
  ]);
  await aw.insertEvents('aw-watcher-afk_h', [{ timestamp: at(25), duration: 2100, data: { status: 'afk' } }, { timestamp: at(0), duration: 1500, data: { status: 'not-afk' } }]);

  t.is((await who.client.call('GET', '/api/v1/me/capture/days/2026-02-30')).status, 422);
  const day = await who.client.json<{ timeline: unknown[]; breaks: Array<{ start: string; end: string }>; suggestions: Array<{ app: string; seconds: number; blocks: unknown[] }> }>('GET', `/api/v1/me/capture/days/${date}`);
  t.is(day.status, 200);
  t.is(day.body.timeline.length, 4);
  t.deepEqual(day.body.breaks, [{ start: at(25).toISOString(), end: at(60).toISOString() }]);
  t.deepEqual(day.body.suggestions.map((s) => [s.app, s.seconds, s.blocks.length]), [['editor', 1320, 2], ['browser', 300, 1]]);
  t.is(Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n), 0, 'no entry was made');

  // One action turns a suggestion into entries: one per block of that app.
  const { projectId, taskId } = await buildProject(a);
  const accept = (body: unknown) => who.client.json<{ entries?: number; error?: { details?: Array<{ field: string }> } }>('POST', `/api/v1/me/capture/days/${date}/accept`, body);
  t.deepEqual((await accept({ app: 'editor' })).body.error?.details?.map((d) => d.field), ['project_id']);
  t.is((await accept({ app: 'spreadsheet', project_id: projectId })).status, 404);
  const done = await accept({ app: 'editor', project_id: projectId, task_id: taskId });
  t.is(done.status, 201, JSON.stringify(done.body));
  t.is(done.body.entries, 2);
  t.is(Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n), 2);
  const other = await capturingEmployee(a);
  t.deepEqual((await other.who.client.json<{ timeline: unknown[] }>('GET', `/api/v1/me/capture/days/${date}`)).body.timeline, [], 'nobody else sees it');
});
