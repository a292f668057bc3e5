import type { Knex } from 'knex';

/**
 * The mail outbox: a message is written here in the same transaction as the change
 * that causes it, and delivered later by the `mail.deliver` job. `message_id` is
 * fixed at enqueue time so a retried delivery carries the same Message-ID.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE mail_outbox (
      id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      created_at      timestamptz NOT NULL DEFAULT now(),
      recipients      text[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 100),
      subject         text NOT NULL CHECK (length(subject) <= 998),
      text_body       text NOT NULL,
      html_body       text,
      message_id      text NOT NULL UNIQUE,
      status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
      attempts        integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error      text,
      sent_at         timestamptz
    );
    CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX mail_outbox_finished ON mail_outbox (coalesce(sent_at, created_at)) WHERE status <> 'pending';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE mail_outbox');
}
