import test from 'ava';
import { strFromU8, unzipSync } from 'fflate';
import type { ExportDocument } from '../../src/mydata/schema.js';
import { startTestApp } from '../helpers/app.js';
import { buildDay, buildEmployee, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';
import { waitUntil } from '../helpers/wait.js';
import { awClientFor, tokenOf } from '../capture/helpers.js';

type Started = { id: string; download_url: string };

test('the My data zip holds the person’s raw capture as capture/*.json and their correction requests, built by the appliance’s own job', async (t) => {
  const a = await startTestApp(t, {}, { jobs: true });
  const admin = await buildTeamAdmin(a, { team: 'team-c' });
  const owner = await buildEmployee(a, { team: 'team-c' });
  const other = await buildEmployee(a, { team: 'team-c' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-c' });

  const at = new Date(Date.now() - 3_600_000).toISOString();
  for (const [who, title] of [[owner, 'CAPTURE-MARKER-owner'], [other, 'CAPTURE-MARKER-other']] as const) {
    const aw = awClientFor(a, (await tokenOf(who)).token);
    await aw.createBucket('aw-watcher-window_laptop', 'currentwindow', 'laptop');
    await aw.insertEvents('aw-watcher-window_laptop', [{ timestamp: new Date(at), duration: 60, data: { app: 'editor', title } }]);
  }
  const day = await buildDay(owner, { projectId, state: 'approved', admin, date: localDate(2) });
  t.is((await owner.client.json('POST', `/api/v1/me/days/${day.date}/corrections`, { text: 'CORRECTION-MARKER-9' })).status, 201);

  const started = await owner.client.json<Started>('POST', '/api/v1/me/data/exports', {});
  t.is(started.status, 201);
  await waitUntil(async () => (await owner.client.json<{ status: string }>('GET', `/api/v1/me/data/exports/${started.body.id}`)).body.status === 'ready', { timeoutMs: 90_000, intervalMs: 250, what: 'the export job' });
  const res = await owner.client.call('GET', started.body.download_url);
  t.is(res.status, 200);
  const files = Object.fromEntries(Object.entries(unzipSync(new Uint8Array(await res.arrayBuffer()))).map(([k, v]) => [k, strFromU8(v)]));
  const doc = JSON.parse(files['export.json']!) as ExportDocument;

  t.deepEqual(doc.capture?.files.sort(), ['capture/buckets.json', 'capture/settings.json']);
  t.true(files['capture/buckets.json']!.includes('CAPTURE-MARKER-owner'), 'the owner’s raw activity, decrypted');
  t.false(Object.values(files).some((f) => f.includes('CAPTURE-MARKER-other')), 'nobody else’s');
  t.truthy(JSON.parse(files['capture/settings.json']!));
  t.is(doc.sources['public.capture_events.account_id'], 'capture');
  t.true(doc.notes.some((n) => /capture\/\*\.json/.test(n)));

  t.deepEqual(doc.corrections.map((c) => [c.text, c.status]), [['CORRECTION-MARKER-9', 'open']]);
  t.true(files['csv/corrections.csv']!.includes('CORRECTION-MARKER-9'));
});
