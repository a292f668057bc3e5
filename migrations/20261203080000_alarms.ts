import type { Knex } from 'knex';

/**
 * Alarms (issue 13): one row per incident the periodic check found, open until the
 * condition is gone (`cleared_at`). A partial unique index keeps one open row per
 * kind and key, so a continuing condition does not open a new incident every run.
 * `category` says whom it concerns: `suspected` (a possible breach: it opened a
 * suspected entry in the breach register, `breach_id`) or `operational` (the
 * operators). `key` names the thing (a KEK version, a hashed throttle key, an admin's
 * account id), `detail` holds counts and times only.
 *
 * `backup_runs`: each successful `uurwerk backup`, so the appliance knows the age of
 * the last one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE alarms (
      id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind        text NOT NULL CHECK (kind ~ '^[a-z_]+$'),
      key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
      category    text NOT NULL CHECK (category IN ('suspected', 'operational')),
      opened_at   timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      cleared_at  timestamptz,
      breach_id   uuid REFERENCES privacy_breaches (id),
      detail      jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE UNIQUE INDEX alarms_open ON alarms (kind, key) WHERE cleared_at IS NULL;
    CREATE INDEX alarms_opened ON alarms (opened_at DESC);

    CREATE TABLE backup_runs (
      id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      finished_at timestamptz NOT NULL DEFAULT now(),
      bytes       bigint NOT NULL CHECK (bytes >= 0)
    );
    CREATE INDEX backup_runs_finished ON backup_runs (finished_at DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE backup_runs; DROP TABLE alarms');
}
