import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Config } from './config.js';

/**
 * HTTPS for the intranet: loading `server.tls` for `https.createServer` (node:crypto
 * only), and `uurwerk tls:generate`, a local CA plus server certificate for sites
 * without a PKI of their own. The RSA keys come from node:crypto; the certificates
 * are signed by the `openssl` command (installed on every supported host, kept up to
 * date by the OS) instead of a JavaScript X.509 library we would have to keep.
 */

export type TlsConfig = NonNullable<Config['server']['tls']>;

/** Thrown when the configured certificate or key cannot be used; the message names the file. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

/** What a TLS server needs, read from `server.tls`, plus facts for the start log. */
export interface LoadedTls {
  options: SecureContextOptions & { minVersion: 'TLSv1.2' | 'TLSv1.3' };
  subject: string;
  validTo: Date;
  fingerprint256: string;
}

/**
 * Reads and checks `server.tls`: PEM certificate (plus chain) and key that belong
 * together, a certificate that is currently valid. TLS 1.2 is the floor whatever
 * the configuration says, as `min_version` only accepts 1.2 or 1.3.
 */
export function loadTls(tls: TlsConfig, now = new Date()): LoadedTls {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new TlsConfigError(`server.tls.${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const certPem = read(tls.cert_file, 'cert_file');
  const keyPem = read(tls.key_file, 'key_file');
  const chainPem = tls.chain_file ? read(tls.chain_file, 'chain_file') : '';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new TlsConfigError(`server.tls.cert_file: ${tls.cert_file} is not a PEM certificate`);
  }
  try {
    createPrivateKey(keyPem);
  } catch {
    throw new TlsConfigError(`server.tls.key_file: ${tls.key_file} is not a PEM private key (encrypted keys are not supported)`);
  }
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new TlsConfigError(`server.tls: the key in ${tls.key_file} does not belong to the certificate in ${tls.cert_file}`);
  }
  const validFrom = new Date(cert.validFrom);
  const validTo = new Date(cert.validTo);
  if (now < validFrom) throw new TlsConfigError(`server.tls.cert_file: ${tls.cert_file} is not valid before ${validFrom.toISOString()}`);
  if (now > validTo) throw new TlsConfigError(`server.tls.cert_file: ${tls.cert_file} expired on ${validTo.toISOString()}`);
  const options = {
    cert: chainPem ? `${certPem.trimEnd()}\n${chainPem}` : certPem,
    key: keyPem,
    minVersion: tls.min_version,
  };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new TlsConfigError(`server.tls: certificate and key are not usable together: ${(err as Error).message}`);
  }
  return { options, subject: cert.subject, validTo, fingerprint256: cert.fingerprint256 };
}

/** Input of `tls:generate`. */
export interface GenerateTlsInput {
  hostnames: string[];
  ips: string[];
  /** Validity of the server certificate in days (default 397, the browsers' maximum). */
  days?: number;
  /** Validity of a new CA in days (default 3650). */
  caDays?: number;
  /** An existing CA to sign with (renewal keeps the fingerprint intranet clients trust). */
  ca?: { certPem: string; keyPem: string };
  organisation?: string;
}

/** Output of `tls:generate`: PEM texts and the CA's SHA-256 fingerprint. */
export interface GeneratedTls {
  caCertPem: string;
  caKeyPem?: string;
  certPem: string;
  keyPem: string;
  caFingerprint256: string;
  caReused: boolean;
}

function serial(): string {
  // 16 random bytes, top bit cleared: positive and unique enough (RFC 5280 allows 20 bytes).
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function rsaKeyPem(bits: number): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** An ASN.1 time for `openssl ca -startdate/-enddate` (YYYYMMDDHHMMSSZ). */
function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** A distinguished name for `-subj`; `/`, `+` and `\` in values are escaped so they cannot add fields. */
function subject(cn: string, org: string): string {
  const esc = (v: string) => v.replace(/[\\/+]/g, (c) => `\\${c}`);
  return `/CN=${esc(cn)}/O=${esc(org)}`;
}

/**
 * Signs a certificate with `openssl ca` (the one openssl command of OpenSSL 3.0 that
 * takes a start date, so clocks a few minutes behind still accept the certificate).
 * Runs in a private temporary directory that is removed afterwards, keys included.
 */
function opensslSign(opts: { keyPem: string; subj: string; days: number; extensions: string; ca?: { certPem: string; keyPem: string } }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-tls-'));
  try {
    const f = (name: string) => path.join(dir, name);
    writeFileSync(f('key.pem'), opts.keyPem, { mode: 0o600 });
    writeFileSync(f('index.txt'), '');
    writeFileSync(f('serial'), `${serial()}\n`);
    writeFileSync(f('openssl.cnf'), [
      '[ca]', 'default_ca = local',
      '[local]', `database = ${f('index.txt')}`, `new_certs_dir = ${dir}`, `serial = ${f('serial')}`,
      'default_md = sha256', 'policy = names', 'unique_subject = no', 'email_in_dn = no', 'copy_extensions = none',
      '[names]', 'commonName = supplied', 'organizationName = optional',
      '[req]', 'distinguished_name = dn', '[dn]',
      '[ext]', opts.extensions, '',
    ].join('\n'));
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    run(['req', '-new', '-utf8', '-config', f('openssl.cnf'), '-key', f('key.pem'), '-subj', opts.subj, '-out', f('req.csr')]);
    const from = new Date(Date.now() - 5 * 60 * 1000); // tolerate clocks a few minutes behind
    const to = new Date(from.getTime() + opts.days * 24 * 3600 * 1000);
    const signer = opts.ca
      ? (writeFileSync(f('ca.crt'), opts.ca.certPem), writeFileSync(f('ca.key'), opts.ca.keyPem, { mode: 0o600 }), ['-cert', f('ca.crt'), '-keyfile', f('ca.key')])
      : ['-selfsign', '-keyfile', f('key.pem')];
    run([
      'ca', '-batch', '-notext', '-utf8', '-preserveDN', '-config', f('openssl.cnf'), ...signer, '-in', f('req.csr'), '-out', f('cert.pem'),
      '-startdate', asn1Time(from), '-enddate', asn1Time(to), '-extfile', f('openssl.cnf'), '-extensions', 'ext',
    ]);
    const pem = readFileSync(f('cert.pem'), 'utf8');
    return pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new TlsConfigError('the openssl command is needed to make certificates; install it (Debian: apt install openssl)');
    throw new TlsConfigError(`openssl could not make the certificate: ${e.stderr?.toString().trim() || e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Checks host names (DNS labels, optional leading wildcard) and IP addresses. */
export function checkSans(hostnames: string[], ips: string[]): string[] {
  const problems: string[] = [];
  if (hostnames.length + ips.length === 0) problems.push('give at least one --hostname or --ip');
  for (const h of hostnames) {
    if (!/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(h) || h.length > 253) problems.push(`not a host name: ${h}`);
  }
  for (const ip of ips) if (isIP(ip) === 0) problems.push(`not an IP address: ${ip}`);
  return problems;
}

/**
 * Makes a server certificate (RSA 2048, SHA-256, serverAuth) with a SAN for every
 * host name and IP given, signed by a new local CA (RSA 3072, path length 0) or by
 * the CA passed in.
 */
export function generateTls(input: GenerateTlsInput): GeneratedTls {
  const problems = checkSans(input.hostnames, input.ips);
  if (problems.length) throw new TlsConfigError(problems.join('; '));
  const org = input.organisation ?? 'Uurwerk';
  const primary = input.hostnames[0] ?? input.ips[0]!;

  let ca: { certPem: string; keyPem: string };
  let caKeyPem: string | undefined;
  if (input.ca) {
    ca = input.ca;
  } else {
    caKeyPem = rsaKeyPem(3072);
    const certPem = opensslSign({
      keyPem: caKeyPem,
      subj: subject(`${org} local CA (${primary})`, org),
      days: input.caDays ?? 3650,
      extensions: ['basicConstraints = critical, CA:TRUE, pathlen:0', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash'].join('\n'),
    });
    ca = { certPem, keyPem: caKeyPem };
  }

  const keyPem = rsaKeyPem(2048);
  const sans = [...input.hostnames.map((h, i) => `DNS.${i + 1} = ${h}`), ...input.ips.map((ip, i) => `IP.${i + 1} = ${ip}`)];
  const certPem = opensslSign({
    keyPem,
    subj: subject(primary, org),
    days: input.days ?? 397,
    ca,
    extensions: [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = @sans',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[sans]',
      ...sans,
    ].join('\n'),
  });

  return {
    caCertPem: ca.certPem,
    caKeyPem,
    certPem,
    keyPem,
    caFingerprint256: new X509Certificate(ca.certPem).fingerprint256,
    caReused: input.ca !== undefined,
  };
}

/** File names `tls:generate` writes in its output directory. */
export const TLS_FILES = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'server.crt', key: 'server.key' } as const;

/**
 * Writes the generated files: certificates 0644, private keys 0600. An existing CA
 * in `dir` is reused by the caller; existing server files are only replaced with `force`.
 */
export function writeTlsFiles(dir: string, generated: GeneratedTls, opts: { force?: boolean } = {}): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const files: Array<[string, string, number]> = [
    [TLS_FILES.cert, generated.certPem, 0o644],
    [TLS_FILES.key, generated.keyPem, 0o600],
  ];
  if (!generated.caReused) {
    files.unshift([TLS_FILES.caCert, generated.caCertPem, 0o644], [TLS_FILES.caKey, generated.caKeyPem!, 0o600]);
  }
  for (const [name] of files) {
    if (existsSync(path.join(dir, name)) && !opts.force) throw new TlsConfigError(`${path.join(dir, name)} already exists; pass --force to replace it`);
  }
  const written: string[] = [];
  for (const [name, text, mode] of files) {
    const file = path.join(dir, name);
    writeFileSync(file, text, { mode });
    chmodSync(file, mode);
    written.push(file);
  }
  return written;
}
