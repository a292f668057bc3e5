import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Middleware } from 'koa';
import type { AppState } from './http/context.js';
import type { DomainModule } from './module.js';

/**
 * `/metrics` in the Prometheus text format (0.0.4). The platform knows no domain:
 * domains register their gauges (read at scrape time) and counters on the registry
 * the composition root hands them; the registry itself measures requests per route
 * pattern (never the path as sent, so no date or name from a URL reaches a label).
 * Labels carry names of things (queues, alarm kinds, routes), never personal data.
 */

type Labels = Record<string, string>;

/** One sample of a gauge read at scrape time. */
export interface GaugeSample {
  labels?: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Its sample lines, with the series another part of the appliance counted (`addSource`). */
  render(outside: readonly OutsideSeries[]): Promise<string[]>;
  /** Its counted series as plain data (counters and histograms; a gauge is read where it is scraped). */
  series?(): Series[];
}

/** A counter's or histogram's series as plain data (what crosses a thread). */
export type Series = { labels: Labels; value: number } | { labels: Labels; counts: number[]; sum: number; count: number };

/**
 * The counted series of one part of the appliance by family name: the agent thread
 * (`capture.agent_port`) counts its requests in a registry of its own and hands them
 * to the main thread's `/metrics` this way.
 */
export type MetricsSnapshot = Record<string, Series[]>;

/** Series another part counted, with the labels that say which part. */
interface OutsideSeries {
  labels: Labels;
  series: Series[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Labels | undefined): string => {
  const entries = Object.entries(l ?? {});
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
};
const num = (v: number): string => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');
const keyOf = (l: Labels): string => JSON.stringify(Object.entries(l).sort());

/** A monotonically rising count, per label set. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

/** Observations counted into buckets, per label set. */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** The metrics of one appliance process. */
export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly sources: Array<{ labels: Labels; read: () => Promise<MetricsSnapshot | undefined> }> = [];

  private add(f: Family): void {
    if (!NAME.test(f.name)) throw new Error(`metric name ${f.name} is not a valid Prometheus name`);
    if (this.families.has(f.name)) throw new Error(`metric ${f.name} is registered twice`);
    this.families.set(f.name, f);
  }

  /** Registers a counter. */
  counter(name: string, help: string): Counter {
    const values = new Map<string, { labels: Labels; value: number }>();
    const line = (v: { labels: Labels; value: number }, extra: Labels = {}) => `${name}${labelText({ ...v.labels, ...extra })} ${num(v.value)}`;
    this.add({
      name, help, type: 'counter',
      render: async (outside) => [
        ...[...values.values()].map((v) => line(v)),
        ...outside.flatMap((o) => o.series.flatMap((v) => ('value' in v ? [line(v, o.labels)] : []))),
      ],
      series: () => [...values.values()].map((v) => ({ labels: { ...v.labels }, value: v.value })),
    });
    return {
      inc(labels = {}, by = 1) {
        const k = keyOf(labels);
        const v = values.get(k) ?? { labels, value: 0 };
        v.value += by;
        values.set(k, v);
      },
    };
  }

