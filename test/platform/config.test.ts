import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import type { z } from 'zod';
import { preflight } from '../../src/cli/preflight.js';
import { ConfigError, configSchema, loadConfig, parseConfig } from '../../src/platform/config.js';
import { repoRoot } from '../helpers/env.js';

const root = repoRoot;

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-config-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problems(fn: () => unknown): Array<{ key: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Every leaf key path of the schema, e.g. `server.port`. */
function leafKeys(schema: z.ZodType, prefix = ''): string[] {
  const def = (schema as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType } } })._zod.def;
  if (def.innerType) return leafKeys(def.innerType, prefix);
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

test('no configuration at all gives the documented development defaults', (t) => {
  const config = loadConfig(undefined, {});
  t.is(config.server.host, '127.0.0.1');
  t.is(config.server.port, 8080);
  t.is(config.database.url, undefined);
  t.is(config.data_dir, path.resolve('var'));
  t.is(config.mail.host, 'localhost');
  t.is(config.mail.port, 25);
  t.true(Object.isFrozen(config.server));
});

test('config.example.yaml is valid and equals the built-in defaults', (t) => {
  const file = path.join(root, 'config.example.yaml');
  const fromExample = loadConfig(file, {});
  const defaults = parseConfig({}, 'defaults', root);
  t.deepEqual(fromExample, defaults);
});

test('config.example.yaml documents every key of the schema', (t) => {
  const text = readFileSync(path.join(root, 'config.example.yaml'), 'utf8');
  const keys = leafKeys(configSchema);
  const names = new Set(keys.map((k) => k.split('.').pop()));
  // Uncomment commented-out keys (`# url: ...`) so optional keys count as documented.
  const uncommented = text.replace(/^(\s*)# ?([a-z_]+):/gm, (line, indent: string, name: string) => (names.has(name) ? `${indent}${name}:` : line));
  const doc = parse(uncommented) as Record<string, unknown>;
  const missing = keys.filter((key) => {
    let node: unknown = doc;
    for (const part of key.split('.')) {
      if (node === null || typeof node !== 'object' || !(part in node)) return true;
      node = (node as Record<string, unknown>)[part];
    }
    return false;
  });
  t.deepEqual(missing, [], `undocumented keys: ${missing.join(', ')}`);
});

test('UURWERK_CONFIG is read when --config is not given', (t) => {
  const file = tmpFile('c.yaml', 'server:\n  port: 9191\n');
  t.is(loadConfig(undefined, { UURWERK_CONFIG: file }).server.port, 9191);
  t.is(loadConfig(file, { UURWERK_CONFIG: '/nonexistent' }).server.port, 9191);
});

test('three different mistakes are all reported, each with its key path', (t) => {
  const file = tmpFile('bad.yaml', [
    'server:',
    '  prot: 8080', // unknown key
    'log:',
    '  level: loud', // wrong enum value
    'mail:',
    '  port: "twenty-five"', // wrong type
    '  ca_file: ./does-not-exist.pem', // missing file
  ].join('\n'));
  const found = problems(() => loadConfig(file, {}));
  const keys = found.map((p) => p.key).sort();
  t.deepEqual(keys, ['log.level', 'mail.ca_file', 'mail.port', 'server.prot']);
  t.regex(found.find((p) => p.key === 'server.prot')!.message, /unknown key/);
  t.regex(found.find((p) => p.key === 'mail.ca_file')!.message, /does not exist/);
});

test('a YAML syntax error and an unreadable file are reported, not thrown raw', (t) => {
  const broken = tmpFile('broken.yaml', 'server:\n  port: [1, 2\n');
  t.is(problems(() => loadConfig(broken, {}))[0]!.key, '(yaml)');
  t.regex(problems(() => loadConfig('/nonexistent/uurwerk.yaml', {}))[0]!.message, /ENOENT/);
});

test('relative *_file paths resolve against the configuration file', (t) => {
  const file = tmpFile('rel.yaml', 'database:\n  url: postgres://u@db.example.test/uurwerk\n  password_file: ./pw\n');
  writeFileSync(path.join(path.dirname(file), 'pw'), 'secret\n');
  t.is(loadConfig(file, {}).database.password_file, path.join(path.dirname(file), 'pw'));
});

test('preflight adds "port in use" to the other problems', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const file = tmpFile('port.yaml', `server:\n  port: ${port}\nlog:\n  colour: yes\n`);
  const err = await t.throwsAsync(preflight(file), { instanceOf: ConfigError });
  const keys = (err as ConfigError).problems.map((p) => p.key).sort();
  t.deepEqual(keys, ['log.colour', 'server.port']);
  t.regex((err as ConfigError).message, /already in use/);
});

test('server.trusted_proxies takes IPs and CIDR blocks, names each bad entry, and defaults to trusting none', (t) => {
  t.deepEqual(parseConfig({}).server.trusted_proxies, []);
  t.deepEqual(parseConfig({ server: { trusted_proxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1'] } }).server.trusted_proxies, ['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1']);
  const found = problems(() => parseConfig({ server: { trusted_proxies: ['10.0.0.0/33', 'proxy.example', '192.0.2.1/8/1'] } }));
  t.deepEqual(found.map((p) => p.key).sort(), ['server.trusted_proxies.0', 'server.trusted_proxies.1', 'server.trusted_proxies.2']);
  t.regex(found[0]!.message, /CIDR/);
});
