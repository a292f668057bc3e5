import type { Knex } from 'knex';

/**
 * "My data" downloads (GDPR art. 15/20): one row per export a person asked for. The
 * zip is built by a background job (progress in `progress`/`step`), rests sealed under
 * the person's own data key (`archive`, bound to this table, column and row) and is
 * fetched once through a link whose token is stored only as a SHA-256 hash. After the
 * download or 24 hours the archive is emptied (a constraint holds it), the row stays as
 * the record that the export happened.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE mydata_exports (
      id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'ready', 'fetched', 'expired', 'failed')),
      progress     integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
      step         text CHECK (length(step) <= 50),
      token_hash   bytea NOT NULL,
      archive      text,
      bytes        integer,
      error        text CHECK (length(error) <= 200),
      created_at   timestamptz NOT NULL DEFAULT now(),
      started_at   timestamptz,
      finished_at  timestamptz,
      expires_at   timestamptz NOT NULL,
      fetched_at   timestamptz,
      CHECK (archive IS NULL OR status = 'ready'),
      CHECK ((status = 'fetched') = (fetched_at IS NOT NULL))
    );
    CREATE INDEX mydata_exports_account ON mydata_exports (account_id, created_at DESC);
    CREATE INDEX mydata_exports_open ON mydata_exports (expires_at) WHERE status IN ('queued', 'running', 'ready', 'failed');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE mydata_exports');
}
