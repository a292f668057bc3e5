/**
 * Benchmarks the compliance export: N audit events (BENCH_EVENTS, default 20,000 for a
 * smoke run; the documented run uses 1,000,000 and 10,000,000) exported as the signed
 * bundle, beside PostgreSQL's own `COPY (SELECT * FROM audit.events ORDER BY seq) TO
 * STDOUT` of the same rows, measured in the same run (the machine is shared: the ratio
 * matters, not the seconds). Each runs in a child process so its peak RSS is its own.
 * Targets (issue 14): export RSS peak < 200 MB, export time ≤ 2 × COPY.
 * Prints figures; asserts nothing. Run:
 *   BENCH_EVENTS=1000000 npm run bench:compliance
 * (BENCH_RUNS=N alternates the two N times and prints the medians, the highest RSS.)
 * (BENCH_PROF=DIR writes a V8 CPU profile of each child process into DIR.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import pg from 'pg';
import { pino } from 'pino';

/** Counts the bytes of a COPY ... TO STDOUT without keeping them. */
class CopyOutCounter extends pg.Query {
  bytes = 0;
  handleCopyData(msg: { chunk: Buffer }): void {
    this.bytes += msg.chunk.length;
  }
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

/** CPU time (ms) of this process's main thread so far (Linux /proc; 0 elsewhere), to tell it from the thread pool's. */
function mainThreadCpuMs(): number {
  const stat = `/proc/self/task/${process.pid}/stat`;
  if (!existsSync(stat)) return 0;
  const f = readFileSync(stat, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/** Child: runs one operation, prints {ms, rssMB, detail}. */
async function child(op: string, url: string, dataDir: string): Promise<void> {
  let started = process.hrtime.bigint();
  let cpuStart = { main: mainThreadCpuMs(), all: process.cpuUsage() };
  let detail = '';
  if (op === 'copy') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const q = new CopyOutCounter('COPY (SELECT * FROM audit.events ORDER BY seq) TO STDOUT');
    await new Promise<void>((resolve, reject) => {
      q.on('end', () => resolve());
      q.on('error', reject);
      void client.query(q);
    });
    detail = `${(q.bytes / 1e6).toFixed(0)} MB of rows`;
    await client.end();
  } else if (op === 'lines' || op === 'copylines') {
    const { eventLineBatches, EVENT_LINE_SQL } = await import('../../src/audit/export.js');
    const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    started = process.hrtime.bigint();
    let bytes = 0;
    if (op === 'lines') {
      for await (const b of eventLineBatches(db, 1, Number.MAX_SAFE_INTEGER)) bytes += b.text.length;
    } else {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const q = new CopyOutCounter(`COPY (SELECT ${EVENT_LINE_SQL} FROM audit.events ORDER BY seq) TO STDOUT`);
      await new Promise<void>((resolve, reject) => {
        q.on('end', () => resolve());
        q.on('error', reject);
        void client.query(q);
      });
      bytes = q.bytes;
      await client.end();
    }
    detail = `${(bytes / 1e6).toFixed(0)} MB of lines`;
    await db.destroy();
  } else {
    const { parseConfig } = await import('../../src/platform/config.js');
    const { openCoreServices } = await import('../../src/app/services.js');
    const { buildComplianceBundle } = await import('../../src/compliance/export-bundle.js');
    const { systemClock } = await import('../../src/platform/clock.js');
    const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    try {
      const config = parseConfig({ data_dir: dataDir, database: { url }, log: { level: 'silent' } }, 'bench');
      const s = await openCoreServices(config, db, pino({ level: 'silent' }));
      const file = path.join(dataDir, `bundle-${Date.now()}.zip`);
      // Timed from here: loading the code (tsx compiles it on the fly) is no part of the export.
      started = process.hrtime.bigint();
      cpuStart = { main: mainThreadCpuMs(), all: process.cpuUsage() };
      const rssBefore = process.memoryUsage().rss / 1048576;
      const r = await buildComplianceBundle({ db, config, keys: s.keys, audit: s.audit, clock: systemClock, keyring: s.keyring, ledger: s.ledger, handlers: [] }, { from: null, to: null }, file, { accountId: 'bench', roles: new Set(['auditor']), teams: new Set() });
      detail = `${r.events} events, zip ${(r.bytes / 1e6).toFixed(0)} MB, RSS ${rssBefore.toFixed(0)} MB with the code loaded before the export began`;
      rmSync(file);
    } finally {
      await db.destroy();
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuStart.all);
  detail += `; Node CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, of it main thread ${((mainThreadCpuMs() - cpuStart.main) / 1000).toFixed(2)} s`;
  console.log(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, detail, nodeCpuS: (cpu.user + cpu.system) / 1e6 }));
}

/**
 * CPU seconds PostgreSQL has used so far (Linux /proc; 0 elsewhere): the postmaster with
 * the children it has reaped, and its live children. Beside the wall time on a shared
 * machine, the CPU an operation costs is the steadier figure.
 */
function postgresCpuS(clusterDir: string): number {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return 0;
  const pm = readFileSync(pidFile, 'utf8').split('\n')[0]!.trim();
  const stat = (pid: string): string[] | null => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    } catch {
      return null; // gone meanwhile
    }
  };
  const own = stat(pm);
  if (!own) return 0;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const f = stat(pid);
    if (f && f[1] === pm) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100;
}

