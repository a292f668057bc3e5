import type { Knex } from 'knex';

/**
 * Accounts: one row per person who can appear in Uurwerk. `id` is pseudonymous and is
 * the only identifier other domains store. Directory and local accounts live in
 * separate namespaces (unique per source), so a local `jdoe` never becomes the AD
 * `jdoe`. Directory accounts are keyed by `directory_id` (objectGUID or the configured
 * attribute), never by DN or username, so a rename or move keeps the account. Rows
 * are never deleted by the sync: a vanished user becomes `deactivated`.
 *
 * Personal fields (names, mail, department, employee number) are plaintext for now;
 * they mirror the directory and are refreshed on every sync.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE accounts (
      id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      source           text NOT NULL CHECK (source IN ('directory', 'local')),
      username         text NOT NULL CHECK (length(username) BETWEEN 1 AND 256),
      directory_id     text,
      dn               text,
      display_name     text,
      given_name       text,
      surname          text,
      email            text,
      department       text,
      employee_number  text,
      status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deactivated')),
      status_reason    text,
      expires_at       timestamptz,
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      status_changed_at timestamptz NOT NULL DEFAULT now(),
      last_seen_in_directory_at timestamptz,
      CHECK ((source = 'directory') = (directory_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX accounts_source_username ON accounts (source, lower(username)) WHERE status <> 'deactivated';
    CREATE UNIQUE INDEX accounts_directory_id ON accounts (directory_id) WHERE directory_id IS NOT NULL;
    CREATE INDEX accounts_status ON accounts (status);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE accounts');
}
