/**
 * The HTTP load benchmark of issue #8: seeds a data set through the API, then runs
 * each scenario at N connections for a fixed time beside two baselines started in
 * the same run (a bare Koa server answering a constant; bare Koa + pg doing one
 * indexed SELECT). Prints one table; asserts nothing. Run: `npm run bench`
 * (flags: --employees 200 --entries 200000 --days 1000 --connections 100 --seconds 10
 * --warmup 3 --only inbox, --create-one-day, --pool-max 10). Each scenario first runs --warmup seconds
 * unmeasured, so the figures are of a warmed process (the JIT's first compilations of a scenario's
 * code, on a 10-s run, took a fifth of a create's server CPU), not of its start. BENCH_PROF=DIR writes a CPU profile of the server process for each
 * scenario into DIR (the baselines as bare-koa and bare-koa-pg; seeding left out); BENCH_PGSS=1 prints
 * PostgreSQL's planning and execution time per statement (pg_stat_statements, for each scenario); BENCH_SQLTIME=1
 * prints the statements that took the most time.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Koa from 'koa';
import pg from 'pg';
import { pino } from 'pino';
import { startAppliance } from '../../src/app/appliance.js';
import { parseConfig } from '../../src/platform/config.js';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { localDate } from '../helpers/factories.js';
import { freePort } from '../helpers/net.js';
import { runLoad, type LoadRequest, type LoadResult } from './load-client.js';
import { asTestApp, seed, sessionHeaders } from './load-seed.js';

const { values: flags } = parseArgs({
  options: {
    employees: { type: 'string', default: '50' },
    entries: { type: 'string', default: '20000' },
    days: { type: 'string', default: '200' },
    connections: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string' },
    'create-one-day': { type: 'boolean', default: false },
    'pool-max': { type: 'string' },
  },
});
const size = { employees: Number(flags.employees), entries: Number(flags.entries), days: Number(flags.days) };
const connections = Number(flags.connections);
const durationMs = Number(flags.seconds) * 1000;
const warmupMs = Number(flags.warmup) * 1000;

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-load-'));
const pgPort = await freePort();
let pgServer = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, logger, database: 'bench' });
/** BENCH_PGSS=1: PostgreSQL's own statement statistics (planning and execution time) per scenario, from pg_stat_statements. */
const pgss = Boolean(process.env.BENCH_PGSS);
if (pgss) {
  const c = new pg.Client({ connectionString: pgServer.url });
  await c.connect();
  await c.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  await c.end();
  await pgServer.stop();
  pgServer = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, logger, database: 'bench' });
  // Known only once the library is loaded.
  const d = new pg.Client({ connectionString: pgServer.url });
  await d.connect();
  await d.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
  await d.query('SELECT pg_reload_conf()');
  await d.end();
}
const config = parseConfig({
  data_dir: dir, server: { port: 0 }, database: { url: pgServer.url, ...(flags['pool-max'] ? { pool_max: Number(flags['pool-max']) } : {}) }, log: { level: 'silent' },
  timesheets: { max_days_back: 3660 },
}, 'bench');
const app = await startAppliance(config, logger, { jobs: false });
/** BENCH_SQLTIME=1: the time each statement (by its first characters) took from send to answer, summed. */
const sqlTimes = new Map<string, { n: number; ms: number }>();
if (process.env.BENCH_SQLTIME) {
  const sent = new Map<string, number>();
  app.db.on('query', (q: { __knexQueryUid: string }) => sent.set(q.__knexQueryUid, performance.now()));
  app.db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
    const t0 = sent.get(q.__knexQueryUid);
    if (t0 === undefined) return;
    sent.delete(q.__knexQueryUid);
    const key = q.sql.replace(/\s+/g, ' ').trim().slice(0, 110);
    const e = sqlTimes.get(key) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += performance.now() - t0;
    sqlTimes.set(key, e);
  });
}

/** Starts a bare Koa server on 127.0.0.1 with one handler; resolves with its URL. */
async function bare(handler: Koa.Middleware): Promise<{ url: string; server: Server }> {
  const koa = new Koa();
  koa.use(handler);
  const server = koa.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, server };
}

