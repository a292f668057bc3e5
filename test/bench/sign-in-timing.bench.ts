/**
 * Prints how long sign-in and password-reset requests take for names that exist and
 * names that do not, side by side, through the real HTTP server. The two columns
 * should be close: the appliance does the same expensive work on every path (one
 * bcrypt verify per local sign-in, one bind per directory sign-in; the reset answers
 * before any existence-dependent work). Asserts nothing (the charter forbids timing
 * tests). Directory sign-in needs Samba and is measured by hand against a real DC.
 * Run: `node --import=tsx test/bench/sign-in-timing.bench.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startAppliance } from '../../src/app/appliance.js';
import { parseConfig } from '../../src/platform/config.js';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { buildLocalAccount } from '../helpers/factories.js';
import { freePort } from '../helpers/net.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-bench-'));
const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), logger, database: 'bench' });
// Generous throttle limits: the benchmark repeats failures on purpose.
const config = parseConfig({
  data_dir: dir, server: { port: 0 }, database: { url: pg.url }, log: { level: 'silent' },
  auth: { account_max_failures: 100, address_max_failures: 10_000 },
}, 'bench');
const app = await startAppliance(config, logger, { jobs: false });

/** Median times of `a` and `b`, run alternately so machine load falls on both alike. */
async function medians(n: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of [[0, a], [1, b]] as const) {
      const started = process.hrtime.bigint();
      await fn();
      times[k].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const mid = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return [mid(times[0]), mid(times[1])];
}

const post = (p: string, body: unknown) => fetch(app.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.arrayBuffer());

try {
  const u = await buildLocalAccount(app.db, app.services.audit, { email: 'bench@example.test' });
  const rows: Array<[string, number, number]> = [];
  // Wrong passwords for both, so neither path creates a session.
  rows.push(['local sign-in (wrong password)', ...(await medians(15,
    () => post('/api/v1/session', { username: u.username, password: 'not-the-password-1', source: 'local' }),
    () => post('/api/v1/session', { username: 'no-such-user', password: 'not-the-password-1', source: 'local' })))]);
  // Three each: the reset itself allows only a few requests per name and window.
  rows.push(['password reset request', ...(await medians(3,
    () => post('/api/v1/password-reset', { username: u.username }),
    () => post('/api/v1/password-reset', { username: 'no-such-user' })))]);
  console.log(`${'path'.padEnd(36)} ${'existing'.padStart(12)} ${'unknown'.padStart(12)}`);
  for (const [name, known, unknown] of rows) console.log(`${name.padEnd(36)} ${known.toFixed(1).padStart(9)} ms ${unknown.toFixed(1).padStart(9)} ms`);
} finally {
  await app.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
