import type { Knex } from 'knex';

/**
 * Issue 11: the server remembers project and task names for the own day and week views
 * instead of asking for them on every request (src/timesheets/names-cache.ts). This
 * counter tells it when to forget: every statement that inserts, renames (sets `name`),
 * deletes or truncates projects or tasks raises it in the same transaction, so the
 * change and the new count become visible together. (Writers of names queue on the one
 * row; names change rarely.) A view reads the count in its first statement and
 * drops what it remembered under any other count.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE master_names_version (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      version bigint NOT NULL
    );
    INSERT INTO master_names_version (version) VALUES (1);

    CREATE FUNCTION bump_master_names_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE master_names_version SET version = version + 1;
      RETURN NULL;
    END $$;

    CREATE TRIGGER projects_names_version AFTER INSERT OR UPDATE OF name OR DELETE OR TRUNCATE ON projects
      FOR EACH STATEMENT EXECUTE FUNCTION bump_master_names_version();
    CREATE TRIGGER tasks_names_version AFTER INSERT OR UPDATE OF name OR DELETE OR TRUNCATE ON tasks
      FOR EACH STATEMENT EXECUTE FUNCTION bump_master_names_version();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER tasks_names_version ON tasks;
    DROP TRIGGER projects_names_version ON projects;
    DROP FUNCTION bump_master_names_version();
    DROP TABLE master_names_version;
  `);
}
