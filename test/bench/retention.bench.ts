/**
 * The retention benchmark of issue 12: shred one year of N people × 220 working days
 * (target: 5,000 people in at most 60 s on 2 cores) while a few clients read their
 * day views, whose p99 must stay within twice its idle value. The year is seeded with
 * SQL and the key service (sealed as the product seals: details under the record key,
 * every fifth entry with a note under the note key), not through HTTP. The
 * `submitted_days` handler is driven batch by batch as the retention job drives it.
 * Prints figures; asserts nothing. Run: `npm run bench:retention`
 * (RET_BENCH_PEOPLE=5000 for the full size; RET_BENCH_BATCH, RET_BENCH_CONNECTIONS,
 * RET_BENCH_ORDER=person|date). Besides the wall time it prints the purge backend's
 * CPU seconds and the load average: on a shared machine the wall time says more about
 * the neighbours than about the purge.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { pino } from 'pino';
import { startAppliance } from '../../src/app/appliance.js';
import { parseConfig } from '../../src/platform/config.js';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { cutoffFor } from '../../src/retention/policy.js';
import { entryRef, type TimesheetDeps } from '../../src/timesheets/context.js';
import { submittedDaysHandler } from '../../src/timesheets/retention.js';
import { noteRef } from '../../src/timesheets/sealing.js';
import { buildEmployee, buildEntry, buildOperator, buildProject, localDate } from '../helpers/factories.js';
import { freePort } from '../helpers/net.js';
import { runLoad, type LoadResult } from './load-client.js';
import { asTestApp, sessionHeaders } from './load-seed.js';

const people = Number(process.env.RET_BENCH_PEOPLE ?? 100);
const batchSize = Number(process.env.RET_BENCH_BATCH ?? 500);
const connections = Number(process.env.RET_BENCH_CONNECTIONS ?? 4);
/**
 * `person` (default): each person's year written in one go, person after person, so a
 * page holds one person's days: the worst case for the run's walk in date order (each
 * batch touches a page per person). `date`: written day after day across everyone, as
 * the product writes it (people book as they work), so the walk reads the table in order.
 */
const order = process.env.RET_BENCH_ORDER === 'date' ? 'date' : 'person';
const YEAR = 2019;
const TARGET_S = 60;

/** The working days (Monday–Friday) of the year, the first 220 of them. */
const workingDays = (() => {
  const out: string[] = [];
  for (let d = new Date(Date.UTC(YEAR, 0, 1)); out.length < 220; d = new Date(d.getTime() + 86_400_000)) {
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
})();

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-retention-bench-'));
const pgServer = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), logger, database: 'bench' });
const config = parseConfig({ data_dir: dir, server: { port: 0 }, database: { url: pgServer.url }, log: { level: 'silent' }, retention: { batch_size: batchSize } }, 'bench');
const app = await startAppliance(config, logger, { jobs: false });
const deps: TimesheetDeps = { db: app.db, config, keys: app.keys, audit: app.services.audit };
const db = app.db;

/**
 * CPU seconds (user + system) a PostgreSQL backend has used so far, from /proc: the
 * purge's own work, whatever else the machine runs (the wall time is not, on a shared
 * machine). Clock ticks are 100 a second on Linux.
 */
function backendCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
  }));
}

