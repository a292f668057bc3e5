import test from 'ava';
import { z } from 'zod';
import { startTestApp } from '../helpers/app.js';

const problemSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), request_id: z.string(), details: z.unknown().optional() }) });

test('healthz and readyz answer 200 on a migrated database', async (t) => {
  const { request } = await startTestApp(t);
  const health = await request('/healthz');
  t.is(health.status, 200);
  t.deepEqual(await health.json(), { status: 'ok' });
  const ready = await request('/readyz');
  t.is(ready.status, 200);
  t.deepEqual(await ready.json(), { status: 'ready' });
  t.is(ready.headers.get('cache-control'), 'no-store');
});
