/**
 * Started as root from a checkout inside a directory other users cannot enter (0700,
 * like /root), the embedded PostgreSQL keeps its cluster where the `postgres` user can
 * reach it, says where in the log, and leaves the person's directory modes alone.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import test from 'ava';
import pg from 'pg';
import { embeddedClusterDir, relocatedClusterDir, startEmbeddedPostgres } from '../../src/platform/embedded-postgres.js';
import { createLogger } from '../../src/platform/logger.js';
import { freePort } from '../helpers/net.js';

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

test('embedded PostgreSQL from a 0700 checkout: the cluster moves where postgres can reach it (root), the checkout keeps its mode', async (t) => {
  t.timeout(300_000);
  const tmp = mkdtempSync(path.join(tmpdir(), 'uurwerk-0700-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const home = path.join(tmp, 'home');
  mkdirSync(path.join(home, 'checkout'), { recursive: true });
  chmodSync(home, 0o700);
  chmodSync(tmp, 0o755);
  const dataDir = path.join(home, 'checkout', 'data');
  const relocateRoot = path.join(tmp, 'var-lib', 'embedded-pg');
  const lines: string[] = [];
  const logger = createLogger({ log: { level: 'info', format: 'json' } }, new Writable({ write: (c: Buffer, _e, cb) => { lines.push(c.toString()); cb(); } }));

  const first = await startEmbeddedPostgres({ dataDir, port: await freePort(), logger, database: 'uurwerk', relocateRoot });
  try {
    await query(first.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
  } finally {
    await first.stop();
  }
  t.is(statSync(home).mode & 0o777, 0o700, 'the person\'s directory keeps its mode');
  const root = process.getuid?.() === 0;
  if (root) {
    const expected = relocatedClusterDir(dataDir, relocateRoot);
    t.is(embeddedClusterDir(dataDir), expected);
    t.true(existsSync(path.join(expected, 'PG_VERSION')));
    t.false(existsSync(path.join(dataDir, 'postgres')), 'no cluster inside the checkout');
    t.is(readFileSync(path.join(dataDir, 'postgres.location'), 'utf8').trim(), expected);
    t.is(statSync(expected).mode & 0o777, 0o700);
    t.true(lines.some((l) => l.includes('keeping the embedded cluster here instead') && l.includes(expected)), 'the log says where');
  } else {
    // Not root: the server runs as this user, who can reach its own checkout: nothing moves.
    t.is(embeddedClusterDir(dataDir), path.join(dataDir, 'postgres'));
    t.true(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION')));
  }

  // A second start finds the same cluster and its data.
  const second = await startEmbeddedPostgres({ dataDir, port: await freePort(), logger, database: 'uurwerk', relocateRoot });
  try {
    t.deepEqual(await query(second.url, 'SELECT v FROM kept'), [{ v: 42 }]);
  } finally {
    await second.stop();
  }
  t.is(statSync(home).mode & 0o777, 0o700);
});
