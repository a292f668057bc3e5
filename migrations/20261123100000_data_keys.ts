import type { Knex } from 'knex';

/**
 * Data keys (DEKs): one per subject (employee id) and calendar year, stored only
 * wrapped by a key-encryption key (KEK) that lives in the keyring on disk.
 * `wrapped` is nonce || AES-256-GCM(DEK) || tag; `kek_version` names the KEK file.
 * UNIQUE (subject, year) lets concurrent first uses agree on one key (ON CONFLICT).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE data_keys (
      id            uuid PRIMARY KEY,
      subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
      year          integer NOT NULL CHECK (year BETWEEN 1970 AND 9999),
      kek_version   integer NOT NULL CHECK (kek_version >= 1),
      wrapped       bytea NOT NULL CHECK (length(wrapped) = 60),
      created_at    timestamptz NOT NULL DEFAULT now(),
      rewrapped_at  timestamptz,
      CONSTRAINT data_keys_subject_year UNIQUE (subject, year)
    );
    CREATE INDEX data_keys_kek_version ON data_keys (kek_version);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE data_keys');
}