  /** Registers a histogram with the given upper bounds (seconds, ascending). */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
    const lines = (s: { labels: Labels; counts: number[]; sum: number; count: number }, extra: Labels = {}) => {
      const l = { ...s.labels, ...extra };
      return [
        ...buckets.map((b, i) => `${name}_bucket${labelText({ ...l, le: num(b) })} ${s.counts[i]}`),
        `${name}_bucket${labelText({ ...l, le: '+Inf' })} ${s.count}`,
        `${name}_sum${labelText(l)} ${num(s.sum)}`,
        `${name}_count${labelText(l)} ${s.count}`,
      ];
    };
    this.add({
      name, help, type: 'histogram',
      render: async (outside) => [
        ...[...series.values()].flatMap((x) => lines(x)),
        // Another part's series count into the same buckets (the same code registered them); any other shape is left out.
        ...outside.flatMap((o) => o.series.flatMap((x) => ('counts' in x && x.counts.length === buckets.length ? lines(x, o.labels) : []))),
      ],
      series: () => [...series.values()].map((x) => ({ labels: { ...x.labels }, counts: [...x.counts], sum: x.sum, count: x.count })),
    });
    return {
      observe(labels, value) {
        const k = keyOf(labels);
        const s = series.get(k) ?? { labels, counts: buckets.map(() => 0), sum: 0, count: 0 };
        buckets.forEach((b, i) => { if (value <= b) s.counts[i]!++; });
        s.sum += value;
        s.count++;
        series.set(k, s);
      },
    };
  }

  /** Registers a gauge whose samples `collect` reads at scrape time (e.g. from the database). */
  gauge(name: string, help: string, collect: () => Promise<GaugeSample[]>): void {
    this.add({ name, help, type: 'gauge', render: async () => (await collect()).map((x) => `${name}${labelText(x.labels)} ${num(x.value)}`) });
  }

  /** The counted series of every counter and histogram, as plain data. */
  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = {};
    for (const f of this.families.values()) if (f.series) out[f.name] = f.series();
    return out;
  }

  /**
   * Adds the series another part of the appliance counts (the agent thread's) to every
   * scrape, each marked with `labels`. `read` resolves undefined when that part does
   * not answer (not running, or too slow): the scrape then shows this part's own.
   */
  addSource(labels: Labels, read: () => Promise<MetricsSnapshot | undefined>): void {
    // Names the families' own labels never use, so the marked series stay distinct from this part's.
    for (const k of Object.keys(labels)) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || k === 'le' || k.startsWith('__') || ['method', 'route', 'status'].includes(k)) throw new Error(`metrics source label ${k} is not a free label name`);
    this.sources.push({ labels, read });
  }

  /** The exposition text of every family. */
  async render(): Promise<string> {
    const snapshots = await Promise.all(this.sources.map(async (src) => ({ labels: src.labels, snapshot: await src.read().catch(() => undefined) })));
    const out: string[] = [];
    for (const f of this.families.values()) {
      const outside = snapshots.flatMap((x) => (x.snapshot?.[f.name] ? [{ labels: x.labels, series: x.snapshot[f.name]! }] : []));
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`, ...(await f.render(outside)));
    }
    return `${out.join('\n')}\n`;
  }
}

/** Request latency buckets, seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What `/metrics` is configured with (`metrics:` in the configuration). */
export interface MetricsConfig {
  enabled: boolean;
  token_file?: string | undefined;
}

/** Reads the scrape token; refuses a short one (a guessable token guards nothing). */
export function readMetricsToken(file: string): string {
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error(`metrics.token_file ${file}: the token must be at least 32 characters`);
  return token;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The metrics module: when enabled, a middleware that counts and times every request by
 * its matched route pattern, and answers `GET /metrics` when the bearer token matches
 * (401 otherwise). When disabled it mounts nothing: `/metrics` is not there (404). A
 * token, not a bound address: the appliance has one listener, often behind a proxy,
 * where a source address says little; the token sits in a file, not in the config.
 */
export function metricsModule(config: MetricsConfig, registry: MetricsRegistry): DomainModule {
  const requests = registry.counter('uurwerk_http_requests_total', 'HTTP requests by method, route pattern and status class.');
  const latency = registry.histogram('uurwerk_http_request_duration_seconds', 'HTTP request latency by method and route pattern.', LATENCY_BUCKETS);
  const token = config.enabled && config.token_file ? digest(readMetricsToken(config.token_file)) : null;
  const serve: Middleware<AppState> = async (ctx, next) => {
    if (ctx.path !== '/metrics' || !token) return next();
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      ctx.set('Allow', 'GET');
      return;
    }
    const given = /^Bearer (.+)$/.exec(ctx.get('Authorization'))?.[1] ?? '';
    if (!timingSafeEqual(digest(given), token)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: 'unauthorized', message: 'a valid bearer token is required' };
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = await registry.render();
  };
  const measure: Middleware<AppState> = async (ctx, next) => {
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      status = Number((err as { status?: number }).status) || 500;
      throw err;
    } finally {
      const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const route = typeof matched === 'string' ? matched : ctx.path === '/metrics' ? '/metrics' : 'unmatched';
      const labels = { method: ctx.method, route };
      requests.inc({ ...labels, status: `${Math.floor(status / 100)}xx` });
      latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  // Disabled, nothing reads the counts: no request pays for keeping them.
  return { name: 'metrics', middleware: config.enabled ? [measure, serve] : [] };
}
