import type { Knex } from 'knex';

/**
 * Customers for time recording (master data, not personal). Archived customers stay
 * for history; new time cannot be booked on their projects.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE customers (
      id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      archived_at  timestamptz,
      created_at   timestamptz NOT NULL DEFAULT now(),
      updated_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX customers_name ON customers (lower(name));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE customers');
}
