/**
 * Benchmarks the audit log: appends per second with 1, 16 and 64 concurrent writers,
 * each recording one event per transaction and counted once it is acknowledged (its
 * transaction committed and `audit.flush()` returned, so the event is chained) —
 * group commit — beside the old contract measured in the same run (lock, head read
 * and insert inside the caller's transaction, held until it commits), and each
 * appending one event with no transaction of its own (`audit.append`: the events
 * of concurrent writers share one transaction and commit); then
 * `audit:verify`, `audit:checkpoint` and `audit:export` over N events, each beside
 * PostgreSQL's own `COPY (SELECT * FROM audit.events) TO STDOUT` of the same rows,
 * measured in the same run (the machine is shared: ratios matter, not seconds).
 * Every operation runs in a child process so its peak RSS is its own.
 * Prints figures; asserts nothing. Run:
 *   node --import=tsx test/bench/audit.bench.ts [--events 20000] [--seconds 4]
 */
import { generateKeyPairSync, createPrivateKey, createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import pg from 'pg';
import { pino } from 'pino';
import { createCheckpoint } from '../../src/audit/checkpoints.js';
import { exportAuditLog } from '../../src/audit/export.js';
import { chainWithin } from '../../src/audit/chainer.js';
import { recordPlainEvents, type AuditEventInput } from '../../src/audit/service.js';
import { verifyDatabase } from '../../src/audit/verify.js';

/** Counts the bytes of a COPY ... TO STDOUT without keeping them (pg has no COPY API of its own). */
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

/** Child: runs one operation against the database at `url`, prints {ms, rssMB, detail}. */
async function child(op: string, url: string): Promise<void> {
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  const privateKey = createPrivateKey(process.env.BENCH_PRIVATE_KEY!);
  const key = { keyId: 'bench', privateKey, publicKey: createPublicKey(privateKey) };
  const started = process.hrtime.bigint();
  let detail = '';
  // Where the RSS goes: the main thread's JS heap and buffers outside it, sampled (the worker thread's heap is in RSS only).
  const peak = { heap: 0, external: 0 };
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peak.heap = Math.max(peak.heap, m.heapTotal);
    peak.external = Math.max(peak.external, m.external);
  }, 25);
  try {
    if (op === 'copy') {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const q = new CopyOutCounter('COPY (SELECT * FROM audit.events ORDER BY seq) TO STDOUT');
      await new Promise<void>((resolve, reject) => {
        q.on('end', () => resolve());
        q.on('error', reject);
        void client.query(q);
      });
      detail = `${(q.bytes / 1e6).toFixed(0)} MB`;
      await client.end();
    } else if (op === 'verify') {
      const r = await verifyDatabase(db, { keys: [{ keyId: key.keyId, publicKey: key.publicKey }] });
      detail = `${r.eventsChecked} events, ok=${r.ok}`;
    } else if (op === 'checkpoint') {
      const cp = await createCheckpoint(db, { auditSigningKey: () => key });
      detail = cp ? `#${cp.number} over ${cp.last_seq - cp.first_seq + 1} events` : 'nothing new';
    } else if (op === 'export') {
      const file = path.join(arg('--dir')!, `export-${Date.now()}.jsonl`);
      const c = await exportAuditLog(db, file, [{ keyId: key.keyId, publicKey: key.publicKey }]);
      detail = `${c.events} events, ${(statSync(file).size / 1e6).toFixed(0)} MB`;
      rmSync(file);
    }
  } finally {
    clearInterval(sample);
    await db.destroy();
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  detail += ` (main thread peak: heap ${(peak.heap / 2 ** 20).toFixed(0)} MB, external ${(peak.external / 2 ** 20).toFixed(0)} MB)`;
  console.log(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, detail }));
}

