import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { runCli as runInProcess } from '../../src/cli/index.js';
import { createEmptyDatabase } from '../helpers/db.js';
import { runCli, spawnServe, waitForServe } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';


/** A config for an appliance with its own embedded PostgreSQL in a fresh data dir. */
async function embeddedConfig(t: { teardown(fn: () => void): void }): Promise<{ file: string; dataDir: string; base: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-life-'));
  chmodSync(dir, 0o711); // as root, the embedded server runs as `postgres` and must pass through
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `data_dir: ${dir}/data\nserver:\n  port: ${port}\ndatabase:\n  embedded:\n    port: ${await freePort()}\n`);
  return { file, dataDir: path.join(dir, 'data'), base: `http://127.0.0.1:${port}` };
}

/**
 * Runs `uurwerk ARGS` in this process through the same function src/main.ts calls, and
 * returns the exit code it hands to the process and what it wrote to standard output.
 * For help texts, which do not depend on the process boundary: forty node starts cost
 * half a minute of CPU. The program's own --help and an unknown command still run as
 * real processes below.
 */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string }> {
  const write = process.stdout.write;
  let stdout = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await runInProcess([process.execPath, 'uurwerk', ...args]), stdout };
  } finally {
    process.stdout.write = write;
  }
}

function postmasterRunning(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'));
}

test.serial('serve with embedded PostgreSQL: ready, then SIGTERM exits 0 and stops PostgreSQL', async (t) => {
  const { file, dataDir, base } = await embeddedConfig(t);
  const serve = spawnServe(file);
  t.teardown(() => serve.child.kill('SIGKILL'));
  await waitForServe(serve, `${base}/readyz`);
  t.is((await fetch(`${base}/healthz`)).status, 200);
  t.regex(serve.output(), /Uurwerk listens on http:\/\/127\.0\.0\.1:\d+/);
  t.regex(serve.output(), /operator:create/);
  t.true(postmasterRunning(dataDir));

  const started = Date.now();
  serve.child.kill('SIGTERM');
  t.is(await serve.exited, 0);
  t.true(Date.now() - started < 10_000, 'stopped within 10 s');
  t.false(postmasterRunning(dataDir), 'embedded PostgreSQL stopped (no postmaster.pid)');
});

test.serial('after kill -9 a second start recovers by itself', async (t) => {
  const { file, dataDir, base } = await embeddedConfig(t);
  const first = spawnServe(file);
  await waitForServe(first, `${base}/readyz`);
  first.child.kill('SIGKILL');
  await first.exited;
  t.true(postmasterRunning(dataDir), 'PostgreSQL outlived the killed process');

  const second = spawnServe(file);
  t.teardown(() => second.child.kill('SIGKILL'));
  await waitForServe(second, `${base}/readyz`);
  second.child.kill('SIGTERM');
  t.is(await second.exited, 0);
  t.false(postmasterRunning(dataDir));
});

test('a configuration with three mistakes exits 78 naming all three keys', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-badcfg-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, 'server:\n  port: "eighty"\ndatabse:\n  url: x\nmail:\n  password_file: /nonexistent/secret\n');
  const r = await runCli(['serve', '--config', file]);
  t.is(r.code, 78);
  for (const key of ['server.port', 'databse', 'mail.password_file']) t.true(r.stderr.includes(key), `${key} in ${r.stderr}`);
});

test('migrate applies migrations to an external PostgreSQL given by database.url', async (t) => {
  const db = await createEmptyDatabase();
  t.teardown(() => db.drop());
  const env = { UURWERK_CONFIG: '' };
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-ext-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `data_dir: ${dir}\ndatabase:\n  url: ${db.url}\n`);
  const before = await runCli(['migrate', '--status', '--config', file], { env });
  t.is(before.code, 1, 'pending migrations make --status exit 1');
  t.regex(before.stdout, /\[ \] \d+_mail_outbox/);
  const r = await runCli(['migrate', '--config', file], { env });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /applied \d+ migration/);
  t.true(await db.knex.schema.hasTable('mail_outbox'));
  t.true(await db.knex.schema.withSchema('pgboss').hasTable('job'));
  const after = await runCli(['migrate', '--status', '--config', file], { env });
  t.is(after.code, 0);
  t.regex(after.stdout, /pending: 0/);
  t.false(existsSync(path.join(dir, 'postgres')), 'no embedded cluster was created');
});

test('--help works for the program and every command; unknown commands exit 2', async (t) => {
  const top = await runCli(['--help']);
  t.is(top.code, 0);
  const commands = [...top.stdout.matchAll(/^\s{2}([a-z][a-z:-]+)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  t.true(commands.includes('serve') && commands.includes('migrate'), top.stdout);
  // One after another: the output capture is per process.
  const results: Array<{ c: string; r: Awaited<ReturnType<typeof inProcess>> }> = [];
  for (const c of commands) results.push({ c, r: await inProcess([c, '--help']) });
  t.is(results.length, commands.length);
  for (const { c, r } of results) {
    t.is(r.code, 0, c);
    t.regex(r.stdout, new RegExp(`Usage: uurwerk ${c}`), c);
  }
  t.is((await runCli(['no-such-command'])).code, 2);
});

test.serial('a CLI command while serve runs attaches to its embedded PostgreSQL and leaves it running', async (t) => {
  const { file, dataDir, base } = await embeddedConfig(t);
  const serve = spawnServe(file);
  t.teardown(() => serve.child.kill('SIGKILL'));
  await waitForServe(serve, `${base}/readyz`);
  const status = await runCli(['migrate', '--status', '--config', file]);
  t.is(status.code, 0, status.stderr);
  t.true(postmasterRunning(dataDir), 'the CLI did not stop the server’s database');
  t.is((await fetch(`${base}/readyz`)).status, 200);
  serve.child.kill('SIGTERM');
  t.is(await serve.exited, 0);
  t.false(postmasterRunning(dataDir));
});