/** Prints the statements of one scenario by summed time (BENCH_SQLTIME). */
function printSqlTimes(title: string): void {
  if (!sqlTimes.size) return;
  console.error(`\nstatements of ${title}: total ms, count, ms each`);
  for (const [k, v] of [...sqlTimes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.error(`${v.ms.toFixed(0).padStart(8)} ${String(v.n).padStart(7)} ${(v.ms / v.n).toFixed(2).padStart(7)}  ${k}`);
}

const pool = new pg.Pool({ connectionString: pgServer.url, max: config.database.pool_max });
if (pgss) await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');

/** Prints PostgreSQL's own figures for the statements of one scenario (BENCH_PGSS): per call, planning and execution. */
async function printPgss(title: string, requests: number): Promise<void> {
  const { rows } = await pool.query<{ calls: string; plan: number; exec: number; q: string }>(
    // Grouped by their first 60 characters: literal statements of different lengths are separate entries otherwise.
    `SELECT sum(calls) AS calls, sum(total_plan_time) AS plan, sum(total_exec_time) AS exec, min(regexp_replace(query, '\\s+', ' ', 'g')) AS q
       FROM pg_stat_statements GROUP BY left(regexp_replace(query, '\\s+', ' ', 'g'), 60)
      ORDER BY sum(total_plan_time + total_exec_time) DESC LIMIT 15`,
  );
  console.error(`\npg_stat_statements of ${title} (${requests} requests): calls per request, plan and exec ms per call, ms per request`);
  for (const r of rows) {
    const calls = Number(r.calls);
    console.error(`${(calls / Math.max(1, requests)).toFixed(2).padStart(7)} ${(r.plan / calls).toFixed(3).padStart(7)} ${(r.exec / calls).toFixed(3).padStart(7)} ${((r.plan + r.exec) / Math.max(1, requests)).toFixed(3).padStart(7)}  ${r.q.slice(0, 120)}`);
  }
}
const postmaster = await (async () => {
  const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return procStat(rows[0]!.pid)?.ppid ?? 0;
})();

/** A process's parent and its CPU seconds (own, and its reaped children's), from /proc. */
function procStat(pid: number): { ppid: number; cpu: number; children: number } | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const tick = 100; // USER_HZ on Linux
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
  } catch {
    return undefined;
  }
}

