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

/** Options of a delivery pass: how many messages, and the cipher that opens sealed bodies. */
export interface DeliveryOptions {
  limit?: number;
  cipher?: MailCipher;
}

/** The bodies as they go out: opened when they were sealed at enqueue time. */
export async function openBodies(trx: Knex | Knex.Transaction, row: Pick<OutboxRow, 'id' | 'text_body' | 'html_body' | 'sealed_subject'>, cipher: MailCipher | undefined): Promise<{ text: string; html: string | undefined }> {
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

/** What one delivery attempt came to. */
export type DeliveryOutcome = 'sent' | 'failed' | 'deferred' | 'unreachable' | 'gone';

/**
 * One attempt at one outbox message. The message is claimed with `FOR UPDATE SKIP
 * LOCKED` and stays locked while it is handed to the relay, and its status is
 * committed in that same transaction: two app nodes never send the same message, and
 * a process that dies mid-send leaves the row pending (its lock goes with the
 * connection), so it is tried again, not lost. The only window for a duplicate is a
 * crash between the relay's "250 OK" and our COMMIT; the message then carries the same
 * Message-ID, so mail systems can recognise it. Sealed bodies are opened only in
 * memory; once a message is sent or has failed for good its bodies are set to NULL.
 * A 5xx reply, or a failure on the last allowed attempt, fails the message for good;
 * any other failure is `deferred`: when to try again is the job engine's business
 * (pg-boss retry with backoff, see worker.ts); `unreachable` is a deferral because
 * the relay could not be reached at all. `gone`: already handled, or being handled by
 * another node right now.
 */
export async function deliverOne(db: Knex, transport: Transporter, mail: Config['mail'], logger: Logger, outboxId: string, opts: { cipher?: MailCipher; lastAttempt?: boolean } = {}): Promise<DeliveryOutcome> {
  const log = logger.child({ module: 'mail' });
  return db.transaction(async (trx) => {
    const row = (await trx('mail_outbox')
      .select('id', 'recipients', 'subject', 'text_body', 'html_body', 'sealed_subject', 'message_id', 'attempts')
      .where({ id: outboxId, status: 'pending' })
      .forUpdate()
      .skipLocked()
      .first()) as OutboxRow | undefined;
    if (!row) return 'gone' as const;
    const attempts = row.attempts + 1;
    try {
      const body = await openBodies(trx, row, opts.cipher);
      await transport.sendMail({ from: mail.from, to: row.recipients, subject: row.subject, text: body.text, html: body.html, messageId: row.message_id });
      await trx('mail_outbox').where('id', row.id).update({ status: 'sent', attempts, sent_at: trx.fn.now(), last_error: null, ...EMPTY_BODIES });
      log.info({ outboxId: row.id, attempts }, 'mail delivered');
      return 'sent' as const;
    } catch (err) {
      const message = (err as Error).message.slice(0, 500);
      if (isPermanent(err) || opts.lastAttempt || attempts >= mail.max_attempts) {
        await trx('mail_outbox').where('id', row.id).update({ status: 'failed', attempts, last_error: message, ...EMPTY_BODIES });
        log.error({ outboxId: row.id, attempts, error: message }, 'mail delivery failed for good');
        return 'failed' as const;
      }
      await trx('mail_outbox').where('id', row.id).update({ attempts, last_error: message });
      log.warn({ outboxId: row.id, attempts, error: message }, 'mail delivery deferred');
      return isConnectionError(err) ? ('unreachable' as const) : ('deferred' as const);
    }
  });
}

/**
 * Tries every pending message once, oldest first (`uurwerk` tools and tests; the
 * running appliance delivers through one job per message instead). A refused
 * connection ends the pass: every other message would fail the same way now.
 */
export async function deliverDue(db: Knex, transport: Transporter, mail: Config['mail'], logger: Logger, opts: DeliveryOptions = {}): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, retried: 0, failed: 0 };
  const ids = ((await db('mail_outbox').where('status', 'pending').orderBy('created_at').limit(opts.limit ?? 100).select('id')) as Array<{ id: string }>).map((r) => r.id);
  for (const id of ids) {
    const outcome = await deliverOne(db, transport, mail, logger, id, { cipher: opts.cipher });
    if (outcome === 'sent') result.sent++;
    else if (outcome === 'failed') result.failed++;
    else if (outcome !== 'gone') result.retried++;
    if (outcome === 'unreachable') break;
  }
  return result;
}
