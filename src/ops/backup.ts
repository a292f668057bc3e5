import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Config } from '../platform/config.js';
import { openDatabaseTarget, type Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { KeyringError } from '../keys/errors.js';
import { keyringDir, keyringPresent, loadKeyring } from '../keys/keyring.js';
import { openShredLedger } from '../keys/ledger.js';
import { verifyKeyring, type KeyOpsOptions } from '../keys/lifecycle.js';
import { replayShredLedger, type ReplayOutcome } from '../keys/replay.js';
import { listCanaries } from '../keys/repository.js';

const run = promisify(execFile);

/**
 * Database backup and restore with PostgreSQL's own tools (`pg_dump` custom format,
 * `pg_restore`). The keyring is deliberately *not* part of a dump: keys are escrowed
 * separately (`uurwerk keys:backup`), so a stolen dump alone reveals no encrypted field.
 * Nor is the shred ledger: it lives beside the keyring, so that after a restore every
 * data key shredded since the dump was made is destroyed again (`replayAfterRestore`).
 */

/** Thrown when backup or restore cannot go ahead; the message says what to do. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** The PostgreSQL client tools a backup needs. */
export interface PgTools {
  pgDump: string;
  pgRestore: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Highest-version directories first, so `/usr/lib/postgresql/16/bin` wins over `15`. */
function versionDirs(parent: string, suffix: string): string[] {
  try {
    return readdirSync(parent)
      .filter((d) => /\d/.test(d))
      .sort((a, b) => Number(/\d+/.exec(b)?.[0]) - Number(/\d+/.exec(a)?.[0]))
      .map((d) => path.join(parent, d, suffix));
  } catch {
    return [];
  }
}

/**
 * Finds `pg_dump` and `pg_restore`: in `binDir` when given (`--pg-bin-dir` or
 * `UURWERK_PG_BIN_DIR`), else on PATH, else in the distributions' versioned
 * directories (Debian `/usr/lib/postgresql/N/bin`, PGDG RPMs `/usr/pgsql-N/bin`).
 * A pg_dump at least as new as the server works; the embedded server is 15.
 */
export function findPgTools(binDir?: string, env: NodeJS.ProcessEnv = process.env): PgTools {
  const dirs = binDir
    ? [binDir]
    : [
        ...(env.UURWERK_PG_BIN_DIR ? [env.UURWERK_PG_BIN_DIR] : []),
        ...(env.PATH ?? '').split(path.delimiter).filter(Boolean),
        ...versionDirs('/usr/lib/postgresql', 'bin'),
        ...versionDirs('/usr', 'bin').filter((d) => d.includes('/usr/pgsql-')),
      ];
  for (const dir of dirs) {
    const pgDump = path.join(dir, 'pg_dump');
    const pgRestore = path.join(dir, 'pg_restore');
    if (executable(pgDump) && executable(pgRestore)) return { pgDump, pgRestore };
  }
  throw new BackupError(
    `pg_dump/pg_restore not found${binDir ? ` in ${binDir}` : ' on PATH or under /usr/lib/postgresql/*/bin'}: install the PostgreSQL client (Debian/Ubuntu: postgresql-client, RHEL: postgresql) or pass --pg-bin-dir`,
  );
}

/** A connection for the client tools; `release` stops an embedded server we started. */
export interface DumpTarget {
  /** libpq URL without the password. */
  url: string;
  password?: string;
  /** The full URL, password included, for in-process clients (never for argv). */
  connectionString: string;
  release(): Promise<void>;
}

function splitPassword(connectionString: string): { url: string; password?: string; connectionString: string } {
  const u = new URL(connectionString);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = '';
  return { url: u.toString(), password, connectionString };
}

/**
 * Opens the application database for the client tools: external (`database.url`),
 * or the embedded cluster — attached to when a running service owns it (never
 * restarted under it), else started for the duration of the command.
 */
export async function openDumpTarget(config: Readonly<Config>, logger: Logger): Promise<DumpTarget> {
  const target = await openDatabaseTarget(config, logger);
  return {
    ...splitPassword(String(target.connection.connectionString)),
    release: async () => {
      await target.embedded?.stop();
    },
  };
}

function toolEnv(target: DumpTarget): NodeJS.ProcessEnv {
  // The password goes through the environment, never the command line (visible in ps).
  // Time data sits behind row-level security (FORCE, so even the owner sees nothing
  // without an actor); a backup must carry every row, so the tools use the explicit
  // bypass the policies provide, together with --enable-row-security for pg_dump.
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'uurwerk-backup', PGCONNECT_TIMEOUT: '10', PGOPTIONS: '-c uurwerk.bypass=on' };
  if (target.password) env.PGPASSWORD = target.password;
  else delete env.PGPASSWORD;
  return env;
}

function toolFailure(tool: string, err: unknown): BackupError {
  const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
  // The tools print the failing SQL after the error; the error lines say what went wrong.
  const lines = stderr.split('\n');
  const errors = lines.filter((l) => /error|fatal|could not/i.test(l));
  return new BackupError(`${tool} failed: ${(errors.length ? errors : lines).slice(0, 5).join('\n')}`);
}

/** What a finished backup wrote. */
export interface BackupResult {
  file: string;
  bytes: number;
  /** Number of entries in the dump's table of contents (tables, indexes, data, ...). */
  entries: number;
  /** Whether the backup was recorded in the database (`backup_runs`, read by the backup-age alarm). */
  recorded: boolean;
}

/**
 * Dumps the application database to `outFile` (custom format, mode 0600). The dump
 * is written next to its destination and renamed only once `pg_restore --list` has
 * read it back, so a failed or partial dump never replaces a good file.
 */
export async function backupDatabase(target: DumpTarget, tools: PgTools, outFile: string): Promise<BackupResult> {
  const file = path.resolve(outFile);
  const partial = `${file}.partial-${process.pid}`;
  const env = toolEnv(target);
  try {
    // --no-owner/--no-privileges: a dump of the embedded cluster restores into an
    // external database whose role has another name, and the other way round.
    await run(tools.pgDump, ['--format=custom', '--no-owner', '--no-privileges', '--enable-row-security', `--file=${partial}`, `--dbname=${target.url}`], { env, maxBuffer: 16 * 1024 * 1024 });
    chmodSync(partial, 0o600);
    const entries = await listEntries(tools, partial);
    renameSync(partial, file);
    const bytes = statSync(file).size;
    return { file, bytes, entries, recorded: await recordBackupRun(target, bytes) };
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof BackupError) throw err;
    throw toolFailure('pg_dump', err);
  }
}

