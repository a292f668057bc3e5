import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from '../platform/config.js';
import { createLogger, type Logger } from '../platform/logger.js';
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
}

/** Messages between the threads. */
type ToWorker = { stop: true };
type FromWorker = { ready: string } | { failed: string } | { stopped: true };

const START_TIMEOUT_MS = 60_000;

/** The running agent server, as the main thread holds it. */
export interface AgentServer {
  url: string;
  /** Whether the thread still runs (`/readyz` answers 503 once it died). */
  running(): boolean;
  /** Graceful stop: the worker finishes its requests and closes its pool; ended after `withinMs` at the latest. */
  stop(withinMs: number): Promise<void>;
  /** Ends the thread now. */
  abort(): Promise<void>;
}

/** Starts the agent thread; resolves with its URL once it listens. */
export async function startAgentServer(config: Readonly<Config>, databaseUrl: string | undefined, log: Logger): Promise<AgentServer> {
  const data = { workerData: { agentServer: true, config, databaseUrl } satisfies AgentWorkerData };
  const self = new URL(import.meta.url);
  // From TypeScript sources (npm run dev, the benches) the thread loads tsx first; a worker does not inherit the main thread's loader hooks.
  const worker = self.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); })`, { eval: true, ...data })
    : new Worker(self, data);
  let startTimer: NodeJS.Timeout | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    startTimer = setTimeout(() => reject(new Error(`the agent server did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the agent server thread ended at start (exit ${code})`)));
    worker.once('message', (m: FromWorker) => ('ready' in m ? resolve(m.ready) : reject(new Error(`the agent server did not start: ${'failed' in m ? m.failed : 'unknown'}`))));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  }).finally(() => clearTimeout(startTimer));
  worker.removeAllListeners();
  let ended = false;
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => {
    ended = true;
    resolve();
  }));
  worker.on('error', (err) => log.error({ err }, 'agent server thread failed'));
  void exited.then(() => {
    if (!stopping) log.error('the agent server thread ended; agents get no answer on capture.agent_port until the next start');
  });
  return {
    url,
    running: () => !ended,
    async stop(withinMs) {
      stopping = true;
      if (ended) return;
      worker.postMessage({ stop: true } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), withinMs)));
      if ((await Promise.race([exited, late])) === 'late') {
        log.warn('the agent server did not stop in time; ending its thread');
        await worker.terminate();
      }
      clearTimeout(timer);
    },
    async abort() {
      stopping = true;
      if (!ended) await worker.terminate();
    },
  };
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
  const logger = createLogger(config).child({ thread: 'agents' });
  let app: Appliance;
  try {
    app = await startAppliance(config, logger, { jobs: false, agentServer: true });
  } catch (err) {
    logger.error({ err }, 'agent server: start failed');
    port.postMessage({ failed: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
    return;
  }
  port.on('message', (m: ToWorker) => {
    if (!m.stop) return;
    void app.stop().finally(() => {
      port.postMessage({ stopped: true } satisfies FromWorker);
      port.close();
    });
  });
  port.postMessage({ ready: app.url } satisfies FromWorker);
}

if (parentPort && (workerData as { agentServer?: unknown } | undefined)?.agentServer === true) void runWorker(workerData as AgentWorkerData);
