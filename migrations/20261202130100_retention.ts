import type { Knex } from 'knex';

/**
 * Retention: legal holds, the record of retention runs, and restriction of a
 * person's kept data.
 *
 * `legal_holds` pause deletion for a person, a project, a customer or a date range
 * (inclusive), with a reason and an end date; released holds stay as history.
 * `retention_runs` is one row per run (or dry run): the moment it worked for, its
 * counts per category, and whether its audit event was written, so a run killed
 * halfway is finished and audited by the next. `accounts.restricted_at` marks a
 * person whose kept records are only stored (GDPR art. 18): out of inboxes and reports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE legal_holds (
      id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind            text NOT NULL CHECK (kind IN ('person', 'project', 'customer', 'range')),
      account_id      uuid REFERENCES accounts (id),
      project_id      uuid REFERENCES projects (id),
      customer_id     uuid REFERENCES customers (id),
      from_date       date,
      to_date         date,
      reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      ends_on         date NOT NULL,
      created_by      text NOT NULL,
      created_at      timestamptz NOT NULL DEFAULT now(),
      released_at     timestamptz,
      released_by     text,
      release_reason  text CHECK (release_reason IS NULL OR length(release_reason) BETWEEN 1 AND 500),
      CHECK ((kind = 'person') = (account_id IS NOT NULL)),
      CHECK ((kind = 'project') = (project_id IS NOT NULL)),
      CHECK ((kind = 'customer') = (customer_id IS NOT NULL)),
      CHECK ((kind = 'range') = (from_date IS NOT NULL AND to_date IS NOT NULL)),
      CHECK (from_date IS NULL OR to_date >= from_date),
      CHECK ((released_at IS NULL) = (released_by IS NULL))
    );
    CREATE INDEX legal_holds_active ON legal_holds (ends_on) WHERE released_at IS NULL;

    CREATE TABLE retention_runs (
      id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      as_of        timestamptz NOT NULL,
      dry_run      boolean NOT NULL DEFAULT false,
      started_by   text NOT NULL,
      node         text NOT NULL,
      started_at   timestamptz NOT NULL DEFAULT now(),
      heartbeat_at timestamptz NOT NULL DEFAULT now(),
      finished_at  timestamptz,
      status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
      counts       jsonb NOT NULL DEFAULT '{}',
      error        text,
      audited      boolean NOT NULL DEFAULT false
    );
    CREATE INDEX retention_runs_started ON retention_runs (started_at DESC);

    ALTER TABLE accounts ADD COLUMN restricted_at timestamptz;
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        GRANT SELECT (restricted_at) ON accounts TO uurwerk_rls;
      END IF;
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts DROP COLUMN restricted_at;
    DROP TABLE retention_runs;
    DROP TABLE legal_holds;
  `);
}
