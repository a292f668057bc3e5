/**
 * Benchmarks of the paths every request leans on: sealing and opening values with
 * the key service, appending to the audit log (one serialised hash chain), and a
 * full HTTP round trip. Prints figures; asserts nothing (speed is measured, not
 * asserted). Run: `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startAppliance } from '../../src/app/appliance.js';
import { parseConfig } from '../../src/platform/config.js';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { freePort } from '../helpers/net.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-bench-'));
const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), logger, database: 'bench' });
const config = parseConfig({ data_dir: dir, server: { port: 0 }, database: { url: pg.url }, log: { level: 'silent' } }, 'bench');
const app = await startAppliance(config, logger, { jobs: false });
const { db, services } = app;

async function measure(name: string, n: number, fn: (i: number) => Promise<unknown>, concurrency = 1): Promise<void> {
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`${name.padEnd(48)} ${String(n).padStart(6)} ops  ${(ms / n).toFixed(3).padStart(8)} ms/op  ${Math.round((n * 1000) / ms).toString().padStart(7)} ops/s`);
}

try {
  const subjects = Array.from({ length: 50 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const sealed: string[] = [];
  await measure('keys.encrypt (50 subjects, DEK cache warm)', 2000, async (i) => {
    sealed[i] = await services.keys.encrypt(db, subjects[i % 50]!, { table: 'bench', column: 'note', rowId: String(i) }, `note number ${i}`, { purpose: 'note' });
  });
  await measure('keys.decrypt', 2000, (i) => services.keys.decrypt(db, subjects[i % 50]!, { table: 'bench', column: 'note', rowId: String(i) }, sealed[i]!));
  await measure('audit.record, 1 writer', 500, (i) => db.transaction((trx) => services.audit.record(trx, { action: 'bench.event.recorded', actorId: 'bench', payload: { i } })));
  await measure('audit.record, 8 concurrent writers', 500, (i) => db.transaction((trx) => services.audit.record(trx, { action: 'bench.event.recorded', actorId: 'bench', payload: { i } })), 8);
  await measure('audit.record with personal details (encrypted)', 500, (i) => db.transaction((trx) => services.audit.record(trx, { action: 'bench.event.recorded', actorId: 'bench', subjectId: subjects[i % 50]!, personal: { address: '10.0.0.1' } })));
  await measure('HTTP GET /readyz (keep-alive, 4 concurrent)', 2000, async () => {
    const res = await fetch(`${app.url}/readyz`);
    await res.arrayBuffer();
  }, 4);
} finally {
  await app.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
