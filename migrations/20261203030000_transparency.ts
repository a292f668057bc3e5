import type { Knex } from 'knex';

/**
 * Transparency (src/transparency).
 *
 * `transparency_versions`: one row per version of the privacy-relevant settings (the
 * values as they stood, which keys changed since the previous version). A new row is
 * written at start when the configuration's privacy-relevant subset differs from the
 * latest; it is the change history the works-council pack and the compliance export show.
 *
 * `transparency_notice_acks`: who confirmed reading which notice version, and when.
 * `transparency_confidentiality_acks`: which admin agreed to which version of the
 * confidentiality statement before opening other people's days. Both are also
 * audit events by the person (which "My data" shows).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE transparency_versions (
      version     integer PRIMARY KEY CHECK (version > 0),
      settings    jsonb NOT NULL,
      changed     text[] NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE transparency_notice_acks (
      account_id       uuid NOT NULL REFERENCES accounts (id),
      version          integer NOT NULL REFERENCES transparency_versions (version),
      acknowledged_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_id, version)
    );
    CREATE TABLE transparency_confidentiality_acks (
      account_id         uuid NOT NULL REFERENCES accounts (id),
      statement_version  integer NOT NULL CHECK (statement_version > 0),
      acknowledged_at    timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_id, statement_version)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE transparency_confidentiality_acks; DROP TABLE transparency_notice_acks; DROP TABLE transparency_versions;');
}