/**
 * Records a finished backup (`backup_runs`), so the alarm checks know the age of the
 * last one. A good dump stays good when this fails (a role without INSERT, a database
 * not yet migrated): false, and the caller says so; the backup-age alarm then tells too.
 */
async function recordBackupRun(target: DumpTarget, bytes: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: target.connectionString, application_name: 'uurwerk-backup' });
  try {
    await client.connect();
    await client.query('INSERT INTO backup_runs (bytes) VALUES ($1)', [bytes]);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function listEntries(tools: PgTools, file: string): Promise<number> {
  try {
    const { stdout } = await run(tools.pgRestore, ['--list', file], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.split('\n').filter((l) => l.trim() && !l.startsWith(';')).length;
  } catch (err) {
    throw toolFailure('pg_restore --list (the dump could not be read back)', err);
  }
}

/** Sessions of the appliance (not our own) connected to the database. */
async function otherSessions(client: pg.Client): Promise<string[]> {
  const res = await client.query<{ application_name: string }>(
    `SELECT application_name FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  );
  return res.rows.map((r) => r.application_name || '(unnamed)');
}

/** Options of `restoreDatabase`. */
export interface RestoreOptions {
  /** Restore even though other sessions are connected (the service is running). */
  force?: boolean;
}

/**
 * Replaces the application database's contents with a dump. Refuses while other
 * sessions are connected (stop the service first) unless `force`. Every schema the
 * database user owns (and `public`, owned by pg_database_owner since PostgreSQL 15)
 * is dropped first, so tables of a newer version that the dump
 * does not know do not survive next to restored data; the restore itself runs in
 * one transaction and stops at the first error.
 */
export async function restoreDatabase(target: DumpTarget, tools: PgTools, inFile: string, opts: RestoreOptions = {}): Promise<number> {
  const file = path.resolve(inFile);
  if (!existsSync(file)) throw new BackupError(`${file}: no such file`);
  const entries = await listEntries(tools, file);
  const client = new pg.Client({ connectionString: target.connectionString, application_name: 'uurwerk-restore' });
  await client.connect();
  try {
    const others = await otherSessions(client);
    if (others.length > 0 && !opts.force) {
      throw new BackupError(
        `${others.length} other session(s) are connected (${[...new Set(others)].join(', ')}): stop the service first (systemctl stop uurwerk) or pass --force`,
      );
    }
    const owned = await client.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace
        WHERE (pg_has_role(current_user, nspowner, 'USAGE') OR nspname = 'public')
          AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`,
    );
    await client.query('BEGIN');
    for (const { nspname } of owned.rows) await client.query(`DROP SCHEMA ${client.escapeIdentifier(nspname)} CASCADE`);
    await client.query('CREATE SCHEMA IF NOT EXISTS public');
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
  try {
    await run(
      tools.pgRestore,
      ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', `--dbname=${target.url}`, file],
      { env: toolEnv(target), maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    throw toolFailure('pg_restore', err);
  }
  return entries;
}

/** Outcome of checking a restored database against the keys on this machine. */
export interface DecryptCheck {
  /** `ok`: the canary decrypts; `mismatch`: it does not (wrong keyring); `unavailable`: nothing to check yet. */
  status: 'ok' | 'mismatch' | 'unavailable';
  detail: string;
}

/** A check that the restored database's ciphertexts open with the keyring at hand. */
export type DecryptChecker = (db: Knex, config: Readonly<Config>, logger: Logger) => Promise<DecryptCheck>;

/**
 * The canary check after a restore: the keyring in `keys.dir` (default
 * `<data_dir>/keys`) must hold every KEK version the restored database uses and
 * each must decrypt its canary — the same check the appliance makes at start
 * (`verifyKeyring`), but never adopting the keyring into the database.
 */
export const checkRestoredDatabaseDecrypts: DecryptChecker = async (db, config, logger) => {
  const dir = keyringDir(config);
  const canaries = await listCanaries(db);
  if (!keyringPresent(dir)) {
    if (canaries.length === 0) return { status: 'unavailable', detail: `neither the database nor ${dir} holds keys yet` };
    return { status: 'mismatch', detail: `no keyring at ${dir}, but the database uses KEK version(s) ${canaries.map((c) => c.kek_version).join(', ')}` };
  }
  if (canaries.length === 0) return { status: 'unavailable', detail: 'the restored database has no KEK canary yet (no key was ever used with it)' };
  try {
    await verifyKeyring(db, loadKeyring(dir), { logger, adopt: false });
  } catch (err) {
    if (err instanceof KeyringError) return { status: 'mismatch', detail: err.message };
    throw err;
  }
  return { status: 'ok', detail: `KEK version(s) ${canaries.map((c) => c.kek_version).join(', ')} in ${dir} decrypt the database's canaries` };
};

/**
 * Erasure survives restore: every data key the shred ledger beside the keyring names
 * that the restored database still holds is destroyed again (one `keys.shred_replayed`
 * event), and tombstones the ledger lacks are appended to it. Throws a KeyringError
 * when the ledger is missing while the restored database shows shredding.
 */
export async function replayAfterRestore(db: Knex, config: Readonly<Config>, opts: KeyOpsOptions): Promise<ReplayOutcome> {
  return replayShredLedger(db, openShredLedger(keyringDir(config)), opts);
}
