import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createKnex, migrateLatest, migrationStatus, openDatabaseTarget, type DatabaseTarget, type Knex } from './db.js';
import { createHttpApp, type HttpDeps } from './http/app.js';
import { startJobs, type Jobs } from './jobs.js';
import type { Logger } from './logger.js';
import { createTransport } from './mail/delivery.js';
import { packageVersion } from './paths.js';

/** A running appliance. */
export interface Appliance {
  url: string;
  db: Knex;
  jobs?: Jobs;
  server: Server;
  target: DatabaseTarget;
  /** Graceful stop: stop accepting, finish in-flight work, stop the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Start the job engine (default true; some tests run without it). */
  jobs?: boolean;
  extendApi?: HttpDeps['extendApi'];
}

/**
 * Starts everything in order: database (embedded or external), migrations, job
 * engine, HTTP server. Each step that succeeded is undone if a later one fails, so a
 * failed start leaves no PostgreSQL running.
 */
export async function startAppliance(config: Readonly<Config>, logger: Logger, opts: StartOptions = {}): Promise<Appliance> {
  const log = logger.child({ module: 'appliance' });
  const undo: Array<() => Promise<void>> = [];
  const unwind = async () => {
    for (const fn of undo.reverse()) await fn().catch((err: unknown) => log.error({ err }, 'error while unwinding start'));
  };
  try {
    const target = await openDatabaseTarget(config, logger);
    if (target.embedded) undo.push(() => target.embedded!.stop());
    const db = createKnex(target.connection, config);
    undo.push(() => db.destroy());

    if (config.database.migrate_on_start) {
      const applied = await migrateLatest(db);
      if (applied.length) log.info({ applied }, 'migrations applied');
    } else {
      const { pending } = await migrationStatus(db);
      if (pending.length) log.warn({ pending }, 'migrations pending; run `uurwerk migrate`');
    }

    let jobs: Jobs | undefined;
    if (opts.jobs !== false) {
      jobs = await startJobs({
        connectionString: String(target.connection.connectionString), db, config, logger, transport: createTransport(config.mail),
      });
      const j = jobs;
      undo.push(() => j.stop(1000));
    }

    const app = createHttpApp({ config, db, logger, version: packageVersion(), extendApi: opts.extendApi });
    const server = createServer(app.callback());
    server.requestTimeout = 60_000;
    server.headersTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const url = `http://${host}:${addr.port}`;
    log.info({ url, database: target.display }, `Uurwerk listens on ${url}`);
    if (!isLoopback(config.server.host)) {
      log.warn({ host: config.server.host }, 'listening on a non-loopback address without TLS: traffic, passwords and cookies cross the network in clear text');
    }

    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= (async () => {
      const deadline = config.server.shutdown_timeout_seconds * 1000;
      log.info('shutting down: no new connections; finishing in-flight requests and jobs');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), Math.max(500, deadline - 3000));
      await closed;
      clearTimeout(timer);
      if (jobs) await jobs.stop(Math.max(500, deadline - 3000));
      await db.destroy();
      if (target.embedded) await target.embedded.stop();
      log.info('stopped');
    })());
    return { url, db, jobs, server, target, stop };
  } catch (err) {
    await unwind();
    throw err;
  }
}

/** True for addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
