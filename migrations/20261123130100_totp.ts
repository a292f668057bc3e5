import type { Knex } from 'knex';

/**
 * Second factor. The TOTP secret is stored only as an envelope encrypted under the
 * account's data key (src/keys). A new secret waits in `pending_secret` until the
 * person proves with a code that their app has it; only then does it replace `secret`. `last_step` is the highest time step accepted so
 * far: a code is accepted only for a later step, so each code works once.
 * Recovery codes are stored as SHA-256 hashes (they carry about 79 random bits each).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE totp_factors (
      account_id    uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
      secret        text,
      pending_secret text,
      created_at    timestamptz NOT NULL DEFAULT now(),
      confirmed_at  timestamptz,
      last_step     bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE recovery_codes (
      account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      code_hash   bytea NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      used_at     timestamptz,
      PRIMARY KEY (account_id, code_hash)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE recovery_codes; DROP TABLE totp_factors');
}
