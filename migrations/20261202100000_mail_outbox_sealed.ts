import type { Knex } from 'knex';

/**
 * Outbox bodies rest encrypted: `sealed_subject` names the key-service subject whose
 * data key sealed `text_body`/`html_body` (AES-GCM bound to table, column and row).
 * Bodies become NULL once a message is delivered or has failed for good, so a dump
 * holds no reset link, not even an encrypted one. Rows from before this migration
 * that are already finished are emptied here too.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE mail_outbox ALTER COLUMN text_body DROP NOT NULL;
    ALTER TABLE mail_outbox ADD COLUMN sealed_subject text CHECK (length(sealed_subject) BETWEEN 1 AND 200);
    UPDATE mail_outbox SET text_body = NULL, html_body = NULL WHERE status <> 'pending';
    ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_body_while_pending CHECK (status <> 'pending' OR text_body IS NOT NULL);
    ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_emptied_when_finished CHECK (status = 'pending' OR (text_body IS NULL AND html_body IS NULL));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_emptied_when_finished;
    ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_body_while_pending;
    ALTER TABLE mail_outbox DROP COLUMN sealed_subject;
    UPDATE mail_outbox SET text_body = '' WHERE text_body IS NULL;
    ALTER TABLE mail_outbox ALTER COLUMN text_body SET NOT NULL;
  `);
}
