import type { Knex } from 'knex';

/**
 * A record that a subject's data keys were destroyed (crypto-shredding): all years
 * (`year` NULL) or one. Decrypting a value under one of `key_ids` then reports
 * "shredded" instead of "unknown key", and no new key is made for a shredded
 * subject/year.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE key_tombstones (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      subject      text NOT NULL,
      year         integer CHECK (year BETWEEN 1970 AND 9999),
      key_ids      uuid[] NOT NULL DEFAULT '{}',
      shredded_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX key_tombstones_subject ON key_tombstones (subject);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE key_tombstones');
}
