import { AWClient } from 'aw-client';
import type { ExecutionContext } from 'ava';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildEmployee, type BuiltPerson } from '../helpers/factories.js';

/** A capture test app. */
export async function captureApp(t: ExecutionContext): Promise<TestApp> {
  return startTestApp(t);
}

/** A personal token of `who` with the given scopes (default: capture only). */
export async function tokenOf(who: BuiltPerson, scopes: string[] = ['capture'], name = 'laptop'): Promise<{ id: string; token: string }> {
  const r = await who.client.json<{ id: string; token: string }>('POST', '/api/v1/me/tokens', { name, scopes });
  if (r.status !== 201) throw new Error(`token answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * The stock aw-client pointed at the appliance: its base URL and a default header
 * carrying the token — configuration only, as an agent would be set up.
 */
export function awClientFor(a: TestApp, token: string, name = 'aw-watcher-test'): AWClient {
  const client = new AWClient(name, { baseURL: `${a.url}/api/v1/aw` });
  client.req.defaults.headers.common.Authorization = `Bearer ${token}`;
  return client;
}

/** An employee with a capture token and a client. */
export async function capturingEmployee(a: TestApp, opts: { team?: string } = {}): Promise<{ who: BuiltPerson; token: string; tokenId: string; aw: AWClient }> {
  const who = await buildEmployee(a, opts);
  const { id, token } = await tokenOf(who);
  return { who, token, tokenId: id, aw: awClientFor(a, token) };
}

/** Calls the API with a bearer token only. */
export async function withToken(a: TestApp, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(a.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}
