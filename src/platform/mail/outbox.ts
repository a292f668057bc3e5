import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Knex } from '../db.js';
import { ValidationError } from '../errors.js';
import { fieldProblems } from '../http/api.js';

/** A message to send. Bodies are plain text; HTML is optional. */
export const outgoingMailSchema = z.strictObject({
  to: z.array(z.email()).min(1).max(100),
  subject: z.string().min(1).max(200).refine((s) => !/[\r\n]/.test(s), 'must be one line'),
  text: z.string().min(1).max(100_000),
  html: z.string().max(200_000).optional(),
});

export type OutgoingMail = z.infer<typeof outgoingMailSchema>;

/** Where a sealed body lives; bound into the AES-GCM associated data. */
export interface OutboxBodyRef {
  table: 'mail_outbox';
  column: 'text_body' | 'html_body';
  rowId: string;
}

/**
 * Encryption at rest for outbox bodies. `platform` imports no domain, so the appliance
 * hands in the keys domain's `KeyService`, which has exactly this shape.
 */
export interface MailCipher {
  encrypt(db: Knex | Knex.Transaction, subject: string, ref: OutboxBodyRef, plaintext: string, opts: { purpose: 'mail' }): Promise<string>;
  decrypt(db: Knex | Knex.Transaction, subject: string, ref: OutboxBodyRef, envelope: string): Promise<string>;
}

/**
 * The key subject outbox bodies are sealed under: a system subject, not a person's,
 * so shredding someone's keys never strands an operator's mail, and the bodies are
 * emptied after delivery anyway.
 */
export const MAIL_OUTBOX_SUBJECT = 'system:mail-outbox';

/** The channel a committed enqueue notifies; the delivery worker listens on it. */
export const MAIL_CHANNEL = 'uurwerk_mail_outbox';

/** How a message is written to the outbox. */
export interface EnqueueOptions {
  /** Seals the bodies (required for anything carrying a secret, such as a reset link). */
  cipher?: MailCipher;
  /** The domain part of the Message-ID. */
  domain?: string;
}

/**
 * Writes a message to the outbox inside the caller's transaction: if the change that
 * causes the mail rolls back, so does the mail. With a cipher the bodies are stored
 * encrypted, so the WAL and every dump hold only ciphertext. A NOTIFY in the same
 * transaction wakes the delivery worker at commit (and only then), so a mail with a
 * time-limited link leaves within seconds instead of at the next scheduled pass.
 * Returns the outbox id.
 */
export async function enqueueMail(trx: Knex | Knex.Transaction, mail: OutgoingMail, opts: EnqueueOptions | string = {}): Promise<string> {
  const { cipher, domain = 'uurwerk.invalid' } = typeof opts === 'string' ? { domain: opts } : opts;
  const parsed = outgoingMailSchema.safeParse(mail);
  if (!parsed.success) throw new ValidationError(fieldProblems(parsed.error, 'mail'));
  const id = randomUUID();
  const body = async (column: OutboxBodyRef['column'], text: string): Promise<string> =>
    cipher ? cipher.encrypt(trx, MAIL_OUTBOX_SUBJECT, { table: 'mail_outbox', column, rowId: id }, text, { purpose: 'mail' }) : text;
  await trx('mail_outbox').insert({
    id,
    recipients: parsed.data.to,
    subject: parsed.data.subject,
    text_body: await body('text_body', parsed.data.text),
    html_body: parsed.data.html === undefined ? null : await body('html_body', parsed.data.html),
    sealed_subject: cipher ? MAIL_OUTBOX_SUBJECT : null,
    message_id: `<${id}@${domain}>`,
  });
  // The payload is only the id: nothing personal travels on the notification channel.
  await trx.raw('SELECT pg_notify(?, ?)', [MAIL_CHANNEL, id]);
  return id;
}
