import type { Server } from 'node:http';
import { checkpointAndLog } from '../audit/checkpoints.js';
import { startChainTimer, withFlush } from '../audit/chainer.js';
import { recordConfigChange } from '../audit/config-changes.js';
import type { DiskKeyring } from '../keys/keyring.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import { createKnex, enablePreparedStatements, migrateLatest, migrationStatus, openDatabaseTarget, type DatabaseTarget, type Knex } from '../platform/db.js';
import { createHttpApp, type HttpDeps } from '../platform/http/app.js';
import { closeServer, listen } from '../platform/http/server.js';
import type { Logger } from '../platform/logger.js';
import { createTransport } from '../platform/mail/delivery.js';
import { isLoopback } from '../platform/net.js';
import { packageVersion } from '../platform/paths.js';
import { loadTls } from '../platform/tls.js';
import { retentionFindings } from '../retention/findings.js';
import { negotiateLanguage } from '../web/i18n.js';
import { errorPage } from '../web/routes.js';
import { staticDir, staticFiles } from '../web/static-files.js';
import { AGENT_API_PREFIX } from '../capture/agent-gate.js';
import { startAgentServer, type AgentServer } from './agent-server.js';
import { MetricsRegistry } from '../platform/metrics.js';
import { startJobs, type Jobs } from './jobs.js';
import { applianceModules } from './modules.js';
import { openCoreServices, type CoreServices } from './services.js';

/** A running appliance. */
export interface Appliance {
  url: string;
  /** The agent API's own server (`capture.agent_port`), when on (its URL: `agents.url`). */
  agents?: AgentServer;
  db: Knex;
  jobs?: Jobs;
  server: Server;
  target: DatabaseTarget;
  /** The keyring, opened and checked against the database before serving. */
  keyring: DiskKeyring;
  /** Encryption at rest for every domain. */
  keys: KeyService;
  /** What `/metrics` renders (with the agent thread's request counts, `listener="agents"`, when that thread runs). */
  metrics: MetricsRegistry;
  /** Keyring, key service and audit log, as every domain receives them. */
  services: CoreServices;
  /**
   * Graceful stop: stop accepting, finish in-flight work, sign a checkpoint, stop the
   * database. At `server.shutdown_timeout_seconds` the work still in flight is cut and
   * the embedded PostgreSQL is stopped all the same.
   */
  stop(): Promise<void>;
  /** Emergency stop (a second signal): drop every connection and stop the embedded PostgreSQL in fast mode now. */
  abort(reason: string): Promise<void>;
}

export interface StartOptions {
  /** Start the job engine (default true; some tests run without it). */
  jobs?: boolean;
  /**
   * This is the agent API's own server (a worker thread, `capture.agent_port`): it
   * answers `/api/v1/aw/…` only, records no configuration change and signs no
   * checkpoint at shutdown (the main server does both).
   */
  agentServer?: boolean;
  extendApi?: HttpDeps['extendApi'];
}

