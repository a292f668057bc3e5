import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import { readSecret } from '../config.js';
import type { Knex } from '../db.js';
import type { Logger } from '../logger.js';
import type { MailCipher, OutboxBodyRef } from './outbox.js';

interface OutboxRow {
  id: string;
  recipients: string[];
  subject: string;
  text_body: string;
  html_body: string | null;
  sealed_subject: string | null;
  message_id: string;
  attempts: number;
}

/** Counts from one delivery pass, for logs and tests. */
export interface DeliveryResult {
  sent: number;
  retried: number;
  failed: number;
}

/** What a finished message keeps of its bodies: nothing. */
const EMPTY_BODIES = { text_body: null, html_body: null } as const;

/** Builds the SMTP transport for the configured relay. */
export function createTransport(mail: Config['mail']): Transporter {
  const ca = mail.ca_file ? readFileSync(mail.ca_file) : undefined;
  return nodemailer.createTransport({
    host: mail.host,
    port: mail.port,
    secure: mail.tls === 'implicit',
    ignoreTLS: mail.tls === 'none',
    requireTLS: mail.tls === 'require_starttls',
    tls: { ca, minVersion: 'TLSv1.2', rejectUnauthorized: true },
    auth: mail.username && mail.password_file ? { user: mail.username, pass: readSecret(mail.password_file) } : undefined,
    connectionTimeout: mail.timeout_seconds * 1000,
    greetingTimeout: mail.timeout_seconds * 1000,
    socketTimeout: mail.timeout_seconds * 1000,
    pool: false,
  });
}

/** Backoff before attempt n+1: base·2^(n-1), capped. */
export function backoffSeconds(attempts: number, mail: Pick<Config['mail'], 'retry_base_seconds' | 'retry_max_seconds'>): number {
  return Math.min(mail.retry_max_seconds, mail.retry_base_seconds * 2 ** Math.max(0, attempts - 1));
}

/** Delivery options: how many messages per pass, and the cipher that opens sealed bodies. */
export interface DeliveryOptions {
  limit?: number;
  cipher?: MailCipher;
}

/** The bodies as they go out: opened when they were sealed at enqueue time. */
async function openBodies(trx: Knex.Transaction, row: OutboxRow, cipher: MailCipher | undefined): Promise<{ text: string; html: string | undefined }> {
  if (!row.sealed_subject) return { text: row.text_body, html: row.html_body ?? undefined };
  if (!cipher) throw new Error('sealed outbox message but no mail cipher is wired into delivery');
  const subject = row.sealed_subject;
  const ref = (column: OutboxBodyRef['column']): OutboxBodyRef => ({ table: 'mail_outbox', column, rowId: row.id });
  return {
    text: await cipher.decrypt(trx, subject, ref('text_body'), row.text_body),
    html: row.html_body === null ? undefined : await cipher.decrypt(trx, subject, ref('html_body'), row.html_body),
  };
}

/** SMTP 5xx replies are permanent: retrying will not help. */
function isPermanent(err: unknown): boolean {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** The relay itself is unreachable: every other message would fail the same way now. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS' || code === 'ECONNREFUSED';
}

/**
 * Delivers every due outbox message, one at a time. Each message is claimed with
 * `FOR UPDATE SKIP LOCKED` and stays locked while it is handed to the relay, and its
 * status is committed in that same transaction: two app nodes never send the same
 * message, and a process that dies mid-send leaves the row pending (its lock goes
 * with the connection), so it is retried, not lost. The only window for a duplicate
 * is a crash between the relay's "250 OK" and our COMMIT; the message then carries
 * the same Message-ID, so mail systems can recognise it. Sealed bodies are opened only
 * in memory for the send; once a message is delivered or has failed for good its
 * bodies are set to NULL, so nothing of it rests in the table but the envelope data.
 */
export async function deliverDue(db: Knex, transport: Transporter, mail: Config['mail'], logger: Logger, opts: DeliveryOptions = {}): Promise<DeliveryResult> {
  const limit = opts.limit ?? 100;
  const log = logger.child({ module: 'mail' });
  const result: DeliveryResult = { sent: 0, retried: 0, failed: 0 };
  let relayDown = false;
  for (let i = 0; i < limit && !relayDown; i++) {
    const handled = await db.transaction(async (trx) => {
      const row = (await trx('mail_outbox')
        .select('id', 'recipients', 'subject', 'text_body', 'html_body', 'sealed_subject', 'message_id', 'attempts')
        .where('status', 'pending')
        .andWhere('next_attempt_at', '<=', trx.fn.now())
        .orderBy('next_attempt_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .first()) as OutboxRow | undefined;
      if (!row) return false;
      const attempts = row.attempts + 1;
      try {
        const body = await openBodies(trx, row, opts.cipher);
        await transport.sendMail({
          from: mail.from,
          to: row.recipients,
          subject: row.subject,
          text: body.text,
          html: body.html,
          messageId: row.message_id,
        });
        await trx('mail_outbox').where('id', row.id).update({ status: 'sent', attempts, sent_at: trx.fn.now(), last_error: null, ...EMPTY_BODIES });
        result.sent++;
        log.info({ outboxId: row.id, attempts }, 'mail delivered');
      } catch (err) {
        const message = (err as Error).message.slice(0, 500);
        if (isPermanent(err) || attempts >= mail.max_attempts) {
          await trx('mail_outbox').where('id', row.id).update({ status: 'failed', attempts, last_error: message, ...EMPTY_BODIES });
          result.failed++;
          log.error({ outboxId: row.id, attempts, error: message }, 'mail delivery failed for good');
        } else {
          const delay = backoffSeconds(attempts, mail);
          await trx('mail_outbox').where('id', row.id).update({
            attempts, last_error: message, next_attempt_at: trx.raw(`now() + make_interval(secs => ?)`, [delay]),
          });
          result.retried++;
          relayDown = isConnectionError(err);
          log.warn({ outboxId: row.id, attempts, retryInSeconds: delay, error: message }, 'mail delivery deferred');
        }
      }
      return true;
    });
    if (!handled) break;
  }
  return result;
}

/** Deletes delivered and failed messages older than the configured retention; returns the count. */
export async function purgeFinishedMail(db: Knex, mail: Pick<Config['mail'], 'sent_retention_days'>): Promise<number> {
  return db('mail_outbox')
    .whereNot('status', 'pending')
    .andWhere(db.raw('coalesce(sent_at, created_at)'), '<', db.raw(`now() - make_interval(days => ?)`, [mail.sent_retention_days]))
    .delete();
}