/** CPU seconds the embedded PostgreSQL spent so far: the postmaster, its live children and those it reaped. */
function databaseCpu(): number {
  let sum = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && Number(name) === postmaster) sum += st.cpu + st.children;
    else if (st && st.ppid === postmaster) sum += st.cpu;
  }
  return sum;
}
const constant = await bare((ctx) => { ctx.body = { status: 'ok' }; });
try {
  process.stderr.write(`seeding ${size.employees} employees, ${size.entries} entries, ${size.days} submitted days...\n`);
  const seedStarted = Date.now();
  const s = await seed(asTestApp(app, config, pgServer.url), size);
  process.stderr.write(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);
  const inbox = await s.admin.client.json<{ total: number }>('GET', '/api/v1/days');
  process.stderr.write(`the team admin's inbox lists ${inbox.body.total} days (status ${inbox.status})\n`);
  const ids = s.employees.map((e) => e.id);
  const withPg = await bare(async (ctx) => {
    const r = await pool.query('SELECT id, username FROM accounts WHERE id = $1', [ids[Math.floor(Math.random() * ids.length)]]);
    ctx.body = r.rows[0];
  });

  const monday = (() => {
    const d = new Date(`${localDate(7)}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    return d.toISOString().slice(0, 10);
  })();
  const sunday = new Date(Date.parse(`${monday}T12:00:00Z`) + 6 * 86_400_000).toISOString().slice(0, 10);
  const asEach = (build: (h: Record<string, string>, i: number) => LoadRequest) => s.employees.map((e, i) => build(sessionHeaders(e.client), i));
  const scenarios: Array<{ name: string; base: string; requests: LoadRequest[] }> = [
    { name: 'bare Koa (constant)', base: constant.url, requests: [{ method: 'GET', path: '/' }] },
    { name: 'bare Koa + pg (one indexed SELECT)', base: withPg.url, requests: [{ method: 'GET', path: '/' }] },
    // The stack's floor: every middleware and the router, no session and no database.
    { name: 'API root GET / (no session, no SQL)', base: app.url, requests: [{ method: 'GET', path: '/api/v1/' }] },
    { name: 'day view GET /me/days/:date', base: app.url, requests: asEach((headers) => ({ method: 'GET', path: `/api/v1/me/days/${localDate(3)}`, headers })) },
    { name: 'week view GET /me/days (Mon–Sun)', base: app.url, requests: asEach((headers) => ({ method: 'GET', path: `/api/v1/me/days?from=${monday}&to=${sunday}`, headers })) },
    {
      // Each person books on the last 28 days in turn, so a day gathers a few entries as a
      // real one does (all on one day, a run's 80 creates per person made every create
      // check a day of 80 entries; --create-one-day brings that back).
      name: 'entry create POST /me/entries', base: app.url,
      requests: Array.from({ length: flags['create-one-day'] ? 1 : 28 }, (_, d) => asEach((headers) => ({
        method: 'POST', path: '/api/v1/me/entries', headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ date: localDate(d), duration_minutes: 1, project_id: s.projectId, task_id: s.taskId }),
      }))).flat(),
    },
    { name: `team admin's inbox GET /days (${size.days} days)`, base: app.url, requests: [{ method: 'GET', path: '/api/v1/days', headers: sessionHeaders(s.admin.client) }] },
  ];

  const results: Array<{ name: string; r: LoadResult; serverMs: number; dbMs: number }> = [];
  // --only WORD runs the baselines and the scenarios whose name holds WORD (for a profile of one).
  for (const sc of scenarios.filter((x, i) => i < 2 || !flags.only || x.name.includes(flags.only))) {
    process.stderr.write(`running ${sc.name} at ${connections} connections for ${warmupMs / 1000} s unmeasured, then ${durationMs / 1000} s\n`);
    if (warmupMs > 0) await runLoad({ base: sc.base, connections, durationMs: warmupMs, requests: sc.requests });
    const profile = process.env.BENCH_PROF ? new Session() : null;
    if (profile) {
      profile.connect();
      await profile.post('Profiler.enable');
      await profile.post('Profiler.start');
    }
    sqlTimes.clear();
    if (pgss) await pool.query('SELECT pg_stat_statements_reset()');
    const cpu0 = { server: process.cpuUsage(), db: databaseCpu() };
    const r = await runLoad({ base: sc.base, connections, durationMs, requests: sc.requests });
    // CPU per answered request: this process (the servers; the load client is a child) and the database.
    const server = process.cpuUsage(cpu0.server);
    results.push({ name: sc.name, r, serverMs: ((server.user + server.system) / 1000) / Math.max(1, r.requests), dbMs: ((databaseCpu() - cpu0.db) * 1000) / Math.max(1, r.requests) });
    printSqlTimes(`${sc.name}, ${results.at(-1)!.r.requests} requests`);
    if (pgss) await printPgss(sc.name, r.requests);
    if (profile) {
      const { profile: data } = await profile.post('Profiler.stop');
      mkdirSync(process.env.BENCH_PROF!, { recursive: true });
      const file = sc.base === constant.url ? 'bare-koa' : sc.base === withPg.url ? 'bare-koa-pg' : sc.name.split(' ')[0] === 'team' ? 'inbox' : sc.name.split(' ')[0]!.toLowerCase();
      writeFileSync(path.join(process.env.BENCH_PROF!, `${file}.cpuprofile`), JSON.stringify(data));
      profile.disconnect();
    }
  }
  const pgBaseline = results[1]!.r.perSecond;
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(9);
  console.log(`\n${size.employees} employees, ${size.entries} entries, ${size.days} submitted days; ${connections} connections, ${durationMs / 1000} s each after ${warmupMs / 1000} s of warm-up; pool_max ${config.database.pool_max}`);
  console.log(`${'scenario'.padEnd(44)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'× Koa+pg'.padStart(9)} ${'non-2xx'.padStart(9)} ${'srv ms/req'.padStart(11)} ${'db ms/req'.padStart(10)}`);
  for (const { name, r, serverMs, dbMs } of results) {
    const bad = r.non2xx + r.errors ? `${r.non2xx + r.errors}${r.firstBadStatus ? ` (${r.firstBadStatus})` : ''}` : '0';
    console.log(`${name.padEnd(44)} ${r.perSecond.toFixed(1).padStart(9)} ${ms(r.p50)} ${ms(r.p99)} ${(r.perSecond / pgBaseline).toFixed(3).padStart(9)} ${bad.padStart(9)} ${serverMs.toFixed(3).padStart(11)} ${dbMs.toFixed(3).padStart(10)}`);
  }
  console.log('srv ms/req: CPU of the server process per answered request (the bare servers run in it too); db ms/req: CPU of the embedded PostgreSQL per request.');
  withPg.server.close();
} finally {
  constant.server.close();
  await pool.end();
  await app.stop();
  await pgServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
