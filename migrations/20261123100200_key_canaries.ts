import type { Knex } from 'knex';

/**
 * One known value per KEK version, encrypted with that KEK. Checked at start: a
 * keyring whose KEK does not decrypt its canary is the wrong keyring, and the
 * appliance refuses to start. Holds no key material.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE key_canaries (
      kek_version  integer PRIMARY KEY CHECK (kek_version >= 1),
      ciphertext   bytea NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE key_canaries');
}
