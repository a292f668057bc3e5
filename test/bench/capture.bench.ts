/**
 * The capture benchmark of issue 17: heartbeats per second acknowledged durably
 * (each answer waits for its group commit; PostgreSQL with fsync and synchronous
 * commit on) from N simulated agents, one per employee, beside two baselines in the
 * same run — a bare Koa server that parses the same JSON and answers it, and a bare
 * PostgreSQL loop of single-row INSERTs (autocommit) on the pool's connections — and
 * the p99 of an interactive request (GET /api/v1/me/days/:date) idle and during the
 * heartbeat load. Prints one table; asserts nothing.
 *
 * Run: `npm run bench:capture` (CAPTURE_BENCH_CLIENTS=500 for the full size,
 * CAPTURE_BENCH_SECONDS to change the time per scenario, CAPTURE_BENCH_AGENTS_AT_ONCE for
 * capture.agents_at_once, CAPTURE_BENCH_AGENT_PORT=1 for capture.agent_port (the agents send to
 * the agent API's own thread); small defaults for a smoke run). BENCH_PROF=DIR writes CPU profiles
 * of the server process for the /info and heartbeat runs (info.cpuprofile, heartbeat.cpuprofile).
 */
import { fork } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import pg from 'pg';
import { pino } from 'pino';
import { startAppliance } from '../../src/app/appliance.js';
import { createApiToken } from '../../src/identity/api-tokens.js';
import { parseConfig } from '../../src/platform/config.js';
import { embeddedClusterDir, startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { buildDirectoryAccount, buildLocalAccount, localDate, sessionFor } from '../helpers/factories.js';
import { freePort } from '../helpers/net.js';
import { runLoad } from './load-client.js';
import { asTestApp, sessionHeaders } from './load-seed.js';

interface AgentSpec {
  base: string;
  /** Path prefix of the heartbeat call ('' for the bare server). */
  prefix: string;
  tokens: string[];
  durationMs: number;
  /** Send `GET <prefix>/info` (authenticated, no work) instead of heartbeats. */
  info?: boolean;
}

interface AgentResult {
  /** Seconds the untimed first round took (every agent's first heartbeat of the day, at once). */
  firstRound: number;
  acked: number;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
}

/**
 * CPU seconds used so far by the embedded PostgreSQL, from /proc: the postmaster, its live
 * backends and those it reaped (a backend that ends mid-run, as the agent thread's pool closes
 * idle connections, would otherwise take its CPU with it and the figure could go negative).
 */
function pgCpuSeconds(dataDir: string): number {
  try {
    const pid = readFileSync(path.join(embeddedClusterDir(dataDir), 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
    const pids = [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)];
    let ticks = 0;
    for (const p of pids) {
      try {
        const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
        if (p === pid) ticks += Number(f[13]) + Number(f[14]); // cutime, cstime: the reaped backends
      } catch {
        // a backend that ended meanwhile
      }
    }
    return ticks / 100;
  } catch {
    return NaN; // not Linux, or no /proc children list: the figure is left out
  }
}

/** CPU seconds of this process (the appliance, or the bare Koa server) and of PostgreSQL. */
function cpuNow(dataDir: string): { node: number; pg: number } {
  const u = process.cpuUsage();
  return { node: (u.user + u.system) / 1e6, pg: pgCpuSeconds(dataDir) };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/** One agent per token, each sending its next heartbeat as soon as the last was acknowledged (in a child process). */
async function agents(spec: AgentSpec, onTimed: () => void = () => undefined): Promise<AgentResult> {
  const url = new URL(spec.base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.tokens.length });
  const latencies: number[] = [];
  let failed = 0;
  const t0 = Date.now() - 3_600_000;
  const beat = (token: string, i: number, a: number) => new Promise<void>((done) => {
    // A window watcher: the same window for ten beats a second apart, then the next.
    const body = JSON.stringify({ timestamp: new Date(t0 + i * 1000).toISOString(), duration: 0, data: { app: 'editor', title: `agent ${a} file ${Math.floor(i / 10)}` } });
    const t = performance.now();
    const req = http.request({ host: url.hostname, port: url.port, agent, ...(spec.info
      ? { method: 'GET', path: `${spec.prefix}/info`, headers: { authorization: `Bearer ${token}` } }
      : { method: 'POST', path: `${spec.prefix}/buckets/aw-watcher-window_b${a}/heartbeat?pulsetime=2`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }) }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(performance.now() - t);
        else failed++;
        done();
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => { failed++; done(); });
    req.end(spec.info ? undefined : body);
  });
  // Untimed first round: each agent's first heartbeat of the day makes the person's
  // key for that day (a once-a-day cost, timed apart); the timed window is the steady state.
  const first = performance.now();
  await Promise.all(spec.tokens.map((token, a) => beat(token, 0, a)));
  const firstRound = (performance.now() - first) / 1000;
  latencies.length = 0;
  failed = 0;
  onTimed();
  const started = performance.now();
  const until = started + spec.durationMs;
  await Promise.all(spec.tokens.map(async (token, a) => {
    for (let i = 1; performance.now() < until; i++) await beat(token, i, a);
  }));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((x, y) => x - y);
  return { firstRound, acked: latencies.length, perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed };
}

/** Runs the agents in a child process; `onTimed` is called when their timed window starts. */
function runAgents(spec: AgentSpec, onTimed: () => void = () => undefined): Promise<AgentResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--agents'], { execArgv: ['--import=tsx'] });
    child.on('message', (m) => (m === 'timed' ? onTimed() : resolve(m as AgentResult)));
    child.once('error', reject);
    child.send(spec);
  });
}

