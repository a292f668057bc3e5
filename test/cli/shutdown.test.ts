import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import pg from 'pg';
import { spawnServe, waitForServe } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';

/** An appliance with its own embedded PostgreSQL and the given shutdown deadline. */
async function embedded(t: ExecutionContext, shutdownSeconds: number, extraYaml = '') {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-stop-'));
  chmodSync(dir, 0o711); // as root, the embedded server runs as `postgres` and must pass through
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const pgPort = await freePort();
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `data_dir: ${dir}/data\nserver:\n  port: ${port}\n  shutdown_timeout_seconds: ${shutdownSeconds}\ndatabase:\n  embedded:\n    port: ${pgPort}\n${extraYaml}`);
  return { file, dataDir: path.join(dir, 'data'), base: `http://127.0.0.1:${port}`, pgPort };
}

/** The postmaster's pid from its pid file, or undefined when there is none. */
function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

/** Whether the process runs; a zombie (exited, not yet reaped by whoever adopted it) does not. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Puts requests in flight that cannot finish by themselves: a transaction of our own
 * holds knex_migrations locked, so every /readyz waits on its SELECT.
 */
async function requestsStuckInFlight(dataDir: string, pgPort: number, base: string): Promise<void> {
  const password = readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
  const locker = new pg.Client({ host: '127.0.0.1', port: pgPort, user: 'uurwerk', password, database: 'uurwerk' });
  locker.on('error', () => undefined); // the database is stopped under it
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE knex_migrations IN ACCESS EXCLUSIVE MODE');
  for (let i = 0; i < 20; i++) void fetch(`${base}/readyz`).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
}

test.serial('SIGTERM with requests stuck in flight cuts them at the deadline and stops PostgreSQL', async (t) => {
  const { file, dataDir, base, pgPort } = await embedded(t, 2);
  const serve = spawnServe(file);
  t.teardown(() => serve.child.kill('SIGKILL'));
  await waitForServe(serve, `${base}/readyz`);
  const pid = postmasterPid(dataDir)!;
  t.true(alive(pid));
  await requestsStuckInFlight(dataDir, pgPort, base);

  const started = Date.now();
  serve.child.kill('SIGTERM');
  t.is(await serve.exited, 0, serve.output());
  const took = Date.now() - started;
  t.true(took < 8_000, `stopped after ${took} ms`);
  t.regex(serve.output(), /shutdown deadline reached/);
  t.is(postmasterPid(dataDir), undefined, 'no postmaster.pid left');
  t.false(alive(pid), 'the postmaster is gone');
});

test.serial('a second SIGTERM during shutdown stops PostgreSQL (fast) before exiting', async (t) => {
  const { file, dataDir, base, pgPort } = await embedded(t, 60);
  const serve = spawnServe(file);
  t.teardown(() => serve.child.kill('SIGKILL'));
  await waitForServe(serve, `${base}/readyz`);
  const pid = postmasterPid(dataDir)!;
  await requestsStuckInFlight(dataDir, pgPort, base);

  const started = Date.now();
  serve.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  serve.child.kill('SIGTERM');
  t.is(await serve.exited, 1);
  const took = Date.now() - started;
  t.true(took < 8_000, `exited after ${took} ms`);
  t.regex(serve.output(), /second signal/);
  t.is(postmasterPid(dataDir), undefined, 'no postmaster.pid left');
  t.false(alive(pid), 'the postmaster is gone');
});

test.serial('the same signal twice at once (terminal and npm both send Ctrl-C) is one graceful stop', async (t) => {
  const { file, dataDir, base } = await embedded(t, 8);
  const serve = spawnServe(file);
  t.teardown(() => serve.child.kill('SIGKILL'));
  await waitForServe(serve, `${base}/readyz`);
  serve.child.kill('SIGINT');
  serve.child.kill('SIGINT');
  t.is(await serve.exited, 0, serve.output());
  t.notRegex(serve.output(), /second signal/);
  t.regex(serve.output(), /embedded PostgreSQL stopped/);
  t.is(postmasterPid(dataDir), undefined, 'no postmaster.pid left');
});

test.serial('with the agent API on its own port (embedded PostgreSQL): the thread answers there, and SIGTERM stops it, the server and PostgreSQL', async (t) => {
  const agentPort = await freePort();
  const { file, dataDir, base } = await embedded(t, 8, `capture:\n  agent_port: ${agentPort}\n`);
  const serve = spawnServe(file);
  t.teardown(() => serve.child.kill('SIGKILL'));
  await waitForServe(serve, `${base}/readyz`);
  const agents = `http://127.0.0.1:${agentPort}/api/v1/aw/api/0/info`;
  // The thread is up before the main server listens.
  t.is((await fetch(agents)).status, 401, 'the agent thread answers (a token is needed)');
  t.is((await fetch(`http://127.0.0.1:${agentPort}/readyz`)).status, 404, 'and only the agent API');
  t.regex(serve.output(), /agent API listens/);
  serve.child.kill('SIGTERM');
  t.is(await serve.exited, 0, serve.output());
  await t.throwsAsync(fetch(agents));
  t.notRegex(serve.output(), /shutdown deadline reached|did not stop in time/, 'a graceful stop, not a cut');
  const lines = serve.output().split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  t.true(at(/"thread":"agents".*"msg":"stopped"/) >= 0, 'the agent thread stopped');
  t.true(at(/"thread":"agents".*"msg":"stopped"/) < at(/embedded PostgreSQL stopped/), 'before PostgreSQL');
  t.is(lines.filter((l) => /audit checkpoint signed/.test(l) && /"reason":"shutdown"/.test(l)).length, 1, 'one shutdown checkpoint, by the main thread');
  t.is(postmasterPid(dataDir), undefined, 'no postmaster.pid left');
});
