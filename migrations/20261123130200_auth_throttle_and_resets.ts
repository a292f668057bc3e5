import type { Knex } from 'knex';

/**
 * Sign-in throttling shared by every app node (keys: `account:<source>:<username>`
 * and `address:<ip>`), and single-use, expiring password-reset tokens (hashed).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE auth_throttle (
      key              text PRIMARY KEY,
      failures         integer NOT NULL DEFAULT 0,
      first_failure_at timestamptz NOT NULL DEFAULT now(),
      blocked_until    timestamptz
    );
    CREATE TABLE password_resets (
      token_hash  bytea PRIMARY KEY,
      account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      created_at  timestamptz NOT NULL DEFAULT now(),
      expires_at  timestamptz NOT NULL,
      used_at     timestamptz
    );
    CREATE INDEX password_resets_account ON password_resets (account_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE password_resets; DROP TABLE auth_throttle');
}
