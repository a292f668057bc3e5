import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { generateTls, TLS_FILES, TlsConfigError, writeTlsFiles } from '../platform/tls.js';
import { EXIT, out } from './output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `tls:generate`. */
export function registerTlsCommands(program: Command): void {
  program
    .command('tls:generate')
    .description('make a local CA and a server certificate (SANs for every --hostname and --ip) for sites without their own PKI')
    .option('--hostname <name>', 'DNS name the server is reached by (repeatable)', collect, [])
    .option('--ip <address>', 'IP address the server is reached by (repeatable)', collect, [])
    .requiredOption('--out <dir>', `directory for ${Object.values(TLS_FILES).join(', ')}; an existing ca.crt + ca.key there is reused (renewal)`)
    .option('--days <n>', 'validity of the server certificate in days', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 3650) throw new Error('--days must be an integer from 1 to 3650');
      return n;
    }, 397)
    .option('--organisation <name>', 'organisation name in the certificates', 'Uurwerk')
    .option('--force', 'replace an existing server.crt / server.key')
    .action((opts: { hostname: string[]; ip: string[]; out: string; days: number; organisation: string; force?: boolean }) => {
      const dir = path.resolve(opts.out);
      const caCert = path.join(dir, TLS_FILES.caCert);
      const caKey = path.join(dir, TLS_FILES.caKey);
      const ca = existsSync(caCert) && existsSync(caKey) ? { certPem: readFileSync(caCert, 'utf8'), keyPem: readFileSync(caKey, 'utf8') } : undefined;
      try {
        const generated = generateTls({ hostnames: opts.hostname, ips: opts.ip, days: opts.days, ca, organisation: opts.organisation });
        const files = writeTlsFiles(dir, generated, { force: opts.force === true });
        out.line(generated.caReused ? `reused the CA in ${caCert}` : `new local CA: ${caCert} (key ${caKey}, mode 0600: move it offline if you will not renew here)`);
        for (const f of files) out.line(`wrote ${f}`);
        out.line(`CA SHA-256 fingerprint: ${generated.caFingerprint256}`);
        out.line('Add ca.crt to the intranet trust store (compare the fingerprint), then configure:');
        out.line('  server:');
        out.line('    tls:');
        out.line(`      cert_file: ${path.join(dir, TLS_FILES.cert)}`);
        out.line(`      key_file: ${path.join(dir, TLS_FILES.key)}`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        if (!(err instanceof TlsConfigError)) throw err;
        out.error(`uurwerk tls:generate: ${err.message}`);
        process.exitCode = EXIT.usage;
      }
    });
}
