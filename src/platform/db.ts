import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { type Config, readSecret } from './config.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import type { Logger } from './logger.js';
import { migrationsDir } from './paths.js';
import { enablePrepared, registerPool, releasedWithBeginPending, wrapPooledConnection } from './prepared.js';

export type { Knex };

/** Where the database is and, when embedded, how to stop it. */
export interface DatabaseTarget {
  connection: Knex.PgConnectionConfig;
  embedded?: EmbeddedPostgres;
  /** The URL without its password, for log lines. */
  display: string;
}

/**
 * Resolves `database.*`: an external PostgreSQL when `database.url` is set (its
 * `sslmode` is honoured by node-postgres; `ssl_ca_file` adds the CA to trust),
 * otherwise an embedded cluster under `<data_dir>/postgres` started now.
 */
export async function openDatabaseTarget(config: Readonly<Config>, logger: Logger): Promise<DatabaseTarget> {
  const db = config.database;
  if (db.url) {
    const url = new URL(db.url);
    // node-postgres reads sslmode/sslrootcert from the URL and lets them override an
    // `ssl` object, so the CA file is passed the same way; no sslmode means verify-full.
    if (db.ssl_ca_file && !url.searchParams.has('sslrootcert')) {
      url.searchParams.set('sslrootcert', db.ssl_ca_file);
      if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'verify-full');
    }
    if (db.password_file) url.password = encodeURIComponent(readSecret(db.password_file));
    const connection: Knex.PgConnectionConfig = { connectionString: url.toString() };
    return { connection, display: redactUrl(db.url) };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.data_dir, port: db.embedded.port, logger, database: 'uurwerk',
  });
  return { connection: { connectionString: embedded.url }, embedded, display: redactUrl(embedded.url) };
}

/**
 * Creates the knex pool every domain receives explicitly (no global handle). The pool
 * is bounded (`pool_max`) and a caller waits at most `acquire_timeout_ms` for a
 * connection: knex's own default is 60 s, which under overload queues requests
 * forever instead of refusing them (the error handler answers 503 + Retry-After).
 */
export function createKnex(connection: Knex.PgConnectionConfig, config: Pick<Config, 'database'>, appName = 'uurwerk', logger?: Pick<Logger, 'warn'>): Knex {
  const poolKey = {};
  const db = knexFactory({
    client: 'pg',
    connection: { ...connection, application_name: appName, statement_timeout: config.database.statement_timeout_ms } as Knex.PgConnectionConfig,
    pool: {
      min: 0, max: config.database.pool_max,
      // Named (prepared) hot statements, once `enablePreparedStatements` was called (prepared.ts).
      afterCreate: (conn: Parameters<typeof wrapPooledConnection>[0], done: (err: Error | null, conn: unknown) => void) => {
        wrapPooledConnection(conn, poolKey);
        done(null, conn);
      },
    },
    acquireConnectionTimeout: config.database.acquire_timeout_ms,
    // Every refused request would print a stack to stderr; the 503 is the report.
    log: { warn: (message: unknown) => { if (!String(message).startsWith('Acquire connection error')) process.stderr.write(`${String(message)}\n`); } },
    migrations: { migrationSource: new MigrationSource(migrationsDir), tableName: 'knex_migrations' },
  });
  registerPool(db, poolKey, config.database.prepared_statements !== false, logger);
  // A connection that comes back still holding back a BEGIN is disposed, never handed out again.
  const client = db.client as { releaseConnection(conn: unknown): Promise<unknown> };
  const release = client.releaseConnection.bind(client);
  client.releaseConnection = (conn: unknown) => {
    releasedWithBeginPending(conn as Parameters<typeof releasedWithBeginPending>[0]);
    return release(conn);
  };
  return db;
}

/**
 * From now on the pool sends hot statements prepared (src/platform/prepared.ts): after
 * migrations, not before; never with `database.prepared_statements: false`.
 */
export function enablePreparedStatements(db: Knex): void {
  enablePrepared(db);
}

/** Replaces the password in a connection URL with `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/**
 * Loads migrations from `migrations/` by name *without* extension, so a database
 * migrated from a checkout (`.ts`, run by tsx) and one migrated by the bundle
 * (`.js`) record the same names.
 */
export class MigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<string[]> {
    return readdirSync(this.dir)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js)$/, '');
  }

  async getMigration(file: string): Promise<Knex.Migration> {
    return (await import(pathToFileURL(path.join(this.dir, file)).href)) as Knex.Migration;
  }
}

let expected: Promise<string[]> | undefined;

/**
 * Migration names expected by this code, in order. The files ship with the code and
 * do not change while it runs, so the directory is read once (/readyz asks often).
 */
export function expectedMigrations(): Promise<string[]> {
  const src = new MigrationSource(migrationsDir);
  expected ??= src.getMigrations().then((files) => files.map((f) => src.getMigrationName(f)));
  return expected;
}

/** Applied and pending migrations, for `uurwerk migrate --status` and /readyz. */
export async function migrationStatus(knex: Knex): Promise<{ applied: string[]; pending: string[] }> {
  const expected = await expectedMigrations();
  const hasTable = await knex.schema.hasTable('knex_migrations');
  const applied = hasTable
    ? (await knex('knex_migrations').select('name').orderBy('id')).map((r: { name: string }) => r.name)
    : [];
  const done = new Set(applied);
  return { applied, pending: expected.filter((n) => !done.has(n)) };
}

/** Applies every pending migration; returns the names applied now. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest()) as [number, string[]];
  return applied;
}
