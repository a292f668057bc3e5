import type { Knex } from 'knex';

/**
 * Time entries. Everything that says what a person did and when is in `details`,
 * one AES-256-GCM envelope under the owner's data key bound to
 * (time_entries, details, id): start, end, duration, project, task and note. In clear
 * stay only the owner, the local date range the entry touches (needed to find a day's
 * entries and for the row-level security policy) and row timestamps.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE time_entries (
      id          uuid PRIMARY KEY,
      owner_id    uuid NOT NULL REFERENCES accounts (id),
      first_date  date NOT NULL,
      last_date   date NOT NULL,
      details     text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now(),
      CHECK (last_date >= first_date AND last_date <= first_date + 2)
    );
    CREATE INDEX time_entries_owner_dates ON time_entries (owner_id, first_date, last_date);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE time_entries');
}