/**
 * Starts everything in order: database (embedded or external), migrations, keys and
 * audit log, job engine, HTTP server. Each step that succeeded is undone if a later
 * one fails, so a failed start leaves no PostgreSQL running.
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
    const db = createKnex(target.connection, config, 'uurwerk', logger);
    undo.push(() => db.destroy());

    if (config.database.migrate_on_start) {
      const applied = await migrateLatest(db);
      if (applied.length) log.info({ applied }, 'migrations applied');
    } else {
      const { pending } = await migrationStatus(db);
      if (pending.length) log.warn({ pending }, 'migrations pending; run `uurwerk migrate`');
    }
    enablePreparedStatements(db);

    // Keys before anything serves: loose permissions, a missing key or a KEK that does
    // not match the database stop the start here, not at the first encrypted read.
    const services = await openCoreServices(config, db, logger, { replayLedger: !opts.agentServer });
    const { keyring, keys, audit } = services;
    const changedKeys = opts.agentServer ? [] : await recordConfigChange(db, audit, config);
    if (changedKeys.length) log.info({ changed: changedKeys.length }, 'configuration changed since the last start (recorded in the audit log)');
    // Group commit: the start's events, and any a crash left staged, are chained now; then every second as a fallback.
    await audit.flush();
    const stopChaining = startChainTimer(() => audit.flush(), logger);
    undo.push(() => stopChaining(false));
    // Retention settings below a legal minimum or above the default (weaker privacy): named at every start.
    for (const f of retentionFindings(config)) log.warn({ key: f.key, finding: f.kind, setting: f.setting, reference: f.reference }, `retention policy: ${f.key}: ${f.message}`);
    const tls = config.server.tls ? loadTls(config.server.tls) : undefined;
    const metrics = new MetricsRegistry();
    const modules = applianceModules({ db, config, logger, services, transport: createTransport(config.mail), tls: tls !== undefined, metrics });

    let jobs: Jobs | undefined;
    if (opts.jobs !== false) {
      const auditLog = logger.child({ module: 'audit' });
      jobs = await startJobs({ connectionString: String(target.connection.connectionString), config, logger, modules, aroundJob: (fn) => withFlush(() => audit.flush(), auditLog, fn) });
      const j = jobs;
      undo.push(() => j.stop(1000));
    }

    // The agent API on its own port and thread (capture.agent_port), started before the main
    // server listens: once /readyz answers, the whole appliance is up.
    let agents: AgentServer | undefined;
    if (!opts.agentServer && config.capture.agent_port > 0) {
      agents = await startAgentServer(config, target.embedded ? String(target.connection.connectionString) : undefined, log);
      const a = agents;
      undo.push(() => a.abort());
      // Its requests are counted in its own thread; the main port's /metrics shows them too.
      metrics.addSource({ listener: 'agents' }, () => a.metricsSnapshot());
    }

    const app = createHttpApp({
      config, db, logger, version: packageVersion(), extendApi: opts.extendApi, tls: tls !== undefined, domains: modules,
      errorPage: errorPage(config),
      language: (input) => negotiateLanguage(input, config.ui.default_language),
      staticFiles: staticFiles(staticDir),
      only: opts.agentServer ? AGENT_API_PREFIX : undefined,
      // A dead agent thread shows in the main port's readiness.
      notReady: () => (agents && !agents.running() ? 'agent_server_down' : undefined),
    });
    const { server, url } = await listen(app, { host: config.server.host, port: config.server.port, tls });
    undo.push(() => closeServer(server, 1000));
    log.info({ url, database: target.display, keyring: keyring.dir }, opts.agentServer ? `Uurwerk's agent API listens on ${url}${AGENT_API_PREFIX}` : `Uurwerk listens on ${url}`);

    if (tls) {
      log.info({ subject: tls.subject, validTo: tls.validTo.toISOString(), fingerprint256: tls.fingerprint256, minVersion: tls.options.minVersion }, 'TLS on: HSTS and Secure cookies');
      if (tls.validTo.getTime() - Date.now() < 30 * 24 * 3600 * 1000) log.warn({ validTo: tls.validTo.toISOString() }, 'the TLS certificate expires within 30 days');
    } else if (!isLoopback(config.server.host)) {
      log.warn(
        { host: config.server.host },
        'NO TLS: listening on a non-loopback address over plain HTTP; passwords, session cookies and time data cross the network in clear text. Set server.tls.cert_file and server.tls.key_file (or run `uurwerk tls:generate`), or listen on 127.0.0.1 behind a TLS-terminating proxy',
      );
    }

    const { stop, abort } = shutdownSteps({ config, log, logger, db, target, server, jobs, keyring, stopChaining, agents, checkpoint: !opts.agentServer });
    return { url, agents, db, jobs, server, target, keyring, keys, metrics, services, stop, abort };
  } catch (err) {
    await unwind();
    throw err;
  }
}

interface ShutdownParts {
  config: Readonly<Config>;
  log: Logger;
  logger: Logger;
  db: Knex;
  target: DatabaseTarget;
  server: Server;
  jobs?: Jobs;
  keyring: DiskKeyring;
  /** Ends the audit chain timer; with `true`, chains what is still staged first. */
  stopChaining: (final?: boolean) => Promise<void>;
  /** The agent API's thread, stopped with the server. */
  agents?: AgentServer;
  /** Sign a checkpoint at shutdown (the main server; not the agent thread). */
  checkpoint: boolean;
}

/**
 * The two ways down. Both end with the embedded PostgreSQL stopped: a cluster left
 * running has no owner, and the next start must first find and stop it.
 */
function shutdownSteps(p: ShutdownParts): Pick<Appliance, 'stop' | 'abort'> {
  const { config, log, db, target, server, jobs } = p;
  let databaseStopping: Promise<void> | undefined;
  // Once only, and every caller waits for the same pg_ctl run (stop and abort may overlap).
  const stopDatabase = () => (databaseStopping ??= target.embedded ? target.embedded.stop() : Promise.resolve());

  const abort = async (reason: string): Promise<void> => {
    log.warn({ reason }, 'stopping now: dropping connections and stopping the database (fast mode)');
    server.closeAllConnections();
    void p.agents?.abort();
    void p.stopChaining(false);
    // `pg_ctl stop -m fast` ends every session, so statements in flight fail at once
    // instead of holding the pool (and the exit) until their statement timeout.
    await stopDatabase();
    void db.destroy().catch(() => undefined);
  };

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    const deadline = config.server.shutdown_timeout_seconds * 1000;
    log.info('shutting down: no new connections; finishing in-flight requests and jobs');
    const graceful = (async () => {
      await Promise.all([closeServer(server, Math.max(500, deadline - 3000)), p.agents?.stop(Math.max(500, deadline - 3000))]);
      if (jobs) await jobs.stop(Math.max(500, deadline - 3000));
      // Chain what is still staged, so the checkpoint below covers it; if that fails the
      // events stay staged and the next start chains them.
      await p.stopChaining(true).catch((err: unknown) => log.error({ err }, 'audit chain pass at shutdown failed; the next start chains the staged events'));
      // Sign what was appended since the last checkpoint, so a deleted tail is detectable.
      if (p.checkpoint) await checkpointAndLog(db, p.keyring, p.logger, 'shutdown');
      await db.destroy();
    })();
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<'cut'>((resolve) => (timer = setTimeout(() => resolve('cut'), deadline)));
    try {
      const outcome = await Promise.race([graceful.then(() => 'done' as const), cut]);
      if (outcome === 'cut') {
        graceful.catch((err: unknown) => log.debug({ err }, 'in-flight work ended by the shutdown deadline'));
        await abort('shutdown deadline reached with work still in flight');
      }
    } finally {
      clearTimeout(timer);
      // Also when a graceful step failed: the database must not outlive the server.
      await stopDatabase();
    }
    log.info('stopped');
  })());
  return { stop, abort };
}
