import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import forge from 'node-forge';
import type { Config } from './config.js';

/**
 * HTTPS for the intranet: loading `server.tls` for `https.createServer`, and
 * `uurwerk tls:generate`, a local CA plus server certificate for sites without a
 * PKI of their own. Certificates are built with node-forge; the RSA keys come from
 * node:crypto (native, fast) and are handed to forge as PEM.
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

function rsaKey(bits: number): { forgeKey: forge.pki.rsa.PrivateKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { forgeKey: forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey, pem };
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const from = new Date(Date.now() - 5 * 60 * 1000); // tolerate clocks a few minutes behind
  cert.validity.notBefore = from;
  cert.validity.notAfter = new Date(from.getTime() + days * 24 * 3600 * 1000);
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
  const pki = forge.pki;
  const org = input.organisation ?? 'Uurwerk';
  const primary = input.hostnames[0] ?? input.ips[0]!;

  let caCert: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  let caKeyPem: string | undefined;
  if (input.ca) {
    caCert = pki.certificateFromPem(input.ca.certPem);
    caKey = pki.privateKeyFromPem(input.ca.keyPem) as forge.pki.rsa.PrivateKey;
  } else {
    const k = rsaKey(3072);
    caKey = k.forgeKey;
    caKeyPem = k.pem;
    caCert = pki.createCertificate();
    caCert.publicKey = pki.setRsaPublicKey(caKey.n, caKey.e);
    caCert.serialNumber = serial();
    validity(caCert, input.caDays ?? 3650);
    const attrs = [{ name: 'commonName', value: `${org} local CA (${primary})` }, { name: 'organizationName', value: org }];
    caCert.setSubject(attrs);
    caCert.setIssuer(attrs);
    caCert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    caCert.sign(caKey, forge.md.sha256.create());
  }

  const server = rsaKey(2048);
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(server.forgeKey.n, server.forgeKey.e);
  cert.serialNumber = serial();
  validity(cert, input.days ?? 397);
  cert.setSubject([{ name: 'commonName', value: primary }, { name: 'organizationName', value: org }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...input.hostnames.map((value) => ({ type: 2, value })), ...input.ips.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());

  const caCertPem = input.ca ? input.ca.certPem : pki.certificateToPem(caCert);
  return {
    caCertPem,
    caKeyPem,
    certPem: pki.certificateToPem(cert),
    keyPem: server.pem,
    caFingerprint256: new X509Certificate(caCertPem).fingerprint256,
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
