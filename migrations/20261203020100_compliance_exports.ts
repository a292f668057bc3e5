import type { Knex } from 'knex';

/**
 * Compliance exports an auditor started from `/audit/export`: one row per export. A
 * background job writes the signed zip to `<data_dir>/compliance-exports/<id>.zip`
 * (progress in `progress`/`step`); the auditor fetches it once through a link whose
 * token is stored only as a SHA-256 hash; after the download or 24 hours the file is
 * removed and the row stays as the record that the export happened.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE compliance_exports (
      id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      requested_by  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      period_from   date,
      period_to     date,
      status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'ready', 'fetched', 'expired', 'failed')),
      progress      integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
      step          text CHECK (length(step) <= 50),
      token_hash    bytea NOT NULL,
      bytes         bigint,
      events        bigint,
      manifest_sha256 text CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
      error         text CHECK (length(error) <= 200),
      created_at    timestamptz NOT NULL DEFAULT now(),
      started_at    timestamptz,
      finished_at   timestamptz,
      expires_at    timestamptz NOT NULL,
      fetched_at    timestamptz,
      CHECK (period_from IS NULL OR period_to IS NULL OR period_from <= period_to),
      CHECK ((status = 'fetched') = (fetched_at IS NOT NULL))
    );
    CREATE INDEX compliance_exports_requester ON compliance_exports (requested_by, created_at DESC);
    CREATE INDEX compliance_exports_open ON compliance_exports (expires_at) WHERE status IN ('queued', 'running', 'ready', 'failed');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE compliance_exports');
}
