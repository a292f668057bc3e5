import type { Knex } from 'knex';

/**
 * Retries and their back-off now belong to pg-boss (one `mail.send` job per message),
 * so the outbox no longer keeps its own next-attempt time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE mail_outbox DROP COLUMN next_attempt_at');
  await knex.raw(`CREATE INDEX mail_outbox_pending ON mail_outbox (created_at) WHERE status = 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX mail_outbox_pending');
  await knex.raw('ALTER TABLE mail_outbox ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now()');
  await knex.raw(`CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending'`);
}
