import type { Knex } from 'knex';

/**
 * Projects: for a customer, or internal (no customer). `billable` and an optional
 * budget in hours; `team` names the team whose admins manage it ('' = managed by
 * operators only). Archived projects take no new time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE projects (
      id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      customer_id   uuid REFERENCES customers (id),
      name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      code          text CHECK (length(code) BETWEEN 1 AND 50),
      billable      boolean NOT NULL DEFAULT false,
      budget_hours  numeric(10, 2) CHECK (budget_hours >= 0),
      team          text NOT NULL DEFAULT '',
      archived_at   timestamptz,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX projects_customer ON projects (customer_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE projects');
}
