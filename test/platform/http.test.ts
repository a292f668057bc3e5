import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { z } from 'zod';
import { DecryptError } from '../../src/keys/errors.js';
import type { Knex } from '../../src/platform/db.js';
import { AppError, ServiceUnavailableError } from '../../src/platform/errors.js';
import { ApiRegistry, type ApiRoute } from '../../src/platform/http/api.js';
import { createHttpApp } from '../../src/platform/http/app.js';
import { parseConfig } from '../../src/platform/config.js';
import { pino } from 'pino';
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

test('malformed JSON gets 400 naming the problem, never echoing the input or the parser', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const res = await request('/api/v1/probe/1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": "secret-input-marker",' });
  t.is(res.status, 400);
  const text = await res.text();
  const body = problemSchema.parse(JSON.parse(text));
  t.is(body.error.code, 'malformed_json');
  t.regex(body.error.message, /not valid JSON/);
  t.false(text.includes('secret-input-marker'));
  t.false(/position|Unexpected|token/i.test(body.error.message), 'no parser message');
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

test('routes are matched within their first path segment: 405 there, the router\'s case-insensitivity and trailing slash kept', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const wrong = await request('/api/v1/probe/7');
  t.is(wrong.status, 405);
  t.regex(wrong.headers.get('allow') ?? '', /POST/);
  t.is((await request('/API/V1/Probe/7', json({ name: 'Ada', hours: 1 }))).status, 200);
  t.is((await request('/api/v1/probe/7/', json({ name: 'Ada', hours: 1 }))).status, 200);
  t.is((await request('/api/v1/openapi.json', { method: 'POST' })).status, 405);
  t.is((await request('/api/v1x/probe/7', json({ name: 'Ada', hours: 1 }))).status, 404);
  t.is((await request('/api/v1probe/7', json({ name: 'Ada', hours: 1 }))).status, 404);
});

