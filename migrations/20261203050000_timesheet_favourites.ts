import type { Knex } from 'knex';

/**
 * Pinned projects (and tasks) of the week grid: one row per person and pin. Which
 * projects a person works on is personal data, so the table sits behind the same wall
 * as the timer: row-level security lets each account see and change only its own pins
 * (`uurwerk.actor`), housekeeping with `uurwerk.bypass`; FORCE applies it to the table
 * owner, and the application switches to `uurwerk_rls` for these queries. Pins go with
 * the account (ON DELETE CASCADE) and with the project.
 */
const actor = `current_setting('uurwerk.actor', true)`;
const bypass = `coalesce(current_setting('uurwerk.bypass', true), '') = 'on'`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE timesheet_favourites (
      account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      task_id uuid REFERENCES tasks(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX timesheet_favourites_one ON timesheet_favourites (account_id, project_id, coalesce(task_id, '00000000-0000-0000-0000-000000000000'::uuid));
    ALTER TABLE timesheet_favourites ENABLE ROW LEVEL SECURITY;
    ALTER TABLE timesheet_favourites FORCE ROW LEVEL SECURITY;
    CREATE POLICY timesheet_favourites_owner ON timesheet_favourites
      USING (${bypass} OR account_id::text = ${actor})
      WITH CHECK (${bypass} OR account_id::text = ${actor});
  `);
  await knex.raw(`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        GRANT SELECT, INSERT, DELETE ON timesheet_favourites TO uurwerk_rls;
      END IF;
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE timesheet_favourites');
}
