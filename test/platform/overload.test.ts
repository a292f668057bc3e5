import test from 'ava';
import { z } from 'zod';
import type { Knex } from '../../src/platform/db.js';
import { fromOverloadError } from '../../src/platform/errors.js';
import { startTestApp } from '../helpers/app.js';

test('a saturated pool refuses the next request quickly with 503 and Retry-After', async (t) => {
  const holder: { db?: Knex } = {};
  const app = await startTestApp(t, { database: { pool_max: 2, acquire_timeout_ms: 300 } }, {
    extendApi: (api) => {
      api.add({
        method: 'get', path: '/probe-db', operationId: 'probeDb', summary: 'one query', auth: 'anonymous',
        response: z.object({ one: z.number() }),
        handler: async () => {
          const r = await holder.db!.raw<{ rows: Array<{ one: number }> }>('SELECT 1 AS one');
          return { one: r.rows[0]!.one };
        },
      });
    },
  });
  holder.db = app.app.db;
  t.is((await app.request('/api/v1/probe-db')).status, 200, 'answers while the pool is free');

  // Both connections of the pool stay busy for 3 s (a knex query runs once awaited: .then starts it).
  const sleep = () => app.app.db.raw('SELECT pg_sleep(3)').then(() => undefined);
  const busy = [sleep(), sleep()];
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  const res = await app.request('/api/v1/probe-db');
  const took = Date.now() - started;
  t.is(res.status, 503);
  t.is(res.headers.get('retry-after'), '2');
  const body = (await res.json()) as { error: { code: string; message: string } };
  t.is(body.error.code, 'overloaded');
  t.regex(body.error.message, /busy/);
  t.true(took < 2000, `refused after ${took} ms, not queued`);
  await Promise.all(busy);
  t.is((await app.request('/api/v1/probe-db')).status, 200, 'answers again once the pool is free');
});

test('a statement timeout (57014) maps to 503 with Retry-After; other errors are not overload', (t) => {
  const timeout = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
  const mapped = fromOverloadError(timeout);
  t.is(mapped?.status, 503);
  t.is(mapped?.headers?.['Retry-After'], '2');
  const queryTimeout = Object.assign(new Error('Defined query timeout of 10ms exceeded when running query.'), { name: 'KnexTimeoutError' });
  t.is(fromOverloadError(queryTimeout)?.status, undefined, 'only the pool acquire timeout is overload');
  t.is(fromOverloadError(new Error('boom')), undefined);
  t.is(fromOverloadError('x'), undefined);
});