async function main(): Promise<void> {
  const { startAppliance } = await import('../../src/app/appliance.js');
  const { parseConfig } = await import('../../src/platform/config.js');
  const { startEmbeddedPostgres } = await import('../../src/platform/embedded-postgres.js');
  const { freePort } = await import('../helpers/net.js');
  const events = Number(arg('--events') ?? 20_000);
  const seconds = Number(arg('--seconds') ?? 4);
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-audit-bench-'));
  const pgServer = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), logger, database: 'bench' });
  const config = parseConfig({ data_dir: dir, server: { port: 0 }, database: { url: pgServer.url }, log: { level: 'silent' } }, 'bench');
  const app = await startAppliance(config, logger, { jobs: false });
  const { db, services } = app;
  const { privateKey } = generateKeyPairSync('ed25519');
  const env = { ...process.env, BENCH_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const self = fileURLToPath(import.meta.url);
  const run = (op: string): { ms: number; rssMB: number; detail: string } => {
    const outText = execFileSync(process.execPath, ['--import=tsx', self, '--child', op, '--url', pgServer.url, '--dir', dir], { env, encoding: 'utf8' });
    return JSON.parse(outText.trim().split('\n').at(-1)!) as { ms: number; rssMB: number; detail: string };
  };
  const event = (i: number): AuditEventInput => ({ action: 'timesheet.entry.created', actorId: `acct-${i % 200}`, subjectId: `acct-${i % 200}`, object: { type: 'time_entry', id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }, payload: { fields: ['minutes', 'note', 'project_id'], i } });

  try {
    /**
     * Runs `write(n)` for `secs` from `writers` concurrent loops; the rate per second
     * (`per` units a write) and the p50/p99 time of one write, labelled with `unit`.
     */
    const timed = async (writers: number, secs: number, unit: string, write: (n: number) => Promise<void>, per = 1): Promise<string> => {
      const until = Date.now() + secs * 1000;
      let n = 0;
      const took: number[] = [];
      const started = process.hrtime.bigint();
      await Promise.all(Array.from({ length: writers }, async () => {
        while (Date.now() < until) {
          const t0 = process.hrtime.bigint();
          await write(n);
          took.push(Number(process.hrtime.bigint() - t0) / 1e6);
          n++;
        }
      }));
      const rate = (n * per * 1e9) / Number(process.hrtime.bigint() - started);
      took.sort((x, y) => x - y);
      const q = (f: number) => (took[Math.min(took.length - 1, Math.floor(f * took.length))] ?? 0).toFixed(1);
      return `${rate.toFixed(0).padStart(7)} ${unit.padEnd(8)}  p50 ${q(0.5).padStart(6)} ms  p99 ${q(0.99).padStart(6)} ms`;
    };
    /**
     * Transactions of one event each, timed from BEGIN to acknowledgement. `inline` is
     * the old contract: chained inside the caller's transaction under the append lock.
     */
    const appends = (writers: number, secs: number, inline: boolean): Promise<string> =>
      timed(writers, secs, 'events/s', async (n) => {
        await db.transaction(async (trx) => {
          await services.audit.record(trx, event(n));
          if (inline) await chainWithin(trx);
        });
        if (!inline) await services.audit.flush();
      });
    const load = () => `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
    /** The ceiling on this machine: the same writers committing one plain row each through the same pool (no audit at all). */
    await db.raw('CREATE TABLE IF NOT EXISTS bench_plain (id bigserial PRIMARY KEY, payload jsonb NOT NULL)');
    const plain = (writers: number, secs: number): Promise<string> =>
      timed(writers, secs, 'rows/s', async (n) => {
        await db.transaction((trx) => trx('bench_plain').insert({ payload: JSON.stringify(event(n).payload) }));
      });
    /** Events that record no change of their own (reads, refused sign-ins): `audit.append`, no caller transaction, grouped across writers. */
    const grouped = (writers: number, secs: number): Promise<string> =>
      timed(writers, secs, 'events/s', async (n) => {
        await services.audit.append(event(n));
      });
    for (const writers of [1, 16, 64]) {
      console.log(`plain row insert (ceiling) ${String(writers).padStart(2)} writers  ${await plain(writers, seconds)}  (${load()})`);
      console.log(`old: lock until commit, ${String(writers).padStart(2)} writers  ${await appends(writers, seconds, true)}  (${load()})`);
      console.log(`group commit,            ${String(writers).padStart(2)} writers  ${await appends(writers, seconds, false)}  (${load()})`);
      console.log(`append (no caller trx),  ${String(writers).padStart(2)} writers  ${await grouped(writers, seconds)}  (${load()})`);
    }
    /**
     * The chain's capacity rather than the commit rate: 64 writers whose transactions
     * each record 10 events (an inbox read, an entry batch), counted per event.
     */
    const batches = (writers: number, secs: number, size: number): Promise<string> => {
      let next = 0;
      return timed(writers, secs, 'events/s', async () => {
        const first = next;
        next += size;
        await db.transaction((trx) => services.audit.recordMany(trx, Array.from({ length: size }, (_, j) => event(first + j))));
        await services.audit.flush();
      }, size);
    };
    console.log(`group commit, 64 writers of 10 events a transaction  ${await batches(64, seconds, 10)}  (${load()})`);

    // Seed through the service in large batches (one transaction each).
    const have = Number(((await db('audit.events').count({ n: '*' }).first()) as { n: string }).n);
    const seedStart = Date.now();
    for (let i = have; i < events; i += 5000) {
      const batch = Array.from({ length: Math.min(5000, events - i) }, (_, j) => event(i + j));
      await db.transaction((trx) => recordPlainEvents(trx, batch));
      await services.audit.flush();
    }
    await db.raw('VACUUM ANALYZE audit.events');
    console.log(`seeded ${events} events in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

    const copy = run('copy');
    const line = (name: string, r: { ms: number; rssMB: number; detail: string }, target?: number) =>
      console.log(`${name.padEnd(20)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.rssMB.toFixed(0).padStart(5)} MB RSS  ${(r.ms / copy.ms).toFixed(2).padStart(6)} × COPY${target ? ` (target ≤ ${target})` : ''}  load ${loadavg()[0]!.toFixed(1)}  ${r.detail}`);
    line('COPY TO STDOUT', copy);
    line('audit:verify', run('verify'), 4);
    line('audit:checkpoint', run('checkpoint'), 4);
    // Incremental: the next checkpoint covers only what came after the first.
    await db.transaction((trx) => recordPlainEvents(trx, Array.from({ length: 1000 }, (_, j) => event(j))));
    await services.audit.flush();
    line('checkpoint +1000', run('checkpoint'));
    line('audit:export', run('export'), 2);
  } finally {
    await app.stop();
    await pgServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child(arg('--child')!, arg('--url')!);
else await main();
