import type { Knex } from 'knex';

/**
 * Server-side sessions (revocable). Only a hash of the cookie token is stored.
 * `second_factor_at` is null while only the password has been checked. Revocation
 * keeps the row (with when and why) so "sign out everywhere" and the directory sync
 * leave a trace; expired and revoked rows are purged by housekeeping later.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sessions (
      id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash        bytea NOT NULL UNIQUE,
      account_id        uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      created_at        timestamptz NOT NULL DEFAULT now(),
      last_seen_at      timestamptz NOT NULL DEFAULT now(),
      idle_expires_at   timestamptz NOT NULL,
      absolute_expires_at timestamptz NOT NULL,
      second_factor_at  timestamptz,
      remote_address    text,
      user_agent        text,
      revoked_at        timestamptz,
      revoke_reason     text
    );
    CREATE INDEX sessions_account_live ON sessions (account_id) WHERE revoked_at IS NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE sessions');
}
