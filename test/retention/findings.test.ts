/** `serve` names the retention policy findings at start (config:check is in cli.test.ts). */
import test from 'ava';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAppliance } from '../../src/app/appliance.js';
import { parseConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { useTestDatabase } from '../helpers/db.js';

test('the appliance logs every retention setting below its legal minimum or above its default at start, as warnings', async (t) => {
  const db = await useTestDatabase(t);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'uurwerk-findings-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const lines: Array<{ level: number; msg: string; key?: string; finding?: string }> = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  const config = parseConfig({ data_dir: dataDir, server: { port: 0 }, database: { url: db.url }, retention: { submitted_days: '6 years', mail_outbox: '90 days' } }, 'test');
  const app = await startAppliance(config, createLogger({ log: { level: 'info', format: 'json' } }, sink), { jobs: false });
  await app.stop();
  const findings = lines.filter((l) => l.msg.startsWith('retention policy:'));
  t.deepEqual(findings.map((l) => [l.key, l.finding, l.level]), [
    ['retention.submitted_days', 'below_legal_minimum', 40],
    ['retention.mail_outbox', 'longer_than_default', 40],
  ]);
  t.regex(findings[0]!.msg, /6 years is shorter than the legal minimum of 7 years \(fiscal duty/);
});
