/**
 * A small bounded HTTP load client for the benchmarks: N keep-alive connections to
 * 127.0.0.1, each sending its next request as soon as the previous one answered,
 * for a fixed time. It runs in a child process so its own work does not share the
 * event loop (or the core) of the server it measures.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

/** One request the client sends; the client cycles through the list. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What to run: where, how many connections, for how long. */
export interface LoadSpec {
  base: string;
  connections: number;
  durationMs: number;
  requests: LoadRequest[];
}

/** Figures of one run: throughput, latency percentiles, and answers that were not 2xx. */
export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The first non-2xx status seen, to tell refusals (503) from faults. */
  firstBadStatus?: number;
}

/** Runs `spec` in a child process and resolves with its figures. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load-client'], { execArgv: ['--import=tsx'] });
    child.once('message', (r) => resolve(r as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`load client exited ${code}`)); });
    child.send(spec);
  });
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function drive(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const latencies: number[] = [];
  let next = 0;
  let non2xx = 0;
  let errors = 0;
  let firstBadStatus: number | undefined;
  const started = performance.now();
  const until = started + spec.durationMs;
  const one = (r: LoadRequest) => new Promise<void>((done) => {
    const t0 = performance.now();
    const req = http.request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        const s = res.statusCode ?? 0;
        if (s < 200 || s >= 300) {
          non2xx++;
          firstBadStatus ??= s;
        }
        done();
      });
    });
    // A request is bounded too: a hung server must not keep the benchmark alive.
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => { errors++; done(); });
    req.end(r.body);
  });
  await Promise.all(Array.from({ length: spec.connections }, async () => {
    while (performance.now() < until) await one(spec.requests[next++ % spec.requests.length]!);
  }));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), non2xx, errors, firstBadStatus };
}

if (process.argv.includes('--load-client') && process.send) {
  process.once('message', (spec) => {
    void drive(spec as LoadSpec).then((r) => process.send!(r, () => process.disconnect()));
  });
}
