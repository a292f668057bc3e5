import type { Knex } from 'knex';

/**
 * Personal API tokens: made by an employee for scripts and capture agents, shown
 * once, stored only as a SHA-256 hash, limited to scopes, revocable, expiring.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE api_tokens (
      id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      token_hash    bytea NOT NULL UNIQUE,
      scopes        text[] NOT NULL CHECK (cardinality(scopes) >= 1),
      created_at    timestamptz NOT NULL DEFAULT now(),
      expires_at    timestamptz NOT NULL,
      last_used_at  timestamptz,
      revoked_at    timestamptz
    );
    CREATE INDEX api_tokens_account ON api_tokens (account_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE api_tokens');
}
