/**
 * Benchmarks organisation reports over the report store: seeds the store directly in
 * SQL (people in teams of 10, each working weekdays on one task a month, as the fold
 * writes it: present cells per week slice and the published slices), then answers a mix of reports
 * through the service — by project per year over all years, by team per month, by task
 * per week, per quarter for one team — and prints p50/p95/max per kind and overall.
 * The target: 7 years × 5,000 people at p95 ≤ 500 ms. Sizes come from the
 * environment (small defaults for a smoke run on the shared machine):
 *   REPORTS_BENCH_PEOPLE=5000 REPORTS_BENCH_YEARS=7 node --import=tsx test/bench/reports.bench.ts
 * (REPORTS_BENCH_RUNS: requests per kind, default 20). Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Actor } from '../../src/identity/policy.js';
import type { Role } from '../../src/identity/types.js';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);

async function main(): Promise<void> {
  const { startAppliance } = await import('../../src/app/appliance.js');
  const { parseConfig } = await import('../../src/platform/config.js');
  const { startEmbeddedPostgres } = await import('../../src/platform/embedded-postgres.js');
  const { hoursReport } = await import('../../src/reports/service.js');
  const { rollUpMonths } = await import('../../src/reports/cells.js');
  const { freePort } = await import('../helpers/net.js');
  const people = num('REPORTS_BENCH_PEOPLE', 300);
  const years = num('REPORTS_BENCH_YEARS', 2);
  const runs = num('REPORTS_BENCH_RUNS', 20);
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-reports-bench-'));
  const pgServer = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), logger, database: 'bench' });
  const config = parseConfig({ data_dir: dir, server: { port: 0 }, database: { url: pgServer.url, statement_timeout_ms: 600_000 }, log: { level: 'silent' } }, 'bench');
  const app = await startAppliance(config, logger, { jobs: false });
  const db = app.db;
  try {
    const lastYear = 2026;
    const from = `${lastYear - years + 1}-01-01`;
    const to = `${lastYear}-12-31`;
    const projects = (await db('projects').insert(Array.from({ length: 20 }, (_, i) => ({ name: `Project ${i}`, billable: i % 2 === 0, budget_hours: 10_000 }))).returning('id')) as Array<{ id: string }>;
    const tasks = (await db('tasks').insert(projects.flatMap((p, i) => [0, 1, 2].map((j) => ({ project_id: p.id, name: `Task ${i}.${j}` })))).returning(['id', 'project_id'])) as Array<{ id: string; project_id: string }>;
    const seeded = Date.now();
    // One row per person and week slice: the team's project of the month, the person's task in it (a year per statement).
    await db.raw('CREATE UNLOGGED TABLE bench_base (p int, team text, week date, month date, pi int, ti int, days int)');
    for (let y = lastYear - years + 1; y <= lastYear; y++) {
      await db.raw(`
        INSERT INTO bench_base
        SELECT p, 'team-' || (p / 10), date_trunc('week', d)::date, date_trunc('month', d)::date,
               ((p / 10 + extract(month FROM d)::int) % 20), (p % 3), count(*)::int
          FROM generate_series(?::date, ?::date, '1 day') d CROSS JOIN generate_series(0, ? - 1) p
         WHERE extract(isodow FROM d) < 6
         GROUP BY 1, 2, 3, 4, 5, 6`, [`${y}-01-01`, `${y}-12-31`, people]);
    }
    const taskIds = projects.map((p) => tasks.filter((t) => t.project_id === p.id).map((t) => t.id));
    await db.raw(`CREATE UNLOGGED TABLE bench_tasks AS SELECT * FROM jsonb_to_recordset(?::jsonb) AS t(pi int, ti int, project_id uuid, task_id uuid)`,
      [JSON.stringify(taskIds.flatMap((ts, pi) => ts.map((id, ti) => ({ pi, ti, project_id: projects[pi]!.id, task_id: id }))))]);
    await db.raw(`
      INSERT INTO report_cells (period, month, teams, project_id, task_id, person, present, dirty, state)
      SELECT b.week, b.month, ARRAY[b.team], t.project_id, t.task_id, decode(md5(b.week || ':' || b.p), 'hex'), true, false, '\\x00'::bytea
        FROM bench_base b JOIN bench_tasks t ON t.pi = b.pi AND t.ti = b.ti`);
    await db.raw(`
      INSERT INTO report_atoms (period, month, teams, project_id, task_id, people, minutes, recorded, amounts)
      SELECT b.week, b.month, ARRAY[b.team], t.project_id, t.task_id, count(*), sum(b.days * 480), true,
             -- Billed value of the billable (even) projects at 75/h, every fourth project's customer in USD.
             CASE WHEN min(t.pi) % 2 = 0 THEN jsonb_build_object(CASE WHEN min(t.pi) % 4 = 0 THEN 'USD' ELSE 'EUR' END, sum(b.days * 480) * 125) ELSE '{}'::jsonb END
        FROM bench_base b JOIN bench_tasks t ON t.pi = b.pi AND t.ti = b.ti
       GROUP BY 1, 2, 3, 4, 5`);
    await db.transaction((trx) => rollUpMonths(trx, null, config.reports.k));
    await db.raw('ANALYZE report_cells; ANALYZE report_atoms; ANALYZE report_months');
    const counts = (await db.raw(`SELECT (SELECT count(*) FROM report_cells) AS cells, (SELECT count(*) FROM report_atoms) AS atoms, (SELECT count(*) FROM report_months) AS months`)).rows[0] as { cells: string; atoms: string; months: string };
    console.log(`seeded ${people} people × ${years} years: ${counts.cells} cells, ${counts.atoms} published slices, ${counts.months} monthly sums in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

    const analyst: Actor = { accountId: '00000000-0000-4000-8000-000000000001', roles: new Set<Role>(['reports']), teams: new Set() };
    const admin: Actor = { accountId: '00000000-0000-4000-8000-000000000002', roles: new Set<Role>(['team_admin']), teams: new Set(['team-3', 'team-4']) };
    const deps = { db, config };
    const kinds: Array<[string, Actor, Parameters<typeof hoursReport>[2]]> = [
      ['project × year, all years', analyst, { period: 'year', from, to, group_by: 'project' }],
      ['team × month, last year', analyst, { period: 'month', from: `${lastYear}-01-01`, to, group_by: 'team' }],
      ['task × week, last year', analyst, { period: 'week', from: `${lastYear}-01-01`, to, group_by: 'task' }],
      ['billable × quarter, all years', analyst, { period: 'quarter', from: `${Math.max(lastYear - 6, lastYear - years + 1)}-01-01`, to, group_by: 'billable' }],
      ['admin: project × month, 2 teams', admin, { period: 'month', from: `${lastYear}-01-01`, to, group_by: 'project' }],
    ];
    const all: number[] = [];
    const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
    for (const [name, actor, q] of kinds) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await hoursReport(deps, actor, q);
        times.push(performance.now() - t0);
      }
      all.push(...times);
      console.log(`${name.padEnd(34)} p50 ${pct(times, 50).toFixed(0).padStart(5)} ms  p95 ${pct(times, 95).toFixed(0).padStart(5)} ms  max ${Math.max(...times).toFixed(0).padStart(5)} ms`);
    }
    console.log(`${'all reports'.padEnd(34)} p50 ${pct(all, 50).toFixed(0).padStart(5)} ms  p95 ${pct(all, 95).toFixed(0).padStart(5)} ms  (target p95 ≤ 500 ms at 5,000 people × 7 years)`);
  } finally {
    await app.stop();
    await pgServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
