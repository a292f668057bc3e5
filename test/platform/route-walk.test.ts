import { randomUUID } from 'node:crypto';
import test from 'ava';
import { z } from 'zod';
import { startTestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount } from '../helpers/factories.js';

/**
 * Walks every registered route — the JSON API from its OpenAPI document, the pages
 * from the routers mounted on the running Koa app — and holds each to the request
 * pipeline's rules: anonymous → 401 (or a public page / an anonymous route), wrong
 * role → 403/404, unreadable or hostile input → 4xx, never 500. A new route that
 * forgets its auth declaration cannot be added (the registry refuses it) and shows
 * here without `x-auth`; a new page that answers anonymous callers must be listed as
 * public below.
 */

interface Operation {
  operationId: string;
  'x-auth'?: 'anonymous' | 'partial-session' | 'session';
  'x-required-role'?: string[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  parameters?: Array<{ name: string; in: string }>;
}

/** Page routes anyone may reach without a session (each answers 200 or a redirect). */
const PUBLIC_PAGES = new Set(['GET /', 'GET /sign-in', 'POST /sign-in', 'GET /second-factor', 'GET /password-reset', 'POST /password-reset', 'POST /password-reset/complete', 'POST /sign-out']);
/** Page prefixes only some roles reach, and what an employee gets there (404: the console is not revealed). */
const ROLE_GATED_PAGES: Array<[string, number]> = [['/operator', 404], ['/audit/export', 404]];

/** A path with its parameters filled in (a date, a fresh uuid). */
function concrete(path: string): string {
  return path.replace(/\{date\}|:date/g, '2026-01-05').replace(/\{(\w+)\}|:(\w+)/g, () => randomUUID());
}

const A_LONG_STRING = 'x'.repeat(10_000);

test('every route: anonymous → 401, wrong role → 403/404, hostile input → 4xx, never 500', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 30 } }, {
    extendApi: (api) => {
      // The page routers, read off the running app: whatever is mounted gets walked.
      api.add({
        method: 'get', path: '/test-route-table', operationId: 'testRouteTable', summary: 'test only: the mounted routes', auth: 'anonymous',
        response: z.object({ routes: z.array(z.object({ method: z.string(), path: z.string() })) }),
        handler: (ctx) => {
          const routers = (ctx.app.middleware as Array<{ router?: { stack: Array<{ path: string; methods: string[] }> } }>).flatMap((m) => (m.router ? [m.router] : []));
          return { routes: routers.flatMap((r) => r.stack.flatMap((l) => l.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: l.path })))) };
        },
      });
    },
  });
  const doc = (await (await a.request('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, Operation>> };
  const table = (await (await a.request('/api/v1/test-route-table')).json()) as { routes: Array<{ method: string; path: string }> };
  const TOO_BIG = (a.config.server.body_limit_kb + 16) * 1024;
  const pages = table.routes.filter((r) => !r.path.startsWith('/api/') && r.path !== '/healthz' && r.path !== '/readyz');
  t.true(pages.length >= 20, `the page routers were found (${pages.length})`);

  // An employee with a full session, and a personal API token of theirs.
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit);
  const emp = new ApiClient(a.url);
  t.is((await emp.json('POST', '/api/v1/session', { username: u.username, password: u.password, source: 'local' })).status, 200);
  const tokenRes = await emp.json<{ token: string }>('POST', '/api/v1/me/tokens', { name: 'walk', scopes: ['entries:read', 'entries:write'] });
  t.is(tokenRes.status, 201);
  const bearer = { authorization: `Bearer ${tokenRes.body.token}` };
  const sessionHeaders = (): Record<string, string> => ({ cookie: [...emp.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': emp.csrf ?? '' });

  const send = (method: string, path: string, init: { headers?: Record<string, string>; body?: string; type?: string } = {}) =>
    a.request(path, {
      method, redirect: 'manual',
      headers: { ...(init.body !== undefined ? { 'content-type': init.type ?? 'application/json' } : {}), ...init.headers },
      body: init.body,
    });
  const hasBody = (m: string) => ['POST', 'PUT', 'PATCH'].includes(m);

  // --- the JSON API
  let walked = 0;
  for (const [oaPath, ops] of Object.entries(doc.paths)) {
    for (const [lower, op] of Object.entries(ops)) {
      const method = lower.toUpperCase();
      const name = `${method} ${oaPath} (${op.operationId})`;
      t.truthy(op['x-auth'], `${name} declares who may call it`);
      const path = concrete(oaPath);
      walked++;

      // Anonymous, with a body that is wrong in every way: who you are comes first.
      const anon = await send(method, path, hasBody(method) ? { body: JSON.stringify({ not_a_field: 1 }) } : {});
      if (op['x-auth'] === 'anonymous') t.true(anon.status !== 401 && anon.status < 500, `${name}: anonymous is let in (${anon.status})`);
      else t.is(anon.status, 401, `${name}: anonymous`);
      if (hasBody(method) && op['x-auth'] !== 'anonymous') t.is((await send(method, path, { body: 'hello', type: 'text/plain' })).status, 401, `${name}: anonymous, not JSON`);

      if (op['x-auth'] === 'session') {
        // A personal token reaches only the operations that name its scope.
        const viaToken = (op.security ?? []).some((s) => 'token' in s);
        if (!viaToken) t.is((await send(method, path, { headers: bearer, ...(hasBody(method) ? { body: '{}' } : {}) })).status, 403, `${name}: personal token`);
        // A role-gated operation: the employee's role is not enough.
        const roles = op['x-required-role'] ?? [];
        if (roles.length && !roles.includes('employee')) {
          const res = await send(method, path, { headers: sessionHeaders(), ...(hasBody(method) ? { body: '{}' } : {}) });
          t.true(res.status === 403 || res.status === 404, `${name}: wrong role (${res.status})`);
        }
      }

      // Hostile input from a signed-in caller: 4xx, never 500, never the handler.
      const fields = Object.keys(op.requestBody?.content['application/json']?.schema.properties ?? {});
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const inputs: Array<[string, { body?: string; query?: string; type?: string }, number[]]> = [];
      if (hasBody(method)) {
        const fill = (v: string) => JSON.stringify(Object.fromEntries((fields.length ? fields : ['x']).map((f) => [f, v])));
        inputs.push(['malformed JSON', { body: '{"a": ' }, [400]], ['oversized body', { body: JSON.stringify({ x: 'y'.repeat(TOO_BIG) }) }, [413]]);
        inputs.push(['NUL bytes', { body: fill('a\u0000b') }, [422]], ['10,000-character strings', { body: fill(A_LONG_STRING) }, [422]]);
        inputs.push(['a body that is not JSON', { body: 'hello', type: 'text/plain' }, [415]]);
      }
      if (query.length) {
        const q = (v: string) => '?' + query.map((n) => `${n}=${encodeURIComponent(v)}`).join('&');
        // One long parameter: two would pass Node's 16 KB header limit (431) before the app sees them.
        inputs.push(['NUL in the query', { query: q('a\u0000b') }, [422]], ['a 10,000-character query', { query: `?${query[0]}=${A_LONG_STRING}` }, [422]]);
      }
      if (/\{\w+\}/.test(oaPath)) inputs.push(['NUL in the path', { query: '' }, [422]]);
      for (const [what, input, expected] of inputs) {
        const target = what === 'NUL in the path' ? oaPath.replace(/\{\w+\}/g, '%00') : path + (input.query ?? '');
        const res = await send(method, target, { headers: sessionHeaders(), body: input.body ?? (hasBody(method) ? '{}' : undefined), type: input.type });
        const roleGated = (op['x-required-role'] ?? []).length > 0;
        if (roleGated) t.true(res.status >= 400 && res.status < 500, `${name}, ${what}: ${res.status}`);
        else t.true(expected.includes(res.status), `${name}, ${what}: ${res.status}, expected ${expected.join('/')}`);
      }
    }
  }
  t.true(walked >= 40, `the API routes were walked (${walked})`);

  // --- the pages
  for (const { method, path: pattern } of pages) {
    const name = `${method} ${pattern}`;
    const path = concrete(pattern);
    const html = { accept: 'text/html' };
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const anon = await send(method, path, { headers: html, ...(method === 'POST' ? { body: form({ a: 'b' }), type: 'application/x-www-form-urlencoded' } : {}) });
    if (PUBLIC_PAGES.has(name)) {
      t.true(anon.status < 500, `${name}: public (${anon.status})`);
    } else {
      const toSignIn = anon.status >= 300 && anon.status < 400 && /\/sign-in/.test(anon.headers.get('location') ?? '');
      t.true(anon.status === 401 || toSignIn, `${name}: anonymous gets 401 or the sign-in page (${anon.status} ${anon.headers.get('location') ?? ''})`);
    }
    const gated = ROLE_GATED_PAGES.find(([prefix]) => pattern.startsWith(prefix));
    if (gated) {
      const res = await send(method, path, { headers: { ...html, ...sessionHeaders() }, ...(method === 'POST' ? { body: form({ a: 'b' }), type: 'application/x-www-form-urlencoded' } : {}) });
      t.is(res.status, gated[1], `${name}: wrong role`);
    }
    if (method !== 'POST') {
      const res = await send(method, `${path}?q=${encodeURIComponent('a\u0000b')}&week=9999-99-99`, { headers: { ...html, ...sessionHeaders() } });
      t.true(res.status < 500, `${name}: hostile query (${res.status})`);
      continue;
    }
    const cases: Array<[string, { body: string; type?: string }, number[]]> = [
      ['NUL bytes', { body: form({ name: 'a\u0000b', username: 'a\u0000b', note: 'a\u0000b' }), type: 'application/x-www-form-urlencoded' }, [422]],
      ['10,000-character strings', { body: form({ name: A_LONG_STRING, comment: A_LONG_STRING }), type: 'application/x-www-form-urlencoded' }, [422]],
      ['malformed JSON', { body: '{"a": ' }, [400]],
      ['oversized body', { body: form({ x: 'y'.repeat(TOO_BIG) }), type: 'application/x-www-form-urlencoded' }, [413]],
    ];
    for (const [what, input, expected] of cases) {
      const res = await send(method, path, { headers: { ...html, ...sessionHeaders() }, ...input });
      if (gated) t.is(res.status, gated[1], `${name}, ${what}: wrong role comes first`);
      else t.true(expected.includes(res.status), `${name}, ${what}: ${res.status}, expected ${expected.join('/')}`);
    }
  }
  // The session survived the walk (nothing hostile reached a handler that ends it).
  t.is((await emp.json('GET', '/api/v1/me')).status, 200);
});
