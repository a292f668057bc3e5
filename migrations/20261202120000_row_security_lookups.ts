import type { Knex } from 'knex';

/**
 * Lets the row-security role `uurwerk_rls` read what the day views look up beside the
 * protected tables (names, the owner's time zone, the project an entry books on, data keys to
 * decrypt and, on a year's first entry, to create), so a wall
 * transaction need not switch roles back and forth for them (issue #8: role and actor
 * set once per transaction). Only the application's own database user is a member of
 * the role (NOLOGIN), and that user can read all of this already: nobody gains access.
 * Row-level security on time data is untouched. Columns are granted one by one where
 * the table holds more (accounts: no password hashes).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        GRANT SELECT (id, name, customer_id, archived_at) ON projects TO uurwerk_rls;
        GRANT SELECT (id, name, project_id, archived_at) ON tasks TO uurwerk_rls;
        GRANT SELECT (id, archived_at) ON customers TO uurwerk_rls;
        GRANT SELECT (id, display_name, username) ON accounts TO uurwerk_rls;
        GRANT SELECT (account_id, time_zone) ON timesheet_settings TO uurwerk_rls;
        GRANT SELECT ON data_keys, key_tombstones, key_canaries TO uurwerk_rls;
        GRANT INSERT ON data_keys TO uurwerk_rls;
      END IF;
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        REVOKE SELECT (id, name, customer_id, archived_at) ON projects FROM uurwerk_rls;
        REVOKE SELECT (id, name, project_id, archived_at) ON tasks FROM uurwerk_rls;
        REVOKE SELECT (id, archived_at) ON customers FROM uurwerk_rls;
        REVOKE SELECT (id, display_name, username) ON accounts FROM uurwerk_rls;
        REVOKE SELECT (account_id, time_zone) ON timesheet_settings FROM uurwerk_rls;
        REVOKE SELECT ON data_keys, key_tombstones, key_canaries FROM uurwerk_rls;
        REVOKE INSERT ON data_keys FROM uurwerk_rls;
      END IF;
    END $$;
  `);
}
