import type { Knex } from 'knex';

/**
 * The second wall around time data: row-level security on days, entries and timers,
 * keyed on per-transaction settings the application sets (`uurwerk.actor` = account
 * id; `uurwerk.bypass` = 'on' for housekeeping and data migrations that must see
 * every row). With neither set, no row is visible.
 *
 * - a day: to its owner; when not a draft, to a current team admin of a team recorded
 *   in its `scope_teams` at submission;
 * - an entry: to its owner; to such an admin when a non-draft day it touches is
 *   visible to them (reads only: nobody but the owner writes entries);
 * - a timer: to its owner only.
 *
 * FORCE makes the policies apply to the table owner too (the application's own
 * role). Superusers bypass row-level security whatever FORCE says, so the application
 * also switches to `uurwerk_rls` (NOLOGIN, no BYPASSRLS) around every query on these
 * tables; the role is created here when the migrating user may create roles (the
 * embedded database and the test cluster run as a superuser). Where it cannot be
 * created, the application connects as a non-superuser owner and FORCE does the work.
 */
const actor = `current_setting('uurwerk.actor', true)`;
const bypass = `coalesce(current_setting('uurwerk.bypass', true), '') = 'on'`;
const adminOf = (teams: string) =>
  `EXISTS (SELECT 1 FROM role_assignments r WHERE r.account_id::text = ${actor} AND r.role = 'team_admin' AND r.team = ANY (${teams}))`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        CREATE ROLE uurwerk_rls NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
      END IF;
    EXCEPTION
      WHEN insufficient_privilege THEN RAISE NOTICE 'role uurwerk_rls not created (no CREATEROLE); row security relies on FORCE';
      WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by a migration of another database
    END $$;
  `);
  await knex.raw(`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON timesheet_days, time_entries, running_timers TO uurwerk_rls;
        GRANT SELECT ON role_assignments TO uurwerk_rls;
        BEGIN
          EXECUTE format('GRANT uurwerk_rls TO %I', current_user);
        EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'could not grant uurwerk_rls to %', current_user;
        END;
      END IF;
    END $$;
  `);
  await knex.raw(`
    ALTER TABLE timesheet_days ENABLE ROW LEVEL SECURITY;
    ALTER TABLE timesheet_days FORCE ROW LEVEL SECURITY;
    CREATE POLICY timesheet_days_wall ON timesheet_days
      USING (${bypass} OR owner_id::text = ${actor} OR (state <> 'draft' AND ${adminOf('scope_teams')}))
      WITH CHECK (${bypass} OR owner_id::text = ${actor} OR (state <> 'draft' AND ${adminOf('scope_teams')}));

    ALTER TABLE time_entries ENABLE ROW LEVEL SECURITY;
    ALTER TABLE time_entries FORCE ROW LEVEL SECURITY;
    CREATE POLICY time_entries_owner ON time_entries
      USING (${bypass} OR owner_id::text = ${actor})
      WITH CHECK (${bypass} OR owner_id::text = ${actor});
    CREATE POLICY time_entries_admin_read ON time_entries FOR SELECT
      USING (EXISTS (
        SELECT 1 FROM timesheet_days d
        WHERE d.owner_id = time_entries.owner_id AND d.date BETWEEN time_entries.first_date AND time_entries.last_date
          AND d.state <> 'draft' AND ${adminOf('d.scope_teams')}
      ));

    ALTER TABLE running_timers ENABLE ROW LEVEL SECURITY;
    ALTER TABLE running_timers FORCE ROW LEVEL SECURITY;
    CREATE POLICY running_timers_owner ON running_timers
      USING (${bypass} OR owner_id::text = ${actor})
      WITH CHECK (${bypass} OR owner_id::text = ${actor});
  `);
}

export async function down(knex: Knex): Promise<void> {
  // The role is cluster-wide (other databases of the cluster may use it), so it stays.
  await knex.raw(`
    DROP POLICY running_timers_owner ON running_timers;
    ALTER TABLE running_timers NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE running_timers DISABLE ROW LEVEL SECURITY;
    DROP POLICY time_entries_admin_read ON time_entries;
    DROP POLICY time_entries_owner ON time_entries;
    ALTER TABLE time_entries NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE time_entries DISABLE ROW LEVEL SECURITY;
    DROP POLICY timesheet_days_wall ON timesheet_days;
    ALTER TABLE timesheet_days NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE timesheet_days DISABLE ROW LEVEL SECURITY;
  `);
  await knex.raw(`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        REVOKE ALL ON timesheet_days, time_entries, running_timers FROM uurwerk_rls;
        REVOKE SELECT ON role_assignments FROM uurwerk_rls;
      END IF;
    END $$;
  `);
}
