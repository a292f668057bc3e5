/**
 * The retention benchmark of issue 12: shred one year of N people × 220 working days
 * (target: 5,000 people in at most 60 s on 2 cores) while a few clients read their
 * day views, whose p99 must stay within twice its idle value. The year is seeded with
 * SQL and the key service (sealed as the product seals: details under the record key,
 * every fifth entry with a note under the note key), not through HTTP. The
 * `submitted_days` handler is driven batch by batch as the retention job drives it.
 * Prints figures; asserts nothing. Run: `npm run bench:retention`
 * (RET_BENCH_PEOPLE=5000 for the full size; RET_BENCH_BATCH, RET_BENCH_CONNECTIONS).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  await inParallel(ids, 4, async (owner) => {
    const entries = workingDays.map((date, i) => ({ id: randomUUID(), date, note: i % 5 === 0 ? `note ${i}` : '' }));
    const items = entries.flatMap((e) => [
      { subject: owner, ref: entryRef(e.id), plaintext: JSON.stringify({ start: `${e.date}T07:00:00.000Z`, end: `${e.date}T15:00:00.000Z`, date: null, minutes: 480, project_id: projectId, task_id: null }), year: YEAR, purpose: 'record' as const },
      ...(e.note ? [{ subject: owner, ref: noteRef(e.id), plaintext: e.note, year: YEAR, purpose: 'note' as const }] : []),
    ]);
    const sealed = await app.keys.encryptMany(db, items);
    let k = 0;
    const rows = entries.map((e) => ({ id: e.id, owner_id: owner, first_date: e.date, last_date: e.date, key_purpose: 'record', details: sealed[k++]!, note: e.note ? sealed[k++]! : null }));
    await db.transaction(async (trx) => {
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
  await db.raw('VACUUM ANALYZE timesheet_days, time_entries, data_keys');
  process.stderr.write(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);

  const dayView = readers.map((p) => ({ method: 'GET' as const, path: `/api/v1/me/days/${localDate(3)}`, headers: sessionHeaders(p.client) }));
  const idle = await runLoad({ base: app.url, connections, durationMs: 5000, requests: dayView });

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
  const started = Date.now();
  let keysMs = 0;
  for (let done = false; !done;) {
    const b = Date.now();
    const r = await handler.purgeBatch(db, scope);
    if (r.removed.keys) keysMs += Date.now() - b;
    for (const [k, v] of Object.entries(r.removed)) removed[k] = (removed[k] ?? 0) + v;
    batches++;
    done = r.done;
  }
  const seconds = (Date.now() - started) / 1000;
  running = false;
  await during;
  // Windows that ran wholly inside the purge (the last one may have outlived it).
  const inside = windows.slice(0, Math.max(1, windows.length - 1));
  const worst = Math.max(...inside.map((w) => w.p99));
  const median = inside.map((w) => w.p99).sort((x, y) => x - y)[Math.floor(inside.length / 2)]!;

  const scaled = (seconds * 5000) / people;
  console.log(`\nretention: shred one year (${YEAR}) of ${people} people × ${workingDays.length} approved days; batch_size ${batchSize}; ${connections} reading connections`);
  console.log(`removed: ${removed.days} days, ${removed.entries} entries, ${removed.keys} keys in ${batches} batches (batches that shredded keys: ${(keysMs / 1000).toFixed(1)} s)`);
  console.log(`time: ${seconds.toFixed(1)} s (${(removed.days! / seconds).toFixed(0)} days/s)${people === 5000 ? '' : `; scaled linearly to 5000 people: ${scaled.toFixed(1)} s`} — target ${TARGET_S} s for 5000 people`);
  console.log(`day view p99: idle ${idle.p99.toFixed(1)} ms (${idle.perSecond.toFixed(0)} req/s); during the run ${median.toFixed(1)} ms median of ${inside.length} 3-s windows, worst ${worst.toFixed(1)} ms — target at most ${(2 * idle.p99).toFixed(1)} ms (twice idle)`);
  const bad = windows.reduce((n, w) => n + w.non2xx + w.errors, 0) + idle.non2xx + idle.errors;
  if (bad) console.log(`non-2xx answers or errors: ${bad}`);
} finally {
  await app.stop();
  await pgServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
