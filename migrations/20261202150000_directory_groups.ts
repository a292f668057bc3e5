import type { Knex } from 'knex';

/**
 * The directory's groups as the last sync saw them: objectGUID, DN and their direct
 * members as keys (SHA-256 of the normalised DN: a user's DN carries their name, and
 * resolving membership needs only equality). An
 * incremental sync reads only the groups that changed since the bookmark and
 * resolves nested membership from these rows, instead of asking the directory for
 * every configured group's nested members on every run. Replaced whole by a full sync.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE directory_groups (
      guid        text PRIMARY KEY,
      dn          text NOT NULL,
      dn_key      text NOT NULL,
      members     text[] NOT NULL DEFAULT '{}',
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX directory_groups_dn_key ON directory_groups (dn_key);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE directory_groups');
}
