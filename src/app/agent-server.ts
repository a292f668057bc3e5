import { parentPort, Worker, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from '../platform/config.js';
import { createLogger, type Logger } from '../platform/logger.js';
import type { MetricsSnapshot } from '../platform/metrics.js';
import { startAppliance, type Appliance } from './appliance.js';

/**
 * The agent API on a port of its own (`capture.agent_port`), served by a worker
 * thread: its own event loop, database pool and caches, like a second node of the
 * same appliance, answering only `/api/v1/aw/…`. Node serves a port on one thread,
 * so with hundreds of ActivityWatch agents sending heartbeats, people's pages queued
 * behind them; with the agents on their own thread the pages keep their own loop
 * (issue 17: interactive p99 within 2 × idle while the agents send). The thread
 * starts before the main server listens and stops before the database does.
 */

/** What the main thread hands the worker. */
interface AgentWorkerData {
  agentServer: true;
  config: Config;
  /** The embedded database's URL, when the main thread started one (else `database.*` as configured). */
  databaseUrl?: string;
  /** Where the main thread logs: its file when it logs to one (else standard output), its level and bindings. */
  log: { file?: string; level: string; bindings: Record<string, unknown> };
}

/** Messages between the threads. */
type ToWorker = { stop: true } | { metrics: number };
type FromWorker = { ready: string } | { failed: string } | { metrics: number; snapshot: MetricsSnapshot };

/** How long a scrape of the main port waits for the thread's counts. */
const METRICS_TIMEOUT_MS = 1_000;

const START_TIMEOUT_MS = 60_000;

/** The first replacement waits this long; each further failure doubles the wait, up to `RESTART_MAX_MS`. */
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 60_000;
/** A thread that ran this long before it ended starts the waits from the first again. */
const RESTART_RESET_AFTER_MS = 60_000;

/** The running agent server, as the main thread holds it. */
export interface AgentServer {
  url: string;
  /** Whether a thread serves the port now (`/readyz` answers 503 while none does). */
  running(): boolean;
  /** How many times a thread that had ended was replaced. */
  restarts(): number;
  /** The thread's request counts (`/metrics`); undefined while no thread runs or when it does not answer within a second. */
  metricsSnapshot(): Promise<MetricsSnapshot | undefined>;
  /** Graceful stop: the worker finishes its requests and closes its pool; ended after `withinMs` at the latest. */
  stop(withinMs: number): Promise<void>;
  /** Ends the thread now. */
  abort(): Promise<void>;
  /** Ends the running thread as a fault would, so the replacement can be seen (tests). */
  endThreadForTest(): Promise<void>;
}

/** Starts one agent thread; resolves once it listens. */
async function spawnThread(data: AgentWorkerData, hold: (worker: Worker) => void = () => undefined): Promise<{ worker: Worker; url: string }> {
  const options = { workerData: data };
  const self = new URL(import.meta.url);
  // From TypeScript sources (npm run dev, the benches) the thread loads tsx first; a worker does not inherit the main thread's loader hooks.
  const worker = self.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); })`, { eval: true, ...options })
    : new Worker(self, options);
  hold(worker);
  let startTimer: NodeJS.Timeout | undefined;
  // Removed one by one once started: `removeAllListeners()` would also drop the Worker's
  // own hooks that keep its message port referenced, and later messages would wait.
  const listeners: Array<[string, Parameters<Worker['once']>[1]]> = [];
  const url = await new Promise<string>((resolve, reject) => {
    startTimer = setTimeout(() => reject(new Error(`the agent server did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    listeners.push(
      ['error', reject],
      ['exit', (code: number) => reject(new Error(`the agent server thread ended at start (exit ${code})`))],
      ['message', (m: FromWorker) => ('ready' in m ? resolve(m.ready) : reject(new Error(`the agent server did not start: ${'failed' in m ? m.failed : 'unknown'}`)))],
    );
    for (const [event, fn] of listeners) worker.once(event, fn);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  }).finally(() => clearTimeout(startTimer));
  for (const [event, fn] of listeners) worker.off(event, fn);
  return { worker, url };
}

/**
 * Starts the agent thread; resolves with its URL once it listens. A thread that ends
 * on its own (a fault, not a stop) is logged and replaced after 1 s; each further
 * failure (a replacement that does not start, or a thread that ends within a minute of
 * its start) doubles the wait, up to a minute. While none runs, `/readyz` says so.
 */