try {
  const a = asTestApp(app, config, pgServer.url);
  const operator = await buildOperator(a, { source: 'directory' });
  const { projectId } = await buildProject(a, { by: operator });
  // The interactive side: a few people with a day of today's weeks to look at.
  const readers = [];
  for (let i = 0; i < 8; i++) {
    const p = await buildEmployee(a, { source: 'directory' });
    await buildEntry(p, { projectId, date: localDate(3), minutes: 60, note: 'today' });
    readers.push(p);
  }

  process.stderr.write(`seeding ${people} people × ${workingDays.length} approved days of ${YEAR}...\n`);
  const seedStarted = Date.now();
  const ids = ((await db.raw<{ rows: Array<{ id: string }> }>(
    `INSERT INTO accounts (source, username) SELECT 'local', 'bench-' || g FROM generate_series(1, ?) g RETURNING id`, [people])).rows).map((r) => r.id);
  let sealedCount = 0;
  if (order === 'date') await db.raw('CREATE UNLOGGED TABLE bench_entries (LIKE time_entries INCLUDING DEFAULTS)');
  await inParallel(ids, 4, async (owner) => {
    const entries = workingDays.map((date, i) => ({ id: randomUUID(), date, note: i % 5 === 0 ? `note ${i}` : '' }));
    const items = entries.flatMap((e) => [
      { subject: owner, ref: entryRef(e.id), plaintext: JSON.stringify({ start: `${e.date}T07:00:00.000Z`, end: `${e.date}T15:00:00.000Z`, date: null, minutes: 480, project_id: projectId, task_id: null }), year: YEAR, purpose: 'record' as const },
      ...(e.note ? [{ subject: owner, ref: noteRef(e.id), plaintext: e.note, year: YEAR, purpose: 'note' as const }] : []),
    ]);
    const sealed = await app.keys.encryptMany(db, items);
    let k = 0;
    const rows = entries.map((e) => ({ id: e.id, owner_id: owner, first_date: e.date, last_date: e.date, key_purpose: 'record', details: sealed[k++]!, note: e.note ? sealed[k++]! : null }));
    if (order === 'date') await db('bench_entries').insert(rows);
    else await db.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('uurwerk.bypass', 'on', true)`);
      await trx.raw(
        `INSERT INTO timesheet_days (owner_id, date, state, time_zone, scope_teams, submitted_at, approved_at, approved_by)
         SELECT ?::uuid, d, 'approved', 'UTC', '{bench}', d + time '18:00', d + time '19:00', ?::uuid FROM unnest(?::date[]) d`,
        [owner, operator.id, workingDays],
      );
      await trx('time_entries').insert(rows);
    });
    sealedCount += rows.length;
    if (sealedCount % (220 * 500) === 0) process.stderr.write(`  ${sealedCount / 220} people sealed\n`);
  });
  if (order === 'date') {
    await db.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('uurwerk.bypass', 'on', true)`);
      await trx.raw(
        `INSERT INTO timesheet_days (owner_id, date, state, time_zone, scope_teams, submitted_at, approved_at, approved_by)
         SELECT o, d, 'approved', 'UTC', '{bench}', d + time '18:00', d + time '19:00', ?::uuid FROM unnest(?::date[]) d, unnest(?::uuid[]) o ORDER BY d, o`,
        [operator.id, workingDays, ids],
      );
      await trx.raw('INSERT INTO time_entries SELECT * FROM bench_entries ORDER BY first_date, owner_id');
    });
    await db.raw('DROP TABLE bench_entries');
  }
  await db.raw('VACUUM ANALYZE timesheet_days, time_entries, data_keys');
  process.stderr.write(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);

  const dayView = readers.map((p) => ({ method: 'GET' as const, path: `/api/v1/me/days/${localDate(3)}`, headers: sessionHeaders(p.client) }));
  const idle = await runLoad({ base: app.url, connections, durationMs: 5000, requests: dayView });

  // The purge on one connection of its own, to read its backend's CPU time.
  const purgeDb = knexFactory({ client: 'pg', connection: pgServer.url, pool: { min: 1, max: 1 } });
  const pid = ((await purgeDb.raw<{ rows: Array<{ pid: number }> }>('SELECT pg_backend_pid() AS pid')).rows[0]!).pid;
  const handler = submittedDaysHandler(deps);
  const asOf = new Date(Date.UTC(YEAR + 8, 0, 5, 2));
  const scope = { asOf, cutoff: cutoffFor(config.retention, 'submitted_days', asOf), holds: { persons: new Set<string>(), projects: new Set<string>(), customers: new Set<string>(), ranges: [] }, batchSize };
  const removed: Record<string, number> = {};
  let batches = 0;
  let running = true;
  const windows: LoadResult[] = [];
  const during = (async () => {
    while (running) windows.push(await runLoad({ base: app.url, connections, durationMs: 3000, requests: dayView }));
  })();
  const wal = async () => (await db.raw<{ rows: Array<{ b: string; fpi: string }> }>('SELECT wal_bytes::text AS b, wal_fpi::text AS fpi FROM pg_stat_wal')).rows[0]!;
  const walBefore = await wal();
  const loadBefore = load();
  const cpuBefore = backendCpuSeconds(pid);
  const started = Date.now();
  let keysMs = 0;
  for (let done = false; !done;) {
    const b = Date.now();
    const r = await handler.purgeBatch(purgeDb, scope);
    if (r.removed.keys) keysMs += Date.now() - b;
    for (const [k, v] of Object.entries(r.removed)) removed[k] = (removed[k] ?? 0) + v;
    batches++;
    done = r.done;
  }
  const seconds = (Date.now() - started) / 1000;
  const cpu = backendCpuSeconds(pid) - cpuBefore;
  const loadAfter = load();
  const walAfter = await wal();
  await purgeDb.destroy();
  running = false;
  await during;
  // Windows that ran wholly inside the purge (the last one may have outlived it).
  const inside = windows.slice(0, Math.max(1, windows.length - 1));
  const worst = Math.max(...inside.map((w) => w.p99));
  const median = inside.map((w) => w.p99).sort((x, y) => x - y)[Math.floor(inside.length / 2)]!;

  const scaled = (seconds * 5000) / people;
  console.log(`\nretention: shred one year (${YEAR}) of ${people} people × ${workingDays.length} approved days (written in ${order} order); batch_size ${batchSize}; ${connections} reading connections`);
  console.log(`removed: ${removed.days} days, ${removed.entries} entries, ${removed.keys} keys in ${batches} batches (batches that shredded keys: ${(keysMs / 1000).toFixed(1)} s)`);
  console.log(`time: ${seconds.toFixed(1)} s (${(removed.days! / seconds).toFixed(0)} days/s)${people === 5000 ? '' : `; scaled linearly to 5000 people: ${scaled.toFixed(1)} s`} — target ${TARGET_S} s for 5000 people`);
  console.log(`purge backend CPU: ${cpu.toFixed(1)} s (${((cpu * 5000) / people).toFixed(1)} s scaled to 5000 people); load average (1, 5, 15 min) before ${loadBefore}, after ${loadAfter}`);
  console.log(`WAL written: ${((Number(walAfter.b) - Number(walBefore.b)) / 1e6).toFixed(0)} MB (${Number(walAfter.fpi) - Number(walBefore.fpi)} full-page images)`);
  console.log(`day view p99: idle ${idle.p99.toFixed(1)} ms (${idle.perSecond.toFixed(0)} req/s); during the run ${median.toFixed(1)} ms median of ${inside.length} 3-s windows, worst ${worst.toFixed(1)} ms — target at most ${(2 * idle.p99).toFixed(1)} ms (twice idle)`);
  const bad = windows.reduce((n, w) => n + w.non2xx + w.errors, 0) + idle.non2xx + idle.errors;
  if (bad) console.log(`non-2xx answers or errors: ${bad}`);
} finally {
  await app.stop();
  await pgServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
