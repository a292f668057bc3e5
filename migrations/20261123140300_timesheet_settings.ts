import type { Knex } from 'knex';

/** Per-person timesheet settings: a time zone overriding the organisation's. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE timesheet_settings (
      account_id  uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
      time_zone   text CHECK (length(time_zone) BETWEEN 1 AND 64),
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE timesheet_settings');
}
