import type { Knex } from 'knex';

/**
 * Role assignments with the reason each exists, so a page can show WHY someone has a
 * role: for directory roles `reason` is the configured AD group (nested membership
 * counted) or the OU; `team` names the team of a team_admin ('' for other roles, so
 * the primary key stays simple). A person in two admin groups has two rows.
 * `source` says who manages the row: the directory sync only touches 'directory' rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE role_assignments (
      account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      role        text NOT NULL CHECK (role IN ('employee', 'team_admin', 'auditor', 'operator')),
      team        text NOT NULL DEFAULT '' CHECK ((role = 'team_admin') = (team <> '')),
      reason      text NOT NULL,
      source      text NOT NULL CHECK (source IN ('directory', 'local')),
      created_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_id, role, team, reason)
    );
    CREATE INDEX role_assignments_role ON role_assignments (role, team);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE role_assignments');
}
