/**
 * The test runner behind `npm test`, `npm run test:ops` and `npm run test:only`:
 * compiles src/, migrations/, test/ and scripts/ into .test-build/ (tsc, which also
 * type-checks: a type error stops the run before any test), starts one embedded
 * PostgreSQL for the whole run, migrates a template database once, lets AVA run the
 * compiled test files without a TypeScript loader (each file clones its own database
 * from the template), then stops PostgreSQL. It ends with the plain line
 * `N passed, N failed`.
 *
 * `--suite=main|ops|all` (default all) chooses the files AVA may run (see
 * ava.config.js); `--lint` runs ESLint beside the compile (npm test, test:ops); further arguments go to AVA, with the test paths people type
 * (`test/x/y.test.ts`, `test/x/*.test.ts`) turned into their compiled counterparts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'pg';
import { pino } from 'pino';
import { createKnex, migrateLatest } from '../src/platform/db.js';
import { startEmbeddedPostgres } from '../src/platform/embedded-postgres.js';
import { ALL_QUEUES } from '../src/app/jobs.js';
import { installJobSchema } from '../src/platform/jobs.js';
import { TEMPLATE_DB } from './helpers/env.js';
import { freePort } from './helpers/net.js';
import { compileForTests, runBin, toCompiledArgs } from './helpers/compile.js';

/** The run stops before AVA: the sources do not compile or do not pass the linter. */
class NoTestRan extends Error {}


const root = path.resolve(import.meta.dirname, '..');
// The compile (and with --lint, ESLint) run beside the database's start and the template's
// migrations, which need neither (this script runs through tsx): on 2 cores the three
// one-threaded steps one after another took some 30 s before the first test.
const lint = process.argv.includes('--lint') ? runBin(root, 'eslint/bin/eslint.js', ['.']) : Promise.resolve(true);
const compiled = compileForTests(root);
const logDir = path.join(root, '.test-tmp', `run-${process.pid}`, 'logs');
mkdirSync(logDir, { recursive: true });
const logger = pino({ level: 'info' }, pino.destination({ dest: path.join(logDir, 'harness.log'), sync: true }));
const dataDir = mkdtempSync(path.join(tmpdir(), 'uurwerk-test-'));
const port = await freePort();
const pg = await startEmbeddedPostgres({ dataDir, port, logger, database: TEMPLATE_DB });
let code = 1;
let passed = 0;
let failed = 0;
try {
  const db = createKnex({ connectionString: pg.url }, { database: { pool_max: 2, statement_timeout_ms: 0 } } as never);
  await migrateLatest(db);
  await db.destroy();
  await installJobSchema(pg.url, logger, ALL_QUEUES);
  const adminUrl = pg.url.replace(new RegExp(`/${TEMPLATE_DB}$`), '/postgres');
  // This throwaway cluster need not survive a power cut: commits stop waiting for the
  // WAL flush (a few ms each on this disk, times thousands of commits per run). Every
  // statement still runs for real; only durability after a crash is given up.
  const tune = new postgres.Client({ connectionString: adminUrl });
  await tune.connect();
  await tune.query('ALTER SYSTEM SET synchronous_commit = off');
  await tune.query('SELECT pg_reload_conf()');
  await tune.end();
  const [lintOk, compileOk] = await Promise.all([lint, compiled]);
  if (!lintOk) console.error('test: ESLint found problems (above); no test ran');
  if (!lintOk || !compileOk) throw new NoTestRan();

  const args = toCompiledArgs(root, process.argv.slice(2).filter((a) => !a.startsWith('--suite=') && a !== '--lint'));
  const suite = process.argv.slice(2).find((a) => a.startsWith('--suite='))?.slice('--suite='.length) ?? 'all';
  const child = spawn(process.execPath, [path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, UURWERK_TEST_PG: adminUrl, UURWERK_TEST_LOG_DIR: logDir, UURWERK_TEST_SUITE: suite, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString('utf8');
  });
  code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const count = (re: RegExp) => Number(re.exec(output)?.[1] ?? 0);
  // AVA's summary omits the passed count when something failed, so count the marks.
  passed = output.split('\n').filter((l) => /^\s*✔/.test(l)).length;
  const marked = output.split('\n').filter((l) => /^\s*✘/.test(l)).length;
  failed = Math.max(marked, count(/(\d+) tests? failed/)) + count(/(\d+) uncaught exceptions?/) + count(/(\d+) unhandled rejections?/);
  if (passed + failed === 0 && code === 0) {
    console.error('no test ran');
    code = 1;
  }
  if (code !== 0 && failed === 0) failed = 1;
} catch (err) {
  if (!(err instanceof NoTestRan)) throw err;
  code = 1;
  failed = 1;
} finally {
  await pg.stop();
  rmSync(dataDir, { recursive: true, force: true });
  // Logs stay for inspection after a failure; a green run cleans up after itself.
  if (code === 0) rmSync(path.dirname(logDir), { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(code);
