import test from 'ava';
import { z } from 'zod';
import { CONTENT_SECURITY_POLICY } from '../../src/platform/http/security-headers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const problemSchema = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), request_id: z.uuid(), details: z.unknown().optional() }),
});

/** A route that exists only in this test, to exercise validation, response parsing and crashes. */
async function appWithProbeRoutes(t: Parameters<typeof startTestApp>[0]): Promise<TestApp> {
  return startTestApp(t, {}, {
    extendApi: (api) => {
      api.add({
        method: 'post', path: '/probe/:id', operationId: 'probe', summary: 'test probe', auth: 'anonymous',
        params: z.object({ id: z.coerce.number().int().positive() }),
        body: z.strictObject({ name: z.string().min(1).max(10), hours: z.number().min(0).max(24) }),
        response: z.object({ id: z.number(), name: z.string() }),
        // The handler returns an undeclared field; the response schema must drop it.
        handler: (_ctx, { params, body }) => ({ id: params.id, name: body.name, secret: 'must-not-leak' }),
      });
      api.add({
        method: 'get', path: '/probe-crash', operationId: 'probeCrash', summary: 'throws', auth: 'anonymous',
        response: z.object({}),
        handler: () => {
          throw new Error('internal detail /srv/secret/path');
        },
      });
    },
  });
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

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

test('readyz answers 503 when a migration is pending', async (t) => {
  const { request, db } = await startTestApp(t);
  const [last] = await db.knex('knex_migrations').orderBy('id', 'desc').limit(1);
  await db.knex('knex_migrations').where('id', last.id).delete();
  const ready = await request('/readyz');
  t.is(ready.status, 503);
  const body = (await ready.json()) as { reason: string; pending: string[] };
  t.is(body.reason, 'migrations_pending');
  t.deepEqual(body.pending, [last.name]);
});

test('malformed JSON gets 400 naming the parse problem', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const res = await request('/api/v1/probe/1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": "x",' });
  t.is(res.status, 400);
  const body = problemSchema.parse(await res.json());
  t.is(body.error.code, 'malformed_json');
  t.regex(body.error.message, /not valid JSON/);
});

test('an oversized body gets 413 and a wrong content type 415', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const big = await request('/api/v1/probe/1', json({ name: 'x'.repeat(300 * 1024), hours: 1 }));
  t.is(big.status, 413);
  t.is(problemSchema.parse(await big.json()).error.code, 'payload_too_large');
  const text = await request('/api/v1/probe/1', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  t.is(text.status, 415);
});

test('invalid fields get 422 naming each field, including unknown ones', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const res = await request('/api/v1/probe/0', json({ name: '', hours: 30, user_id: 'someone-else' }));
  t.is(res.status, 422);
  const body = problemSchema.parse(await res.json());
  t.is(body.error.code, 'validation_failed');
  const fields = (body.error.details as Array<{ field: string }>).map((d) => d.field).sort();
  t.deepEqual(fields, ['hours', 'name', 'path.id', 'user_id']);
  for (const f of ['hours', 'name', 'path.id', 'user_id']) t.true(body.error.message.includes(f));
});

test('a valid call passes and the response carries only declared fields', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const res = await request('/api/v1/probe/7', json({ name: 'Ada', hours: 8 }));
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { id: 7, name: 'Ada' });
});

test('unknown routes get 404 and known paths with a wrong method 405', async (t) => {
  const { request } = await startTestApp(t);
  const missing = await request('/api/v1/no-such-thing');
  t.is(missing.status, 404);
  t.is(problemSchema.parse(await missing.json()).error.code, 'not_found');
  const wrong = await request('/api/v1/', { method: 'DELETE' });
  t.is(wrong.status, 405);
  t.regex(wrong.headers.get('allow') ?? '', /GET/);
  t.is(problemSchema.parse(await wrong.json()).error.code, 'method_not_allowed');
  const page = await request('/no-such-page', { headers: { accept: 'text/html' } });
  t.is(page.status, 404);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
});

test('an unexpected error is a 500 with a request id and no internals', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const res = await request('/api/v1/probe-crash');
  t.is(res.status, 500);
  const text = await res.text();
  t.false(text.includes('/srv/secret/path'));
  t.false(text.includes('at '), 'no stack frames');
  const body = problemSchema.parse(JSON.parse(text));
  t.is(body.error.code, 'internal_error');
  t.is(body.error.request_id, res.headers.get('x-request-id') ?? '');
  t.true(body.error.message.includes(body.error.request_id));
});

test('security headers are on every response, errors included', async (t) => {
  const { request } = await startTestApp(t);
  for (const p of ['/', '/api/v1/', '/api/v1/missing', '/healthz', '/static/app.css']) {
    const res = await request(p);
    t.is(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, p);
    t.is(res.headers.get('x-content-type-options'), 'nosniff', p);
    t.is(res.headers.get('referrer-policy'), 'same-origin', p);
    t.is(res.headers.get('x-frame-options'), 'DENY', p);
    if (p.startsWith('/api/')) t.is(res.headers.get('cache-control'), 'no-store', p);
  }
  t.false(CONTENT_SECURITY_POLICY.includes('unsafe-inline'));
  t.regex(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  t.is((await request('/')).headers.get('strict-transport-security'), null, 'no HSTS without TLS');
});

test('the OpenAPI document describes the declared routes from their schemas', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const res = await request('/api/v1/openapi.json');
  t.is(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: { required?: string[]; properties: Record<string, unknown> } }> }; parameters: Array<{ name: string; in: string }> }>> };
  t.is(doc.openapi, '3.1.0');
  t.is(doc.paths['/api/v1/']?.get?.operationId, 'apiRoot');
  const probe = doc.paths['/api/v1/probe/{id}']?.post;
  t.truthy(probe);
  t.deepEqual(probe!.parameters.map((p) => `${p.in}:${p.name}`), ['path:id']);
  const schema = probe!.requestBody!.content['application/json']!.schema;
  t.deepEqual(Object.keys(schema.properties).sort(), ['hours', 'name']);
  t.deepEqual(schema.required?.sort(), ['hours', 'name']);
});

test('every response carries a request id that also appears in the logs', async (t) => {
  const { request } = await startTestApp(t);
  const a = await request('/healthz');
  const b = await request('/healthz');
  t.regex(a.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  t.not(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
});
