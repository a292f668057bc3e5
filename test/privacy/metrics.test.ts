import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/platform/config.js';
import { MetricsRegistry, metricsModule } from '../../src/platform/metrics.js';
import { startTestApp } from '../helpers/app.js';
import { buildEmployee } from '../helpers/factories.js';
import { freePort } from '../helpers/net.js';
import { capturingEmployee } from '../capture/helpers.js';

const TOKEN = 'a'.repeat(20) + 'metrics-scrape-token-0123456789';

/**
 * A strict reader of the Prometheus text format 0.0.4: HELP and TYPE lines, samples
 * `name{label="value",...} number`, every sample under a declared family. Returns
 * the samples; throws naming the first line that does not parse.
 */
function parsePrometheus(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const types = new Map<string, string>();
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3]!)) throw new Error(`bad type: ${line}`);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    while (re.lastIndex < body.length) {
      const l = re.exec(body);
      if (!l) throw new Error(`bad labels: ${line}`);
      labels[l[1]!] = l[2]!;
    }
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && !(types.get(family) === 'histogram')) throw new Error(`sample without TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return samples;
}

test('/metrics is not there when metrics are off (404)', async (t) => {
  const a = await startTestApp(t);
  t.is((await a.request('/metrics')).status, 404);
});

test('/metrics refuses a missing or wrong token (401) and serves the Prometheus text format with the right one, route patterns only in labels', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-metrics-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const a = await startTestApp(t, { metrics: { enabled: true, token_file: tokenFile } });
  t.is((await a.request('/metrics')).status, 401);
  t.is((await a.request('/metrics', { headers: { authorization: 'Bearer wrong-token' } })).status, 401);
  t.is((await a.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);

  const emp = await buildEmployee(a);
  t.is((await emp.client.call('GET', '/api/v1/me/days/2026-11-30')).status, 200);
  await a.db.knex('alarms').insert({ kind: 'mail_relay', key: 'outbox', category: 'operational', opened_at: new Date(), last_seen_at: new Date() });

  const r = await a.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  t.is(r.status, 200);
  t.regex(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await r.text();
  const samples = parsePrometheus(text);
  const day = samples.find((s) => s.name === 'uurwerk_http_requests_total' && s.labels.route === '/api/v1/me/days/:date');
  t.like(day, { labels: { method: 'GET', route: '/api/v1/me/days/:date', status: '2xx' }, value: 1 });
  t.truthy(samples.find((s) => s.name === 'uurwerk_http_request_duration_seconds_bucket' && s.labels.le === '+Inf' && s.labels.route === '/api/v1/me/days/:date'));
  t.like(samples.find((s) => s.name === 'uurwerk_alarms_open'), { labels: { kind: 'mail_relay', category: 'operational' }, value: 1 });
  t.truthy(samples.find((s) => s.name === 'uurwerk_mail_oldest_pending_seconds'));
  t.truthy(samples.find((s) => s.name === 'uurwerk_backup_age_seconds'));
  for (const secret of ['2026-11-30', emp.username, emp.id]) t.false(text.includes(secret), `no ${secret} in the metrics`);
});

test('metrics: a token shorter than 32 characters is refused at start; a missing token file names the key', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-metrics-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'short');
  writeFileSync(file, 'short');
  t.throws(() => metricsModule({ enabled: true, token_file: file }, new MetricsRegistry()), { message: /at least 32 characters/ });
  t.throws(() => parseConfig({ metrics: { enabled: true } }, 'test'), { message: /metrics\.token_file/ });
});

test('the registry escapes label values and refuses a metric registered twice', async (t) => {
  const r = new MetricsRegistry();
  const c = r.counter('x_total', 'X.');
  c.inc({ route: 'a"b\\c\nd' });
  t.throws(() => r.counter('x_total', 'again'), { message: /registered twice/ });
  const text = await r.render();
  t.deepEqual(parsePrometheus(text), [{ name: 'x_total', labels: { route: 'a\\"b\\\\c\\nd' }, value: 1 }]);
});

test('/metrics on the main port counts the agent thread\'s requests too (listener="agents"), and still answers while that thread is down', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-metrics-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const a = await startTestApp(t, { metrics: { enabled: true, token_file: tokenFile }, capture: { agent_port: await freePort() }, log: { level: 'warn' } });
  const { token } = await capturingEmployee(a);
  const agents = a.app.agents!;
  for (let i = 0; i < 3; i++) t.is((await fetch(`${agents.url}/api/v1/aw/api/0/info`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  t.is((await fetch(`${agents.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404, 'the agent port serves no /metrics of its own');
  const scrape = async () => {
    const r = await a.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    t.is(r.status, 200);
    return parsePrometheus(await r.text());
  };
  const samples = await scrape();
  const info = samples.filter((s) => s.name === 'uurwerk_http_requests_total' && s.labels.listener === 'agents' && s.labels.status === '2xx');
  t.is(info.reduce((n, s) => n + s.value, 0), 3, 'the three answers of the agent port, counted in its thread');
  t.true(info.every((s) => s.labels.route!.startsWith('/api/v1/aw/')), 'by route pattern, as on the main port');
  t.truthy(samples.find((s) => s.name === 'uurwerk_http_request_duration_seconds_count' && s.labels.listener === 'agents' && s.value >= 3));
  t.false(samples.some((s) => s.name === 'uurwerk_http_requests_total' && s.labels.route?.startsWith('/api/v1/aw/') && s.labels.listener === undefined), 'the main port itself served none of them');
  await agents.endThreadForTest();
  const without = await scrape();
  t.false(without.some((s) => s.labels.listener === 'agents'), 'no thread, no counts of it; the scrape still answers');
});

test('the registry adds another part\'s series with its labels; a part that fails or sends another bucket layout is left out', async (t) => {
  const own = new MetricsRegistry();
  own.counter('x_total', 'X.').inc({ route: '/a' });
  own.histogram('y_seconds', 'Y.', [0.1, 1]).observe({ route: '/a' }, 0.05);
  const other = new MetricsRegistry();
  other.counter('x_total', 'X.').inc({ route: '/b' }, 2);
  other.histogram('y_seconds', 'Y.', [0.1, 1]).observe({ route: '/b' }, 0.5);
  own.addSource({ listener: 'agents' }, async () => other.snapshot());
  own.addSource({ listener: 'broken' }, () => Promise.reject(new Error('no answer')));
  own.addSource({ listener: 'odd' }, async () => ({ y_seconds: [{ labels: { route: '/c' }, counts: [1], sum: 1, count: 1 }] }));
  const samples = parsePrometheus(await own.render());
  t.deepEqual(samples.filter((s) => s.name === 'x_total'), [{ name: 'x_total', labels: { route: '/a' }, value: 1 }, { name: 'x_total', labels: { route: '/b', listener: 'agents' }, value: 2 }]);
  t.deepEqual(samples.filter((s) => s.name === 'y_seconds_bucket').map((s) => [s.labels.route, s.labels.le, s.value]), [['/a', '0.1', 1], ['/a', '1', 1], ['/a', '+Inf', 1], ['/b', '0.1', 0], ['/b', '1', 1], ['/b', '+Inf', 1]]);
  t.false(samples.some((s) => s.labels.listener === 'broken' || s.labels.listener === 'odd'));
});
