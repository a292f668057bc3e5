import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createKnex, migrateLatest, migrationStatus, openDatabaseTarget, type DatabaseTarget, type Knex } from './db.js';
import { createHttpApp, type HttpDeps } from './http/app.js';
import { startJobs, type Jobs } from './jobs.js';
import type { Logger } from './logger.js';
import { createTransport } from './mail/delivery.js';
import { packageVersion } from './paths.js';
import { loadTls } from './tls.js';
import type { DiskKeyring } from '../keys/keyring.js';
import type { KeyService } from '../keys/types.js';
import { checkpointAndLog } from '../audit/checkpoints.js';
import { bindAsUser } from '../directory/user-bind.js';
import type { DirectoryAuthenticator } from '../identity/auth-service.js';
import { identityModule, operatorModule } from '../identity/module.js';
import { timesheetsModule } from '../timesheets/module.js';
import { AppError } from './errors.js';
import { isLoopback } from './net.js';
import { recordConfigChange } from './config-audit.js';
import { openCoreServices, type CoreServices } from './services.js';

/** A running appliance. */
export interface Appliance {
  url: string;
  db: Knex;
  jobs?: Jobs;
  server: Server;
  target: DatabaseTarget;
  /** The keyring, opened and checked against the database before serving. */
  keyring: DiskKeyring;
  /** Encryption at rest for every domain. */
  keys: KeyService;
  /** Keyring, key service and audit log, as every domain receives them. */
  services: CoreServices;
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

    // Keys before anything serves: loose permissions, a missing key or a KEK that does
    // not match the database stop the start here, not at the first encrypted read.
    const services = await openCoreServices(config, db, logger);
    const { keyring, keys, audit } = services;
    const changedKeys = await recordConfigChange(db, audit, config);
    if (changedKeys.length) log.info({ changed: changedKeys.length }, 'configuration changed since the last start (recorded in the audit log)');
    const tls = config.server.tls ? loadTls(config.server.tls) : undefined;

    let jobs: Jobs | undefined;
    if (opts.jobs !== false) {
      jobs = await startJobs({
        connectionString: String(target.connection.connectionString), db, config, logger, transport: createTransport(config.mail),
        directoryAudit: audit, keyring, mailCipher: keys,
      });
      const j = jobs;
      undo.push(() => j.stop(1000));
    }

    const directory: DirectoryAuthenticator | undefined = config.directory.urls.length
      ? {
          async verify(dn, password) {
            try {
              return await bindAsUser(config.directory, dn, password, logger);
            } catch {
              throw new AppError(503, 'directory_unavailable', 'The directory cannot be reached to check the password; try again later');
            }
          },
        }
      : undefined;
    const authDeps = { db, config, keys, audit, logger, directory };
    const domains = [identityModule(authDeps, tls !== undefined), operatorModule(authDeps), timesheetsModule({ db, config, keys, audit })];
    const app = createHttpApp({ config, db, logger, version: packageVersion(), extendApi: opts.extendApi, tls: tls !== undefined, domains });
    const server: Server = tls ? createHttpsServer(tls.options, app.callback()) : createServer(app.callback());
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
    const url = `${tls ? 'https' : 'http'}://${host}:${addr.port}`;
    log.info({ url, database: target.display, keyring: keyring.dir }, `Uurwerk listens on ${url}`);
    if (tls) {
      log.info({ subject: tls.subject, validTo: tls.validTo.toISOString(), fingerprint256: tls.fingerprint256, minVersion: tls.options.minVersion }, 'TLS on: HSTS and Secure cookies');
      if (tls.validTo.getTime() - Date.now() < 30 * 24 * 3600 * 1000) log.warn({ validTo: tls.validTo.toISOString() }, 'the TLS certificate expires within 30 days');
    } else if (!isLoopback(config.server.host)) {
      log.warn(
        { host: config.server.host },
        'NO TLS: listening on a non-loopback address over plain HTTP; passwords, session cookies and time data cross the network in clear text. Set server.tls.cert_file and server.tls.key_file (or run `uurwerk tls:generate`), or listen on 127.0.0.1 behind a TLS-terminating proxy',
      );
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
      // Sign what was appended since the last checkpoint, so a deleted tail is detectable.
      await checkpointAndLog(db, keyring, logger, 'shutdown');
      await db.destroy();
      if (target.embedded) await target.embedded.stop();
      log.info('stopped');
    })());
    return { url, db, jobs, server, target, keyring, keys, services, stop };
  } catch (err) {
    await unwind();
    throw err;
  }
}
