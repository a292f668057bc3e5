import { createServer } from 'node:net';
import { ConfigError, parseConfig, readConfigSource, type Config, type ConfigProblem } from '../platform/config.js';

/** Resolves when host:port can be bound, rejects with the OS error code otherwise. */
export function probePort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

function rawServer(raw: unknown): { host: string; port: number } | undefined {
  const server = (raw as { server?: { host?: unknown; port?: unknown } } | null)?.server ?? {};
  const host = typeof server.host === 'string' ? server.host : '127.0.0.1';
  const port = server.port === undefined ? 8080 : server.port;
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? { host, port } : undefined;
}

/**
 * Validates the configuration for `serve` and checks what can only be checked on
 * this machine (the listen port is free). Every problem is collected before
 * failing, so one run tells the operator everything to fix.
 */
export async function preflight(file?: string): Promise<Readonly<Config>> {
  const src = readConfigSource(file);
  const problems: ConfigProblem[] = [];
  let config: Readonly<Config> | undefined;
  try {
    config = parseConfig(src.raw, src.source, src.baseDir);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const listen = config ? config.server : rawServer(src.raw);
  if (listen && listen.port !== 0) {
    try {
      await probePort(listen.host, listen.port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'port is already in use' : code === 'EACCES' ? 'permission denied (ports below 1024 need a capability)' : code === 'EADDRNOTAVAIL' ? 'address is not on this host' : `cannot listen (${code})`;
      problems.push({ key: 'server.port', message: `${listen.host}:${listen.port}: ${why}` });
    }
  }
  if (problems.length || !config) throw new ConfigError(src.source, problems);
  return config;
}
