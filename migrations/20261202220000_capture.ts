import type { Knex } from 'knex';

/**
 * Automatic capture (ActivityWatch): an employee's buckets, the days that hold raw
 * activity (one data key each, subject `capture:<account>:<day>`, so the retention job
 * forgets a day by shredding its key) and the events, whose `data` (app, title, URL...)
 * is sealed under that day's key. Events belong to a day row and go with it (CASCADE).
 * `capture_settings` holds pause and the exclusion patterns, sealed too (a pattern is
 * itself personal). Bucket names are kept in clear: the agents address buckets by
 * name; client, type and hostname are sealed with the settings. A day the employee
 * deleted keeps its row, marked `forgotten_at`, until retention removes it: its key is
 * shredded, so nothing more can be captured for that day.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE capture_settings (
      account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
      paused boolean NOT NULL DEFAULT false,
      rules text,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE capture_buckets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      meta text NOT NULL,
      last_event_id bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_updated timestamptz,
      UNIQUE (account_id, name)
    );
    CREATE TABLE capture_days (
      account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      day date NOT NULL,
      forgotten_at timestamptz,
      PRIMARY KEY (account_id, day)
    );
    CREATE INDEX capture_days_day ON capture_days (day);
    CREATE TABLE capture_events (
      id bigserial PRIMARY KEY,
      bucket_id uuid NOT NULL REFERENCES capture_buckets(id) ON DELETE CASCADE,
      account_id uuid NOT NULL,
      day date NOT NULL,
      starts_at timestamptz NOT NULL,
      duration double precision NOT NULL CHECK (duration >= 0),
      data text NOT NULL,
      FOREIGN KEY (account_id, day) REFERENCES capture_days(account_id, day) ON DELETE CASCADE
    );
    CREATE INDEX capture_events_bucket_time ON capture_events (bucket_id, starts_at DESC, id DESC);
    CREATE INDEX capture_events_account_day ON capture_events (account_id, day);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE capture_events; DROP TABLE capture_days; DROP TABLE capture_buckets; DROP TABLE capture_settings');
}
