import type { Knex } from 'knex';

/**
 * Which accounts are in which team's scope (teams come from `directory.roles.teams`),
 * and why (`via`: the AD group or OU that put them there). A team admin sees the
 * submitted days of exactly these people. Rewritten by every directory sync.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE team_scope_members (
      team        text NOT NULL,
      account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      via         text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team, account_id, via)
    );
    CREATE INDEX team_scope_members_account ON team_scope_members (account_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE team_scope_members');
}
