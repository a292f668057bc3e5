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

/**
 * Writes a message to the outbox inside the caller's transaction: if the change that
 * causes the mail rolls back, so does the mail. Delivery happens later (`mail.deliver`).
 * Returns the outbox id.
 */
export async function enqueueMail(trx: Knex | Knex.Transaction, mail: OutgoingMail, domain = 'uurwerk.invalid'): Promise<string> {
  const parsed = outgoingMailSchema.safeParse(mail);
  if (!parsed.success) throw new ValidationError(fieldProblems(parsed.error, 'mail'));
  const id = randomUUID();
  await trx('mail_outbox').insert({
    id,
    recipients: parsed.data.to,
    subject: parsed.data.subject,
    text_body: parsed.data.text,
    html_body: parsed.data.html ?? null,
    message_id: `<${id}@${domain}>`,
  });
  return id;
}
