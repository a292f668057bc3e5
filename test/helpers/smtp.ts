import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

/** A message as the real SMTP server on loopback received it. */
export interface ReceivedMail {
  to: string[];
  raw: string;
  messageId: string | undefined;
  secure: boolean;
}

export interface TestSmtp {
  port: number;
  received: ReceivedMail[];
  /** What the server does with DATA: accept, reject permanently, or never answer. */
  mode: 'accept' | 'reject' | 'stall';
  /** Messages held in DATA without an answer while in `stall` mode (a client is hanging mid-send). */
  stalled: number;
  close(): Promise<void>;
}

/** A self-signed certificate for localhost/127.0.0.1 made with openssl, for STARTTLS tests. */
export function selfSignedCert(): { key: Buffer; cert: Buffer; certFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-smtp-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

/**
 * Starts a real SMTP server (the `smtp-server` package) on 127.0.0.1. With `tls`
 * it offers STARTTLS; without, it offers none.
 */
export async function startSmtp(opts: { port?: number; mode?: TestSmtp['mode']; tls?: { key: Buffer; cert: Buffer } } = {}): Promise<TestSmtp> {
  const state: TestSmtp = { port: 0, received: [], mode: opts.mode ?? 'accept', stalled: 0, close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.mode === 'stall') {
          state.stalled++;
          return; // never answer: the client hangs in DATA
        }
        if (state.mode === 'reject') {
          const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        state.received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          messageId: /^Message-ID:\s*(.+)$/im.exec(raw)?.[1]?.trim(),
          secure: session.secure,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  state.port = (server.server.address() as { port: number }).port;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}
