/**
 * The full read in a worker thread (src/directory/worker-read.ts): its errors come back
 * coded with the server's URL, its log lines reach the main thread's logger, and it
 * runs at a lower CPU priority than the thread that answers requests. No directory is
 * needed: a closed port and a server that accepts and never answers are real sockets.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { pino } from 'pino';
import { readInWorker, WorkerReadError } from '../../src/directory/worker-read.js';
import { freePort } from '../helpers/net.js';
import { directoryConfig } from './support.js';

function bindFile(): string {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'uurwerk-worker-read-')), 'bind');
  writeFileSync(f, 'not-used', { mode: 0o600 });
  return f;
}

test('a full read in the worker: a refused server comes back as a coded error naming it, and its warning reaches the main logger', async (t) => {
  const port = await freePort();
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(l) });
  const config = directoryConfig({ urls: [`ldaps://127.0.0.1:${port}`], base_dns: ['DC=x'], bind_dn: 'CN=svc,DC=x', bind_password_file: bindFile(), timeout_seconds: 5 });
  const err = await t.throwsAsync(readInWorker(config, undefined, true, new Date(), logger));
  t.true(err instanceof WorkerReadError);
  t.is((err as WorkerReadError).code, 'unreachable');
  t.regex(err!.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  const warned = lines.map((l) => JSON.parse(l) as { level: number; msg: string; url?: string }).find((l) => l.msg === 'directory server not usable');
  t.is(warned?.level, 40);
  t.is(warned?.url, `ldaps://127.0.0.1:${port}`);
});

test('the worker reads at a lower CPU priority (nice 10) than the thread that answers requests', async (t) => {
  if (!readdirSync('/proc/self/task').length) return t.fail('needs /proc');
  // A server that accepts and never answers: the read waits in the worker until its timeout.
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const config = directoryConfig({ urls: [`ldaps://127.0.0.1:${port}`], base_dns: ['DC=x'], bind_dn: 'CN=svc,DC=x', bind_password_file: bindFile(), timeout_seconds: 3 });
  const nice = (tid: string) => {
    const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]);
  };
  const reading = readInWorker(config, undefined, true, new Date(), pino({ level: 'silent' })).catch((e: unknown) => e);
  try {
    let lowered = false;
    for (let i = 0; i < 100 && !lowered; i++) {
      await new Promise((r) => setTimeout(r, 50));
      lowered = readdirSync('/proc/self/task').some((tid) => nice(tid) === 10);
    }
    t.true(lowered, 'a thread of this process runs at nice 10 while the worker reads');
    t.is(nice(String(process.pid)), 0, 'the main thread keeps its priority');
    t.true((await reading) instanceof WorkerReadError);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