/** BENCH_PROF=DIR: profiles the server process while `run` runs, into DIR/NAME.cpuprofile. */
async function profiled<T>(name: string, run: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_PROF;
  if (!dir) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const clients = Number(process.env.CAPTURE_BENCH_CLIENTS ?? 50);
  const durationMs = Number(process.env.CAPTURE_BENCH_SECONDS ?? 5) * 1000;
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-capture-bench-'));
  const pgServer = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), logger, database: 'bench' });
  // CAPTURE_BENCH_TOKEN_CACHE_SECONDS sets auth.token_cache_seconds (default: the configuration's default), to show
  // what the agents' token re-validations, all due at once when their cache entries lapse, cost everyone else.
  const tokenCache = process.env.CAPTURE_BENCH_TOKEN_CACHE_SECONDS;
  const auth = tokenCache === undefined ? {} : { auth: { token_cache_seconds: Number(tokenCache) } };
  // CAPTURE_BENCH_AGENTS_AT_ONCE=N: capture.agents_at_once (agent requests worked on at once; unset: no limit).
  // CAPTURE_BENCH_AGENT_PORT=1: capture.agent_port on a free port; the agents then send there (the agent API's own thread).
  const capture = {
    ...(process.env.CAPTURE_BENCH_AGENTS_AT_ONCE ? { agents_at_once: Number(process.env.CAPTURE_BENCH_AGENTS_AT_ONCE) } : {}),
    ...(process.env.CAPTURE_BENCH_AGENT_PORT === '1' ? { agent_port: await freePort() } : {}),
  };
  const config = parseConfig({ data_dir: dir, server: { port: 0 }, database: { url: pgServer.url }, log: { level: 'silent' }, ...auth, capture }, 'bench');
  const app = await startAppliance(config, logger, { jobs: false });
  const agentBase = app.agents?.url ?? app.url;
  const pool = new pg.Pool({ connectionString: pgServer.url, max: config.database.pool_max });
  const servers: Server[] = [];
  try {
    process.stderr.write(`seeding ${clients} employees with a capture token and a bucket...\n`);
    const a = asTestApp(app, config, pgServer.url);
    const tokens: string[] = [];
    for (let i = 0; i < clients; i++) {
      // Directory accounts: no password hash to compute, so seeding 500 takes seconds.
      const id = await buildDirectoryAccount(app.db, { username: `agent-${i}`, roles: ['employee'] });
      const { token } = await createApiToken(app.db, app.services.audit, id, { name: 'bench', scopes: ['capture'], expiresInDays: 1 });
      tokens.push(token);
      const res = await fetch(`${app.url}/api/v1/aw/api/0/buckets/aw-watcher-window_b${i}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ client: 'bench', type: 'currentwindow', hostname: 'h' }) });
      if (res.status !== 200) throw new Error(`bucket: ${res.status}`);
    }
    const prober = await buildLocalAccount(app.db, app.services.audit, { roles: ['employee'] });
    const probe = { method: 'GET' as const, path: `/api/v1/me/days/${localDate(1)}`, headers: sessionHeaders(await sessionFor(a, prober.id)) };

    // Baseline 1: bare Koa, same requests, JSON parsed and echoed.
    const koa = new Koa();
    koa.use(async (ctx) => {
      const chunks: Buffer[] = [];
      for await (const c of ctx.req) chunks.push(c as Buffer);
      ctx.body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    });
    const bare = koa.listen(0, '127.0.0.1');
    servers.push(bare);
    await new Promise((r) => bare.once('listening', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}`;
    process.stderr.write(`bare Koa, ${clients} agents...\n`);
    let koaCpu = cpuNow(dir);
    const koaR = await runAgents({ base: bareUrl, prefix: '', tokens, durationMs }, () => (koaCpu = cpuNow(dir)));
    const koaCpuEnd = cpuNow(dir);

    // Baseline 2: bare PostgreSQL, single-row INSERT + commit on every pooled connection.
    await pool.query('CREATE TABLE bench_rows (id bigserial PRIMARY KEY, at timestamptz NOT NULL, duration float8 NOT NULL, data text NOT NULL)');
    process.stderr.write(`bare PostgreSQL insert loop on ${config.database.pool_max} connections...\n`);
    let inserted = 0;
    const pgStart = performance.now();
    await Promise.all(Array.from({ length: config.database.pool_max }, async () => {
      while (performance.now() - pgStart < durationMs) {
        await pool.query('INSERT INTO bench_rows (at, duration, data) VALUES (now(), 0, $1)', ['x'.repeat(120)]);
        inserted++;
      }
    }));
    const pgPerSecond = inserted / ((performance.now() - pgStart) / 1000);

    // Baseline 3: the appliance's own HTTP stack with token authentication and nothing behind it.
    process.stderr.write(`Uurwerk GET /api/0/info (authenticated, no work), ${clients} agents...\n`);
    let infoCpu = cpuNow(dir);
    const infoR = await profiled('info', () => runAgents({ base: agentBase, prefix: '/api/v1/aw/api/0', tokens, durationMs, info: true }, () => (infoCpu = cpuNow(dir))));
    const infoCpuEnd = cpuNow(dir);

    process.stderr.write('interactive probe, idle...\n');
    const idleCpu = cpuNow(dir);
    const idle = await runLoad({ base: app.url, connections: 1, durationMs: Math.min(durationMs, 3000), requests: [probe] });
    const idleCpuEnd = cpuNow(dir);
    process.stderr.write(`Uurwerk heartbeats, ${clients} agents, with the interactive probe beside them...\n`);
    // The probe starts with the agents' timed window (after their untimed first round).
    let busy: ReturnType<typeof runLoad> | undefined;
    let oursCpu = cpuNow(dir);
    const ours = runAgents({ base: agentBase, prefix: '/api/v1/aw/api/0', tokens, durationMs }, () => {
      oursCpu = cpuNow(dir);
      busy = runLoad({ base: app.url, connections: 1, durationMs, requests: [probe] });
    });
    const oursR = await profiled('heartbeat', () => ours);
    const oursCpuEnd = cpuNow(dir);
    const busyR = await busy!;
    const stored = (await pool.query<{ n: string; e: string }>('SELECT count(*) AS n, (SELECT count(*) FROM capture_events) AS e FROM capture_buckets')).rows[0]!;

    const f = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(10);
    console.log(`\n${clients} agents, ${durationMs / 1000} s each; pool_max ${config.database.pool_max}; agents at once ${config.capture.agents_at_once || 'no limit'}; agent port ${config.capture.agent_port ? 'own thread' : 'off'}; token cache ${config.auth.token_cache_seconds} s; PostgreSQL fsync on, synchronous_commit on`);
    console.log(`${'scenario'.padEnd(52)} ${'per s'.padStart(10)} ${'p50 ms'.padStart(10)} ${'p99 ms'.padStart(10)} ${'failed'.padStart(8)}`);
    console.log(`${'bare Koa (parse JSON, answer)'.padEnd(52)} ${f(koaR.perSecond)} ${f(koaR.p50)} ${f(koaR.p99)} ${String(koaR.failed).padStart(8)}`);
    console.log(`${'bare PostgreSQL single-row INSERT loop'.padEnd(52)} ${f(pgPerSecond)} ${f(NaN)} ${f(NaN)} ${'0'.padStart(8)}`);
    console.log(`${'Uurwerk GET /api/0/info (token auth, no work)'.padEnd(52)} ${f(infoR.perSecond)} ${f(infoR.p50)} ${f(infoR.p99)} ${String(infoR.failed).padStart(8)}`);
    console.log(`${'Uurwerk heartbeats acknowledged (committed)'.padEnd(52)} ${f(oursR.perSecond)} ${f(oursR.p50)} ${f(oursR.p99)} ${String(oursR.failed).padStart(8)}`);
    console.log(`${'interactive GET /me/days/:date, idle'.padEnd(52)} ${f(idle.perSecond)} ${f(idle.p50)} ${f(idle.p99)} ${String(idle.non2xx + idle.errors).padStart(8)}`);
    console.log(`${'interactive GET /me/days/:date, during heartbeats'.padEnd(52)} ${f(busyR.perSecond)} ${f(busyR.p50)} ${f(busyR.p99)} ${String(busyR.non2xx + busyR.errors).padStart(8)}`);
    console.log(`first heartbeat of the day (makes the day's key), all ${clients} agents at once: ${oursR.firstRound.toFixed(1)} s (bare Koa ${koaR.firstRound.toFixed(1)} s); untimed`);
    // CPU per acknowledged request is steadier than a rate on a shared machine (others' load stretches wall time, not CPU).
    // The probe's own share (its idle cost per request times its requests during the load) is taken out of the heartbeats'.
    type Cpu = { node: number; pg: number };
    const per = (from: Cpu, to: Cpu, n: number, k: keyof Cpu) => ((to[k] - from[k]) * 1e6) / n;
    const beatCpu = (k: keyof Cpu) => (per(oursCpu, oursCpuEnd, 1, k) - per(idleCpu, idleCpuEnd, idle.requests, k) * busyR.requests) / oursR.acked;
    // (PostgreSQL's figure is not corrected so: its background work after the INSERT loop lands in the probe's idle window.)
    console.log(`CPU µs per acknowledged request: bare Koa ${per(koaCpu, koaCpuEnd, koaR.acked, 'node').toFixed(0)} (server); Uurwerk /info ${per(infoCpu, infoCpuEnd, infoR.acked, 'node').toFixed(0)}; Uurwerk heartbeat ${beatCpu('node').toFixed(0)} (server; PostgreSQL ${per(oursCpu, oursCpuEnd, oursR.acked, 'pg').toFixed(0)} with the probe's share in it); interactive probe ${per(idleCpu, idleCpuEnd, idle.requests, 'node').toFixed(0)} (server)`);
    console.log(`heartbeats ÷ bare Koa ${(oursR.perSecond / koaR.perSecond).toFixed(3)}; ÷ Uurwerk /info ${(oursR.perSecond / infoR.perSecond).toFixed(3)}; ÷ bare INSERT loop ${(oursR.perSecond / pgPerSecond).toFixed(3)}; busy p99 ÷ idle p99 ${(busyR.p99 / idle.p99).toFixed(2)}; ${stored.e} events stored in ${stored.n} buckets`);
  } finally {
    for (const s of servers) s.close();
    await pool.end();
    await app.stop();
    await pgServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--agents') && process.send) {
  process.once('message', (spec) => {
    void agents(spec as AgentSpec, () => process.send!('timed')).then((r) => process.send!(r, () => process.disconnect()));
  });
} else {
  await main();
}
