#!/usr/bin/env node
/**
 * Waits until the appliance answers GET /readyz with 200 (database reachable,
 * migrations applied). Used as the unit's ExecStartPost, so `systemctl start`
 * returns only when Uurwerk is ready and fails when it never gets there. It reads
 * the listen address from the same configuration the service uses, so the port
 * cannot drift between the config and the unit.
 *
 * Usage: wait-ready.mjs [--config FILE] [--timeout SECONDS]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { config: { type: 'string' }, timeout: { type: 'string', default: '170' } } });
const bundle = path.resolve(import.meta.dirname, '..');
const { loadConfig } = await import(path.join(bundle, 'dist', 'src', 'platform', 'config.js'));
const config = loadConfig(values.config);
const wildcard = { '0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1' };
const host = wildcard[config.server.host] ?? config.server.host;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}/readyz`;
const deadline = Date.now() + Number(values.timeout) * 1000;
let last = 'no answer yet';
while (Date.now() < deadline) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (res.status === 200) {
      process.stdout.write(`uurwerk is ready: ${url}\n`);
      process.exit(0);
    }
    last = `HTTP ${res.status} ${await res.text()}`;
  } catch (err) {
    last = err.cause?.code ?? err.message;
  }
  await new Promise((r) => setTimeout(r, 1000));
}
process.stderr.write(`uurwerk did not become ready at ${url} within ${values.timeout}s (last: ${last})\n`);
process.exit(1);
