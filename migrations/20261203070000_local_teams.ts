import type { Knex } from 'knex';

/**
 * Teams and scopes for sites without a directory (or beside one).
 *
 * - `local_teams`: the teams an operator made. Directory teams are declared in the
 *   configuration (`directory.roles.teams`); a local team needs a row of its own so it
 *   exists before it has members or admins, and so its name cannot clash with one.
 * - Membership and admins of local teams live in the SAME tables as the directory's
 *   (`team_scope_members`, `role_assignments`), so row security and the policies stay
 *   one path. `team_scope_members.source` says who manages a row: the directory sync
 *   plans from and removes only 'directory' rows (role_assignments already had it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE local_teams (
      name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$'),
      created_by  text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE team_scope_members
      ADD COLUMN source text NOT NULL DEFAULT 'directory' CHECK (source IN ('directory', 'local'));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE team_scope_members DROP COLUMN source;
    DROP TABLE local_teams;
  `);
}
