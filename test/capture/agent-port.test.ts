import { AWClient } from 'aw-client';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { parseConfig } from '../../src/platform/config.js';
import { startTestApp } from '../helpers/app.js';
import { testLogFile } from '../helpers/log.js';
import { freePort } from '../helpers/net.js';
import { awClientFor, capturingEmployee } from './helpers.js';

/**
 * capture.agent_port: the agent API on a port of its own, served by a worker thread
 * (src/app/agent-server.ts) on the same database and keys. The stock aw-client works
 * against it with its base URL only; what it stores is the same as through the main
 * port; the port answers nothing but the agent API; it stops with the appliance.
 */

test('the stock aw-client against the agent port: heartbeats merge as on the main port and read back there; only the agent API answers on that port; the thread stops with the server', async (t) => {
  const a = await startTestApp(t, { capture: { agent_port: await freePort() }, log: { level: 'warn' } });
  const agentUrl = a.app.agents?.url;
  if (!agentUrl) return t.fail('no agent server started');
  t.not(new URL(agentUrl).port, new URL(a.url).port);
  const { token, aw: onMain } = await capturingEmployee(a);
  const agent = new AWClient('aw-watcher-test', { baseURL: `${agentUrl}/api/v1/aw` });
  agent.req.defaults.headers.common.Authorization = `Bearer ${token}`;

  await agent.ensureBucket('aw-watcher-window_h', 'currentwindow', 'h');
  const t0 = Date.now() - 3_600_000;
  for (const s of [0, 5, 10]) await agent.heartbeat('aw-watcher-window_h', 10, { timestamp: new Date(t0 + s * 1000), duration: 0, data: { app: 'editor' } });
  await agent.heartbeat('aw-watcher-window_h', 10, { timestamp: new Date(t0 + 60_000), duration: 0, data: { app: 'browser' } });
  const through = (events: Array<{ timestamp: Date; duration?: number; data: Record<string, unknown> }>) => events.map((e) => [e.timestamp.getTime() - t0, e.duration, e.data.app]);
  t.deepEqual(through(await agent.getEvents('aw-watcher-window_h')), [[60_000, 0, 'browser'], [0, 10, 'editor']]);
  t.deepEqual(through(await onMain.getEvents('aw-watcher-window_h')), [[60_000, 0, 'browser'], [0, 10, 'editor']], 'the main port reads what the agent port stored');
  t.deepEqual(Object.keys(await awClientFor(a, token).getBuckets()), ['aw-watcher-window_h']);

  // Nothing but the agent API answers there (any case, as the routes match).
  for (const path of ['/api/v1/me/days/2026-12-01', '/healthz', '/', '/sign-in', '/api/v1/openapi.json']) {
    const res = await fetch(agentUrl + path, { headers: { authorization: `Bearer ${token}` } });
    t.is(res.status, 404, path);
  }
  t.is((await fetch(`${agentUrl}/API/V1/AW/api/0/info`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  t.is((await fetch(`${agentUrl}/api/v1/aw/api/0/buckets`)).status, 401, 'a token is still needed');

  await a.app.stop();
  await t.throwsAsync(fetch(`${agentUrl}/api/v1/aw/api/0/info`), undefined, 'the agent port is closed once the appliance stopped');
});

test('capture.agent_port defaults to off and refuses, by name, a port out of range or one the appliance already uses', (t) => {
  t.is(parseConfig({}, 'test').capture.agent_port, 0);
  for (const bad of [{ capture: { agent_port: 70000 } }, { server: { port: 8123 }, capture: { agent_port: 8123 } }, { database: { embedded: { port: 8124 } }, capture: { agent_port: 8124 } }]) {
    const err = t.throws(() => parseConfig(bad, 'test'));
    t.regex(err!.message, /capture\.agent_port/, JSON.stringify(bad));
  }
  t.is(parseConfig({ database: { url: 'postgres://x@h/db', embedded: { port: 8124 } }, capture: { agent_port: 8124 } }, 'test').capture.agent_port, 8124, 'the embedded port does not matter with an external database');
});

test('a taken agent port fails the start with the reason', async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => busy.close());
  const taken = (busy.address() as AddressInfo).port;
  await t.throwsAsync(startTestApp(t, { capture: { agent_port: taken }, log: { level: 'warn' } }), { message: /agent server did not start: .*EADDRINUSE/ });
});

test('the main port is ready only while the agent thread runs', async (t) => {
  const a = await startTestApp(t, { capture: { agent_port: await freePort() }, log: { level: 'warn' } });
  t.is((await a.request('/readyz')).status, 200);
  await a.app.agents!.stop(5000); // as if the thread had ended
  const res = await a.request('/readyz');
  t.is(res.status, 503);
  t.like(await res.json(), { status: 'not_ready', reason: 'agent_server_down' });
});

test('an emergency stop ends the agent thread too', async (t) => {
  const a = await startTestApp(t, { capture: { agent_port: await freePort() }, log: { level: 'warn' } });
  const agentUrl = a.app.agents!.url;
  t.is((await fetch(`${agentUrl}/api/v1/aw/api/0/info`)).status, 401);
  await a.app.abort('test');
  await t.throwsAsync(fetch(`${agentUrl}/api/v1/aw/api/0/info`));
});

test('an agent thread that ends on its own is replaced: /readyz says so meanwhile, and the port answers again', async (t) => {
  const a = await startTestApp(t, { capture: { agent_port: await freePort() } });
  const agents = a.app.agents!;
  const info = () => fetch(`${agents.url}/api/v1/aw/api/0/info`).then((r) => r.status, () => 'refused');
  t.is(await info(), 401);
  await agents.endThreadForTest();
  t.false(agents.running());
  t.is((await a.request('/readyz')).status, 503);
  t.is(await info(), 'refused', 'nothing serves the port until the replacement listens');
  // The first replacement starts after one second.
  const until = Date.now() + 30_000;
  while (!agents.running() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  t.true(agents.running(), 'a new thread runs');
  t.is(agents.restarts(), 1);
  t.is((await a.request('/readyz')).status, 200);
  t.is(await info(), 401, 'the port answers the agent API again');
  // The thread logs where the main thread does (here the test's log file), with the test's bindings.
  const lines = readFileSync(testLogFile(), 'utf8').split('\n').filter((l) => l.includes(t.title)).map((l) => JSON.parse(l) as { thread?: string; msg: string });
  t.true(lines.some((l) => l.msg === 'a new agent server thread serves capture.agent_port'));
  t.is(lines.filter((l) => l.thread === 'agents' && /agent API listens/.test(l.msg)).length, 2, 'the first thread and its replacement logged their starts into the same file');
  const raw = readFileSync(testLogFile(), 'utf8').split('\n').find((l) => l.includes(t.title) && l.includes('"thread":"agents"'))!;
  t.is(raw.split('"app":').length, 2, 'each key once in a line of the thread');
  await a.app.stop();
  t.false(agents.running());
});

for (const how of ['stop', 'abort'] as const) {
  test(`${how === 'abort' ? 'an' : 'a'} ${how} while a replacement is due or starting ends it: no thread runs afterwards`, async (t) => {
    const a = await startTestApp(t, { capture: { agent_port: await freePort() } });
    const agents = a.app.agents!;
    const info = () => fetch(`${agents.url}/api/v1/aw/api/0/info`).then((r) => r.status, () => 'refused');
    await agents.endThreadForTest();
    // stop: while the replacement waits for its second; abort: about when it starts.
    if (how === 'abort') await new Promise((r) => setTimeout(r, 1_100));
    await (how === 'stop' ? a.app.stop() : a.app.abort('test'));
    await new Promise((r) => setTimeout(r, 2_500));
    t.false(agents.running());
    // A stop comes before the replacement's second; an abort may come just after it started.
    if (how === 'stop') t.is(agents.restarts(), 0);
    t.is(await info(), 'refused');
  });
}
