import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer as createTlsServer, type ConnectionOptions } from 'node:tls';
import test, { type ExecutionContext } from 'ava';
import { generateTls, loadTls, TlsConfigError, writeTlsFiles } from '../../src/platform/tls.js';
import { startTestApp } from '../helpers/app.js';
import { nodeScript, repoRoot } from '../helpers/env.js';

const root = repoRoot;

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeScript('src/main.ts'), ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function get(url: string, ca?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, servername: 'localhost' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the negotiated protocol, or rejects with the handshake error. */
function handshake(opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(opts, () => {
      const proto = socket.getProtocol() ?? '?';
      socket.end();
      resolve(proto);
    });
    socket.on('error', reject);
  });
}

/** A client that offers TLS 1.1 only (OpenSSL 3 needs security level 0 for that). */
const tls11Client = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;

test('tls:generate writes a CA and a server certificate with every SAN, keys 0600, and prints the CA fingerprint', async (t) => {
  const dir = tempDir(t);
  const r = await cli(['tls:generate', '--hostname', 'localhost', '--hostname', 'uren.intranet.example', '--ip', '127.0.0.1', '--ip', '::1', '--out', dir, '--days', '30']);
  t.is(r.code, 0, r.stderr);
  const ca = new X509Certificate(readFileSync(path.join(dir, 'ca.crt')));
  const cert = new X509Certificate(readFileSync(path.join(dir, 'server.crt')));
  t.true(r.stdout.includes(`CA SHA-256 fingerprint: ${ca.fingerprint256}`), r.stdout);
  t.is(statSync(path.join(dir, 'ca.key')).mode & 0o777, 0o600);
  t.is(statSync(path.join(dir, 'server.key')).mode & 0o777, 0o600);
  t.true(ca.ca);
  t.false(cert.ca);
  t.true(cert.checkIssued(ca));
  t.true(cert.verify(ca.publicKey));
  for (const san of ['DNS:localhost', 'DNS:uren.intranet.example', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']) t.true(cert.subjectAltName!.includes(san), cert.subjectAltName);
  const days = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86400000;
  t.true(days > 29.9 && days < 30.1, String(days));
  t.is(cert.checkHost('uren.intranet.example'), 'uren.intranet.example');
  t.is(cert.checkIP('127.0.0.1'), '127.0.0.1');

  // Renewal in the same directory reuses the CA (same fingerprint) and needs --force for the server files.
  const again = await cli(['tls:generate', '--hostname', 'localhost', '--out', dir]);
  t.not(again.code, 0);
  t.regex(again.stderr, /already exists; pass --force/);
  const renewed = await cli(['tls:generate', '--hostname', 'localhost', '--out', dir, '--force']);
  t.is(renewed.code, 0, renewed.stderr);
  t.true(renewed.stdout.includes(ca.fingerprint256));
  t.true(new X509Certificate(readFileSync(path.join(dir, 'server.crt'))).checkIssued(ca));

  const bad = await cli(['tls:generate', '--hostname', 'not a host', '--ip', '300.1.1.1', '--out', tempDir(t)]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /not a host name: not a host; not an IP address: 300\.1\.1\.1/);
});

test('with server.tls the app serves HTTPS: /healthz trusted via the generated CA, HSTS and Secure cookies; TLS 1.1 is refused', async (t) => {
  const dir = tempDir(t);
  const generated = generateTls({ hostnames: ['localhost'], ips: ['127.0.0.1'] });
  writeTlsFiles(dir, generated);
  const { url } = await startTestApp(t, { server: { tls: { cert_file: path.join(dir, 'server.crt'), key_file: path.join(dir, 'server.key'), min_version: 'TLSv1.2' } } });
  t.regex(url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const health = await get(`${url}/healthz`, generated.caCertPem);
  t.is(health.status, 200);
  t.deepEqual(JSON.parse(health.body), { status: 'ok' });
  t.regex(String(health.headers['strict-transport-security']), /max-age=\d+/);
  const page = await get(`${url}/?lang=en`, generated.caCertPem);
  const cookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('lang='));
  t.truthy(cookie);
  t.regex(cookie!, /;\s*secure/i);

  // Without the CA the certificate is not trusted (so the success above is real verification).
  await t.throwsAsync(get(`${url}/healthz`), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });

  const { port } = new URL(url);
  const proto = await handshake({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ca: generated.caCertPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  t.is(proto, 'TLSv1.2');
  const refused = await t.throwsAsync(handshake({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ca: generated.caCertPem, ...tls11Client }));
  t.regex(String((refused as NodeJS.ErrnoException).code), /ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION/, refused!.message);

  // Control: the same TLS 1.1 client does get through to a server that allows 1.1, so the refusal above comes from our server.
  const loose = createTlsServer({ cert: generated.certPem, key: generated.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
  await new Promise<void>((resolve) => loose.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => loose.close(() => resolve())));
  const loosePort = (loose.address() as { port: number }).port;
  t.is(await handshake({ host: '127.0.0.1', port: loosePort, servername: 'localhost', ca: generated.caCertPem, ...tls11Client }), 'TLSv1.1');
});

test('loadTls refuses a key that does not belong to the certificate, and an expired certificate', (t) => {
  const dir = tempDir(t);
  const a = generateTls({ hostnames: ['a.example'], ips: [] });
  const b = generateTls({ hostnames: ['b.example'], ips: [] });
  writeFileSync(path.join(dir, 'a.crt'), a.certPem);
  writeFileSync(path.join(dir, 'b.key'), b.keyPem, { mode: 0o600 });
  t.throws(() => loadTls({ cert_file: path.join(dir, 'a.crt'), key_file: path.join(dir, 'b.key'), min_version: 'TLSv1.2' }), { instanceOf: TlsConfigError, message: /does not belong to the certificate/ });
  writeFileSync(path.join(dir, 'a.key'), a.keyPem, { mode: 0o600 });
  const loaded = loadTls({ cert_file: path.join(dir, 'a.crt'), key_file: path.join(dir, 'a.key'), min_version: 'TLSv1.2' });
  t.is(loaded.options.minVersion, 'TLSv1.2');
  t.throws(() => loadTls({ cert_file: path.join(dir, 'a.crt'), key_file: path.join(dir, 'a.key'), min_version: 'TLSv1.2' }, new Date(Date.now() + 400 * 86400000)), { instanceOf: TlsConfigError, message: /expired/ });
});

test('without TLS on a non-loopback address the start logs a loud warning; with TLS, or on loopback, it does not', async (t) => {
  const logDir = process.env.UURWERK_TEST_LOG_DIR ?? '';
  const logText = () => readdirSync(logDir).filter((f) => f.endsWith(`-${process.pid}.log`)).map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('');
  const warnings = () => logText().split('\n').filter((l) => l.includes('NO TLS')).length;
  const before = warnings();
  await startTestApp(t, { server: { host: '0.0.0.0' } });
  t.is(warnings(), before + 1);
  const line = logText().split('\n').reverse().find((l) => l.includes('NO TLS'))!;
  t.is(JSON.parse(line).level, 40);
  t.regex(line, /server\.tls\.cert_file/);

  const dir = tempDir(t);
  writeTlsFiles(dir, generateTls({ hostnames: ['localhost'], ips: ['127.0.0.1'] }));
  await startTestApp(t, { server: { host: '0.0.0.0', tls: { cert_file: path.join(dir, 'server.crt'), key_file: path.join(dir, 'server.key'), min_version: 'TLSv1.2' } } });
  await startTestApp(t, { server: { host: '127.0.0.1' } });
  t.is(warnings(), before + 1);
});

test('generated certificates start a few minutes back (clocks behind still accept them), and an organisation name cannot add subject fields', (t) => {
  const g = generateTls({ hostnames: ['uren.example'], ips: [], organisation: 'Acme/CN=evil+OU=x \\ Ü' });
  const cert = new X509Certificate(g.certPem);
  const ca = new X509Certificate(g.caCertPem);
  const started = Date.now() - new Date(cert.validFrom).getTime();
  t.true(started > 4 * 60 * 1000 && started < 7 * 60 * 1000, cert.validFrom);
  const fields = cert.toLegacyObject().subject as unknown as Record<string, string>;
  t.deepEqual(Object.keys(fields).sort(), ['CN', 'O']);
  t.is(fields.CN, 'uren.example');
  t.is(fields.O, 'Acme/CN=evil+OU=x \\ Ü');
  t.true(cert.checkIssued(ca));
  t.throws(() => generateTls({ hostnames: ['bad host\n[ext]'], ips: [] }), { instanceOf: TlsConfigError, message: /not a host name/ });
});
