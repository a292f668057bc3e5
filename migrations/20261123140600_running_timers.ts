import type { Knex } from 'knex';

/**
 * The running timer: at most one per person (primary key), kept in the database so it
 * survives a reload and a restart. `details` (start instant, project, task, note) is
 * encrypted under the owner's data key, bound to (running_timers, details, owner_id).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE running_timers (
      owner_id    uuid PRIMARY KEY REFERENCES accounts (id),
      details     text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE running_timers');
}
