import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { openCoreServices } from '../../src/app/services.js';
import { createApiToken } from '../../src/identity/api-tokens.js';
import { parseConfig } from '../../src/platform/config.js';
import { spawnServe, waitForServe } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { buildLocalAccount } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';
import { freePort } from '../helpers/net.js';

/**
 * An acknowledged heartbeat is committed: a real `uurwerk serve` takes heartbeats
 * from many agents at once and is killed with SIGKILL mid-stream; every answer an
 * agent got is then found in the database (the event, at least as long as it was
 * acknowledged).
 */
test('nothing acknowledged is lost when the server is killed with kill -9 under load', async (t) => {
  const db = await useTestDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-capture-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `data_dir: ${dir}/data\nserver:\n  port: ${port}\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  const serve = spawnServe(file);
  t.teardown(() => { if (serve.child.exitCode === null) serve.child.kill('SIGKILL'); });
  const base = `http://127.0.0.1:${port}`;
  await waitForServe(serve, `${base}/readyz`, 60_000);

  // The keyring exists now; the test opens the same one to make a person and a token.
  const config = parseConfig({ data_dir: `${dir}/data`, database: { url: db.url } }, 'test');
  const services = await openCoreServices(config, db.knex, testLogger(t.title));
  const agents = 40;
  const tokens: string[] = [];
  for (let i = 0; i < 4; i++) {
    const person = await buildLocalAccount(db.knex, services.audit, { roles: ['employee'] });
    tokens.push((await createApiToken(db.knex, services.audit, person.id, { name: 'agent', scopes: ['capture'], expiresInDays: 1 })).token);
  }
  const call = (token: string, method: string, p: string, body: unknown) =>
    fetch(`${base}/api/v1/aw/api/0${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (let a = 0; a < agents; a++) t.is((await call(tokens[a % 4]!, 'POST', `/buckets/b${a}`, { client: 'test', type: 'currentwindow', hostname: 'h' })).status, 200);

  const acked: Array<{ id: number; duration: number; start: string }> = [];
  const refused: string[] = [];
  let stop = false;
  const start = Date.now() - 60_000;
  const agent = async (a: number) => {
    for (let i = 0; !stop; i++) {
      const data = { app: 'editor', title: `file ${Math.floor(i / 7)}` };
      try {
        const res = await call(tokens[a % 4]!, 'POST', `/buckets/b${a}/heartbeat?pulsetime=2`, { timestamp: new Date(start + i * 1000).toISOString(), duration: 0, data });
        if (res.status === 503) { // refused under load (issue 11): an agent sends it again later
          await res.arrayBuffer();
          i--;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        if (res.status !== 200) {
          refused.push(`${res.status} ${await res.text()}`);
          return;
        }
        const ev = (await res.json()) as { id: number; duration: number; timestamp: string };
        acked.push({ id: ev.id, duration: ev.duration, start: ev.timestamp });
      } catch {
        return; // the server is gone
      }
    }
  };
  const running = Array.from({ length: agents }, (_, a) => agent(a));
  // Kill mid-stream: once a few hundred heartbeats are acknowledged (not after a fixed time,
  // which on a loaded machine could end before the first answer), while every agent still sends.
  const deadline = Date.now() + 50_000; // within AVA's 120 s per test, start included, so a slow run still reports its counts
  while (acked.length < 300 && refused.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  serve.child.kill('SIGKILL');
  await serve.exited;
  stop = true;
  await Promise.all(running);

  t.deepEqual(refused, [], 'no heartbeat was refused before the kill');
  t.true(acked.length >= 300, `heartbeats were acknowledged before the kill (${acked.length})`);
  const rows = (await db.knex('capture_events').whereIn('id', [...new Set(acked.map((a) => a.id))]).select('id', 'duration', 'starts_at')) as Array<{ id: string; duration: number; starts_at: Date }>;
  const stored = new Map(rows.map((r) => [Number(r.id), r]));
  const lost = acked.filter((a) => {
    const r = stored.get(a.id);
    return !r || r.duration + 1e-9 < a.duration || new Date(r.starts_at).toISOString() !== a.start;
  });
  t.deepEqual(lost, [], 'every acknowledged heartbeat is in the database');
});