async function main(): Promise<void> {
  const { startAppliance } = await import('../../src/app/appliance.js');
  const { parseConfig } = await import('../../src/platform/config.js');
  const { startEmbeddedPostgres, embeddedClusterDir } = await import('../../src/platform/embedded-postgres.js');
  const { recordPlainEvents } = await import('../../src/audit/service.js');
  const { createCheckpoint } = await import('../../src/audit/checkpoints.js');
  const { freePort } = await import('../helpers/net.js');
  const events = Number(process.env.BENCH_EVENTS ?? 20_000);
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-compliance-bench-'));
  const pgServer = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), logger, database: 'bench' });
  const config = parseConfig({ data_dir: dir, server: { port: 0 }, database: { url: pgServer.url }, log: { level: 'silent' } }, 'bench');
  const app = await startAppliance(config, logger, { jobs: false });
  const { db } = app;
  const self = fileURLToPath(import.meta.url);
  const clusterDir = embeddedClusterDir(dir);
  type Run = { ms: number; rssMB: number; detail: string; nodeCpuS: number; pgCpuS: number };
  const run = (op: string): Run => {
    const pgBefore = postgresCpuS(clusterDir);
    const outText = execFileSync(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), '--import=tsx', self, '--child', op, '--url', pgServer.url, '--dir', dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(outText.trim().split('\n').at(-1)!) as Omit<Run, 'pgCpuS'>;
    execFileSync('sleep', ['0.3']); // the backend's exit reaches the postmaster's account of its children
    return { ...r, pgCpuS: postgresCpuS(clusterDir) - pgBefore };
  };
  try {
    const seedStart = Date.now();
    const have = Number(((await db('audit.events').count({ n: '*' }).first()) as { n: string }).n);
    for (let i = have; i < events; i += 5000) {
      const batch = Array.from({ length: Math.min(5000, events - i) }, (_, j) => ({
        action: 'timesheet.entry.created', actorId: `acct-${(i + j) % 200}`, subjectId: `acct-${(i + j) % 200}`,
        object: { type: 'time_entry', id: `00000000-0000-4000-8000-${String(i + j).padStart(12, '0')}` }, payload: { fields: ['minutes', 'note', 'project_id'], i: i + j },
      }));
      await db.transaction((trx) => recordPlainEvents(trx, batch));
      await app.services.audit.flush(); // staged events join the chain (group commit)
    }
    await createCheckpoint(db, app.keyring);
    await db.raw('VACUUM ANALYZE audit.events');
    console.log(`seeded ${events} events in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
    // BENCH_RUNS=N alternates COPY and export N times and keeps the median of each (a shared machine's noise).
    const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 1));
    const copies: Run[] = [];
    const exports: Run[] = [];
    for (let i = 0; i < runs; i++) {
      copies.push(run('copy'));
      exports.push(run('export'));
      const c = copies[i]!;
      const x = exports[i]!;
      if (runs > 1) console.log(`run ${i + 1}: COPY ${(c.ms / 1000).toFixed(2)} s, export ${(x.ms / 1000).toFixed(2)} s (${(x.ms / c.ms).toFixed(2)} ×); CPU (PostgreSQL + Node) COPY ${(c.pgCpuS + c.nodeCpuS).toFixed(2)} s, export ${(x.pgCpuS + x.nodeCpuS).toFixed(2)} s; load ${loadavg()[0]!.toFixed(1)}`);
    }
    const median = (rs: Run[]) => [...rs].sort((x, y) => x.ms - y.ms)[(rs.length - 1) >> 1]!;
    const copy = median(copies);
    const exp = { ...median(exports), rssMB: Math.max(...exports.map((r) => r.rssMB)) };
    if (process.env.BENCH_PARTS) for (const op of ['lines', 'copylines']) console.log(op, JSON.stringify(run(op)));
    const line = (name: string, r: Run) =>
      console.log(`${name.padEnd(22)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.rssMB.toFixed(0).padStart(5)} MB RSS  ${(r.ms / copy.ms).toFixed(2).padStart(6)} × COPY  ${r.detail}; PostgreSQL CPU ${r.pgCpuS.toFixed(2)} s`);
    line('COPY TO STDOUT', copy);
    line('compliance:export', exp);
    const cpuOf = (rs: Run[]) => rs.map((r) => r.pgCpuS + r.nodeCpuS).sort((a, b) => a - b)[(rs.length - 1) >> 1]!;
    console.log(`CPU (PostgreSQL + Node, median): COPY ${cpuOf(copies).toFixed(2)} s, export ${cpuOf(exports).toFixed(2)} s (${(cpuOf(exports) / cpuOf(copies)).toFixed(2)} ×; 2 cores)`);
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (the machine is shared: compare ratios)`);
    console.log(`targets: RSS < 200 MB (${exp.rssMB < 200 ? 'met' : 'MISSED'}), time ≤ 2 × COPY (${exp.ms <= 2 * copy.ms ? 'met' : 'MISSED'})`);
  } finally {
    await app.stop();
    await pgServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child(arg('--child')!, arg('--url')!, arg('--dir')!);
else await main();