test('an API route whose first path segment is a parameter is refused when the app is built', (t) => {
  const config = parseConfig({}, 'test');
  const build = () => createHttpApp({
    config, db: {} as Knex, logger: pino({ level: 'silent' }), version: 'test', errorPage: () => '', language: () => 'en',
    extendApi: (api) => api.add({ method: 'get', path: '/:anything', operationId: 'anything', summary: 'x', auth: 'anonymous', response: z.object({}), handler: () => ({}) }),
  });
  t.throws(build, { message: /first path segment must be literal/ });
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

test('the OpenAPI document states who may call each operation', async (t) => {
  const { request } = await startTestApp(t);
  type Op = { security?: unknown[]; 'x-auth'?: string; 'x-required-role'?: string[] };
  const doc = (await (await request('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, Op>>; components: { securitySchemes: Record<string, unknown> } };
  t.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['session', 'token']);
  const signIn = doc.paths['/api/v1/session']!.post!;
  t.deepEqual(signIn.security, [], 'sign-in is anonymous');
  t.is(signIn['x-auth'], 'anonymous');
  t.is(doc.paths['/api/v1/session/second-factor']!.post!['x-auth'], 'partial-session');
  const entry = doc.paths['/api/v1/me/entries']!.post!;
  t.deepEqual(entry.security, [{ session: [] }, { token: ['entries:write'] }], 'a personal token with entries:write may record entries');
  t.deepEqual(doc.paths['/api/v1/me/password']!.post!.security, [{ session: [] }], 'no token changes a password');
  t.deepEqual(doc.paths['/api/v1/accounts/{id}/sessions/revoke']!.post!['x-required-role'], ['operator']);
  t.deepEqual(doc.paths['/api/v1/customers']!.post!['x-required-role'], ['operator', 'team_admin']);
  t.truthy((doc.paths['/api/v1/customers']!.post! as { responses: Record<string, unknown> }).responses['401'], 'the 401 is documented');
  t.falsy((signIn as { responses: Record<string, unknown> }).responses['401'], 'no 401 on an anonymous operation');
  for (const [p, ops] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(ops)) t.truthy(op['x-auth'], `${m} ${p}`);
});

test('every response carries a request id that also appears in the logs', async (t) => {
  const { request } = await startTestApp(t);
  const a = await request('/healthz');
  const b = await request('/healthz');
  t.regex(a.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  t.not(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
});

/** The lines the test logger wrote in this worker (see test/helpers/log.ts). */
function loggedLines(): string[] {
  const dir = process.env.UURWERK_TEST_LOG_DIR ?? path.join(process.cwd(), '.test-tmp', 'logs');
  const file = path.join(dir, `${path.basename(process.argv[1] ?? 'worker')}-${process.pid}.log`);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

test('the access log names the route pattern, not what the client put in the path (a bucket named after a laptop)', async (t) => {
  const a = await appWithProbeRoutes(t);
  const res = await a.request('/api/v1/probe/4242', json({ name: 'x', hours: 1 }));
  t.is(res.status, 200);
  const line = loggedLines().map((l) => JSON.parse(l) as { msg?: string; requestId?: string; path?: string }).find((l) => l.msg === 'request' && l.requestId === res.headers.get('x-request-id'));
  t.is(line?.path, '/api/v1/probe/:id');
  const missing = await a.request('/api/v1/no-such-route/jans-laptop');
  const other = loggedLines().map((l) => JSON.parse(l) as { msg?: string; requestId?: string; path?: string }).find((l) => l.msg === 'request' && l.requestId === missing.headers.get('x-request-id'));
  t.is(other?.path, '/api/v1/no-such-route/jans-laptop', 'no route matched: the path itself, as before');
});

test('5xx answers carry a generic message and the request id; the log line with that id has the real error', async (t) => {
  const holder: { knex?: Knex } = {};
  const crash = (path: string, fn: () => Promise<unknown>): ApiRoute => ({
    method: 'get', path, operationId: path.replace(/\W/g, '_'), summary: 'throws', auth: 'anonymous', response: z.object({}), handler: fn,
  });
  const a = await startTestApp(t, {}, {
    extendApi: (api) => {
      api.add(crash('/probe-sql', () => holder.knex!.raw('select secret_column from secret_table_name')));
      api.add(crash('/probe-row', () => holder.knex!.transaction(async (trx) => {
        await trx.raw("create temp table probe_rows (v text check (v <> 'personal-row-marker'))");
        await trx.raw('insert into probe_rows values (?)', ['personal-row-marker']);
      })));
      api.add(crash('/probe-decrypt', () => Promise.reject(new DecryptError('Value does not decrypt: timesheet_entries.note /srv/keys/kek-3'))));
      api.add(crash('/probe-503-internal', () => Promise.reject(new AppError(503, 'pool_exhausted', 'pg pool at 127.0.0.1:5433 exhausted'))));
      api.add(crash('/probe-503-exposed', () => Promise.reject(new ServiceUnavailableError('The directory cannot be reached; try again later', 'directory_unavailable'))));
    },
  });
  holder.knex = a.db.knex;
  for (const [p, secret] of [['/probe-sql', /secret_table_name|secret_column|select/], ['/probe-decrypt', /decrypt|kek|srv|timesheet_entries/i]] as const) {
    const res = await a.request(`/api/v1${p}`);
    t.is(res.status, 500, p);
    const text = await res.text();
    t.notRegex(text, secret, `${p}: no internals in the answer`);
    const body = problemSchema.parse(JSON.parse(text));
    t.is(body.error.code, 'internal_error');
    const id = res.headers.get('x-request-id') ?? '';
    t.is(body.error.request_id, id);
    t.true(body.error.message.includes(id), 'the message names the request id to quote');
    const line = loggedLines().find((l) => l.includes(id) && /"level":50/.test(l));
    t.truthy(line, `${p}: an error line with the request id`);
    t.regex(line!, secret, `${p}: the log has the real error`);
  }
  // A PostgreSQL error whose detail quotes the row: the log names the constraint, never the value.
  const row = await a.request('/api/v1/probe-row');
  t.is(row.status, 500);
  t.false((await row.text()).includes('personal-row-marker'));
  const rowLine = loggedLines().find((l) => l.includes(row.headers.get('x-request-id') ?? '-') && /"level":50/.test(l));
  t.regex(rowLine ?? '', /probe_rows_v_check/, 'the log names the failing constraint');
  t.false((rowLine ?? '').includes('personal-row-marker'), 'the row values in the error detail stay out of the log');
  const internal = await a.request('/api/v1/probe-503-internal');
  t.is(internal.status, 503);
  const internalText = await internal.text();
  t.false(internalText.includes('127.0.0.1'), 'an unexposed 503 keeps its status, not its message');
  const exposed = await a.request('/api/v1/probe-503-exposed');
  t.is(exposed.status, 503);
  t.regex(problemSchema.parse(await exposed.json()).error.message, /try again later/, 'a deliberately exposed 503 keeps its message');
});

test('who you are before what you sent: anonymous calls with bad, malformed or oversized bodies get 401', async (t) => {
  const { request } = await startTestApp(t);
  const post = (body: string) => request('/api/v1/me/entries', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  for (const [what, body] of [['invalid fields', JSON.stringify({ user_id: 'x', start: 'no' })], ['malformed JSON', '{"start":'], ['oversized', JSON.stringify({ note: 'x'.repeat(300 * 1024) })], ['NUL byte', JSON.stringify({ note: 'a\u0000b' })]]) {
    const res = await post(body!);
    t.is(res.status, 401, what);
    const err = problemSchema.parse(await res.json()).error;
    t.is(err.code, 'unauthenticated', what);
    t.is(err.details, undefined, `${what}: no field details before authentication`);
  }
});

test('NUL bytes and over-long strings get 422 naming the field, also on the anonymous sign-in and reset routes', async (t) => {
  const { request } = await appWithProbeRoutes(t);
  const cases: Array<[string, unknown, string]> = [
    ['/api/v1/session', { username: 'ad\u0000min', password: 'x', source: 'local' }, 'username'],
    ['/api/v1/session', { username: 'admin', password: 'p'.repeat(10_000), source: 'local' }, 'password'],
    ['/api/v1/password-reset', { username: 'x\u0000' }, 'username'],
    ['/api/v1/password-reset/complete', { token: 't'.repeat(30), new_password: 'a\u0000b' }, 'new_password'],
    ['/api/v1/probe/1', { name: 'x', hours: 1, nested: { deep: ['ok', 'n\u0000'] } }, 'nested.deep.1'],
  ];
  for (const [p, body, field] of cases) {
    const res = await request(p, json(body));
    t.is(res.status, 422, `${p} ${field}`);
    const err = problemSchema.parse(await res.json()).error;
    t.deepEqual((err.details as Array<{ field: string }>).map((d) => d.field), [field], p);
    t.false(err.message.includes('\u0000'));
  }
  const query = await request('/api/v1/?x=%00');
  t.is(query.status, 422, 'a NUL byte in the query string');
  t.deepEqual((problemSchema.parse(await query.json()).error.details as Array<{ field: string }>).map((d) => d.field), ['query.x']);
});

test('a route that forgets its auth declaration is refused when it is added', (t) => {
  const api = new ApiRegistry();
  const route = { method: 'get', path: '/x', operationId: 'x', summary: 'x', response: z.object({}), handler: () => ({}) };
  t.throws(() => api.add(route as unknown as ApiRoute), { message: /declares no valid auth/ });
  t.throws(() => api.add({ ...route, auth: { session: 'yes' } } as unknown as ApiRoute), { message: /declares no valid auth/ });
});
