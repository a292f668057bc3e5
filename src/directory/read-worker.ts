/**
 * Worker thread entry: reads the directory for one sync run (connect, bind, the paged
 * searches, mapping entries to users) off the server's event loop, at a lower CPU
 * priority than the thread that answers requests, and posts the result back in
 * chunks (src/directory/worker-read.ts starts it and puts the chunks together).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { DirectorySyncError } from './errors.js';
import { connectDirectory } from './ldap.js';
import { readDirectory } from './read.js';
import type { ReadRequest, WorkerMessage } from './worker-read.js';

/** Items per message: each message is deserialised as one task on the server's event loop. */
const CHUNK = 250;

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

/**
 * Lowers this thread's priority (Linux: a thread id is a pid to setpriority), so the
 * requests the main thread answers get the CPU first. Best effort: elsewhere, or
 * without /proc, the read runs at the normal priority.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed: the normal priority
  }
}

async function main(req: ReadRequest): Promise<void> {
  lowerPriority();
  // Log lines go to the main thread's logger (with its redaction and destination).
  const logger = pino({ level: 'debug' }, { write: (line: string) => post({ type: 'log', line }) });
  let url: string | null = null;
  try {
    const reader = await connectDirectory(req.config, logger);
    url = reader.url;
    try {
      const r = await readDirectory(reader, req.prev, req.config, req.full, new Date(req.started));
      for (let i = 0; i < r.users.length; i += CHUNK) post({ type: 'users', users: r.users.slice(i, i + CHUNK) });
      for (let i = 0; i < r.groups.length; i += CHUNK) post({ type: 'groups', groups: r.groups.slice(i, i + CHUNK) });
      post({ type: 'done', mode: r.mode, server: r.server, deleted: [...r.deleted], outOfScope: [...r.outOfScope], references: r.references, skipped: r.skipped });
    } finally {
      await reader.close();
    }
  } catch (err) {
    const e = err instanceof DirectorySyncError ? err : null;
    post({ type: 'error', code: e?.code ?? null, message: err instanceof Error ? err.message : String(err), url });
  }
}

await main(workerData as ReadRequest);