export async function startAgentServer(config: Readonly<Config>, databaseUrl: string | undefined, log: Logger): Promise<AgentServer> {
  const data: AgentWorkerData = { agentServer: true, config, databaseUrl, log: logTarget(log) };
  const first = await spawnThread(data);
  let current: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopping = false;
  /** A replacement thread while it starts. */
  let starting: Worker | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let startedAt = 0;
  let restarts = 0;
  /** Scrapes waiting for the thread's counts, by request number. */
  const asked = new Map<number, (snapshot: MetricsSnapshot | undefined) => void>();
  let asks = 0;

  const schedule = (why: Record<string, unknown>) => {
    const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** failures);
    failures++;
    log.error({ ...why, restartInMs: delay }, 'the agent server thread is not running; agents get no answer on capture.agent_port until it is replaced');
    timer = setTimeout(() => void replace(), delay);
    timer.unref();
  };
  const watch = (worker: Worker) => {
    current = worker;
    startedAt = Date.now();
    worker.on('error', (err) => log.error({ err }, 'agent server thread failed'));
    worker.on('message', (m: FromWorker) => {
      if ('metrics' in m) asked.get(m.metrics)?.(m.snapshot);
    });
    exited = new Promise<void>((resolve) => worker.once('exit', (code) => {
      current = undefined;
      for (const answer of asked.values()) answer(undefined);
      resolve();
      if (stopping) return;
      if (Date.now() - startedAt >= RESTART_RESET_AFTER_MS) failures = 0;
      schedule({ exitCode: code });
    }));
  };
  const replace = async () => {
    timer = undefined;
    if (stopping) return;
    try {
      const { worker } = await spawnThread(data, (w) => (starting = w));
      if (stopping) return; // ended by stop() or abort()
      watch(worker);
      restarts++;
      log.warn({ restarts }, 'a new agent server thread serves capture.agent_port');
    } catch (err) {
      if (!stopping) schedule({ err });
    } finally {
      starting = undefined;
    }
  };
  // A replacement still starting when the appliance stops is ended, not left to finish.
  const endStarting = async () => {
    if (starting) await starting.terminate();
  };

  watch(first.worker);
  return {
    url: first.url,
    running: () => current !== undefined,
    restarts: () => restarts,
    metricsSnapshot() {
      const worker = current;
      if (!worker) return Promise.resolve(undefined);
      const id = ++asks;
      return new Promise<MetricsSnapshot | undefined>((resolve) => {
        const timer = setTimeout(() => answer(undefined), METRICS_TIMEOUT_MS);
        const answer = (snapshot: MetricsSnapshot | undefined) => {
          clearTimeout(timer);
          asked.delete(id);
          resolve(snapshot);
        };
        asked.set(id, answer);
        worker.postMessage({ metrics: id } satisfies ToWorker);
      });
    },
    async stop(withinMs) {
      stopping = true;
      clearTimeout(timer);
      const worker = current;
      if (!worker) return endStarting();
      worker.postMessage({ stop: true } satisfies ToWorker);
      let late: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => (late = setTimeout(() => resolve('late'), withinMs)));
      if ((await Promise.race([exited, deadline])) === 'late') {
        log.warn('the agent server did not stop in time; ending its thread');
        await worker.terminate();
      }
      clearTimeout(late);
    },
    async abort() {
      stopping = true;
      clearTimeout(timer);
      if (current) await current.terminate();
      await endStarting();
    },
    async endThreadForTest() {
      if (current) await current.terminate();
    },
  };
}

/**
 * The thread logs where the main thread does: to the same file (appended line by line)
 * when the main logger writes to one, else to standard output as the main one does;
 * at its level and with its bindings (less `module`, which each part sets, and the base `app`).
 */
function logTarget(log: Logger): AgentWorkerData['log'] {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { file?: unknown } | undefined;
  const file = typeof stream?.file === 'string' ? stream.file : undefined;
  // `app` is every logger's base (createLogger) already; a second copy would repeat the key in each line.
  const { module: _module, app: _app, ...bindings } = log.bindings();
  return { file, level: log.level, bindings };
}

/** The worker's side: one appliance without jobs, answering the agent API only. */
async function runWorker(data: AgentWorkerData): Promise<void> {
  const port = parentPort!;
  const base = data.config;
  const config: Config = {
    ...base,
    // The embedded database as the main thread started it (its password and TLS files do not apply to it).
    database: { ...base.database, ...(data.databaseUrl ? { url: data.databaseUrl, password_file: undefined, ssl_ca_file: undefined } : {}), migrate_on_start: false },
    // Its stop must fit in the main thread's: the main one still chains, checkpoints and stops the database after it.
    server: { ...base.server, port: base.capture.agent_port, shutdown_timeout_seconds: Math.max(1, base.server.shutdown_timeout_seconds - 4) },
  };
  const logConfig = { log: { ...config.log, level: data.log.level as Config['log']['level'] } };
  const logger = (data.log.file ? createLogger(logConfig, pino.destination({ dest: data.log.file, sync: true, append: true })) : createLogger(logConfig)).child({ ...data.log.bindings, thread: 'agents' });
  let app: Appliance;
  try {
    app = await startAppliance(config, logger, { jobs: false, agentServer: true });
  } catch (err) {
    logger.error({ err }, 'agent server: start failed');
    port.postMessage({ failed: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
    return;
  }
  port.on('message', (m: ToWorker) => {
    if ('metrics' in m) return port.postMessage({ metrics: m.metrics, snapshot: app.metrics.snapshot() } satisfies FromWorker);
    // The main thread waits for the thread's exit, which follows once the port is closed.
    void app.stop().finally(() => port.close());
  });
  port.postMessage({ ready: app.url } satisfies FromWorker);
}

if (parentPort && (workerData as { agentServer?: unknown } | undefined)?.agentServer === true) void runWorker(workerData as AgentWorkerData);
