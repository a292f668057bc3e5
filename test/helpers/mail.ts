import type { Knex } from '../../src/platform/db.js';
import { openBodies } from '../../src/platform/mail/delivery.js';
import type { MailCipher } from '../../src/platform/mail/outbox.js';

/** An outbox message as a test reads it: its body opened the way delivery opens it. */
export interface OutboxMail {
  id: string;
  recipients: string[];
  subject: string;
  /** The stored text column, as it rests (ciphertext when sealed). */
  stored: string | null;
  text: string;
}

/**
 * The outbox messages matching `where`, oldest first, with their bodies opened.
 * Bodies rest sealed, so a test that only read the column would pass on ciphertext.
 */
export async function outboxMails(db: Knex, cipher: MailCipher, where: Record<string, unknown> = {}): Promise<OutboxMail[]> {
  const rows = (await db('mail_outbox').where(where).orderBy('created_at').select('id', 'recipients', 'subject', 'text_body', 'html_body', 'sealed_subject')) as Array<{
    id: string; recipients: string[]; subject: string; text_body: string; html_body: string | null; sealed_subject: string | null;
  }>;
  const out: OutboxMail[] = [];
  for (const row of rows) {
    const { text } = await openBodies(db, row, cipher);
    out.push({ id: row.id, recipients: row.recipients, subject: row.subject, stored: row.text_body, text });
  }
  return out;
}
