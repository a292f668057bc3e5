import type { Knex } from 'knex';

/** Tasks (activities) within a project; `billable` null means "as the project". */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE tasks (
      id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id   uuid NOT NULL REFERENCES projects (id),
      name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      billable     boolean,
      archived_at  timestamptz,
      created_at   timestamptz NOT NULL DEFAULT now(),
      updated_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX tasks_project_name ON tasks (project_id, lower(name));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE tasks');
}
