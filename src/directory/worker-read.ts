import { Worker } from 'node:worker_threads';
import type { DirectoryConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { DirectoryUser } from './entry.js';
import { DirectorySyncError, type SyncProblemCode } from './errors.js';
import type { DirectoryGroup } from './groups.js';
import type { ServerState } from './ldap.js';
import type { Bookmark, Read } from './read.js';

/** What the read worker is asked to do (its workerData). */
export interface ReadRequest {
  config: DirectoryConfig;
  prev: Bookmark | undefined;
  full: boolean;
  /** ISO time the run started (accounts expired by then are disabled). */
  started: string;
}

/** Messages from the read worker: chunks of the result, then `done` — or an `error`; `log` lines any time. */
export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'users'; users: DirectoryUser[] }
  | { type: 'groups'; groups: DirectoryGroup[] }
  | { type: 'done'; mode: Read['mode']; server: ServerState; deleted: string[]; outOfScope: string[]; references: string[]; skipped: Read['skipped'] }
  | { type: 'error'; code: SyncProblemCode | null; message: string; url: string | null };

/** A read that failed in the worker: the directory's coded error, and the server it was talking to. */
export class WorkerReadError extends DirectorySyncError {
  constructor(code: SyncProblemCode, message: string, readonly url: string | null) {
    super(code, message);
  }
}

/**
 * The worker's module. Under tsx (tests, benchmarks) the sources are TypeScript and a
 * worker does not inherit the loader, so it registers tsx itself before importing.
 */
function startWorker(req: ReadRequest): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(ts ? './read-worker.ts' : './read-worker.js', import.meta.url);
  if (!ts) return new Worker(url, { workerData: req });
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData: req });
}

/** Re-logs a worker's pino line on the main thread's logger at its level. */
function relog(logger: Logger, line: string): void {
  try {
    const { level, msg, time: _time, pid: _pid, hostname: _host, ...rest } = JSON.parse(line) as { level: number; msg?: string; time?: unknown; pid?: unknown; hostname?: unknown };
    const at = level >= 50 ? 'error' : level >= 40 ? 'warn' : level >= 30 ? 'info' : 'debug';
    logger[at](rest, msg ?? '');
  } catch {
    // not a log line: drop it rather than log something unredacted
  }
}

/**
 * Reads the directory for one run in a worker thread (src/directory/read-worker.ts):
 * LDAP parsing and mapping thousands of entries take CPU that would otherwise be
 * taken from the requests on this thread's event loop. Resolves with what
 * `readDirectory` returns; rejects with a coded `WorkerReadError`.
 */
export function readInWorker(config: DirectoryConfig, prev: Bookmark | undefined, full: boolean, started: Date, logger: Logger): Promise<Read> {
  return new Promise((resolve, reject) => {
    const users: DirectoryUser[] = [];
    const groups: DirectoryGroup[] = [];
    let settled = false;
    const worker = startWorker({ config, prev, full, started: started.toISOString() });
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'log') relog(logger, m.line);
      else if (m.type === 'users') users.push(...m.users);
      else if (m.type === 'groups') groups.push(...m.groups);
      else if (m.type === 'done') {
        finish(() => resolve({ mode: m.mode, server: m.server, users, groups, deleted: new Set(m.deleted), outOfScope: new Set(m.outOfScope), references: m.references, skipped: m.skipped }));
      } else {
        finish(() => reject(new WorkerReadError(m.code ?? 'search_failed', m.message, m.url)));
      }
    });
    worker.on('error', (err) => finish(() => reject(new WorkerReadError('search_failed', `the directory read worker failed: ${err.message}`, null))));
    worker.on('exit', (code) => finish(() => reject(new WorkerReadError('search_failed', `the directory read worker exited (${code}) before it finished`, null))));
  });
}
