import type { Knex } from 'knex';

/**
 * Passwords of local accounts (break-glass operators, sites without a directory).
 * Directory users authenticate by LDAP bind; their password is never stored.
 * `password_hash` is bcrypt (cost >= 12) over a SHA-256 pre-hash, so passwords longer
 * than bcrypt's 72 bytes are not silently truncated.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE local_credentials (
      account_id          uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
      password_hash       text NOT NULL,
      password_changed_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE local_credentials');
}
