import type { Knex } from 'knex';

/**
 * One row per directory sync run (dry runs are not recorded): when, how long, what
 * it found and changed (`counts`), why it failed or was held back (`error_code`,
 * `error`), and the diff it applied or, when held back by the safety valve, the
 * pending diff an operator can confirm. `operators_mailed` lets a repeated failure
 * (an unreachable server, hourly) mail the operators once a day, not every hour. `ldap:status` and the operator page read it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE directory_sync_runs (
      id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      started_at   timestamptz NOT NULL,
      finished_at  timestamptz NOT NULL,
      duration_ms  integer NOT NULL,
      mode         text NOT NULL CHECK (mode IN ('full', 'incremental')),
      trigger      text NOT NULL,
      outcome      text NOT NULL CHECK (outcome IN ('applied', 'blocked', 'failed')),
      server_url   text,
      counts       jsonb NOT NULL DEFAULT '{}',
      error_code   text,
      error        text,
      diff         jsonb,
      operators_mailed boolean NOT NULL DEFAULT false
    );
    CREATE INDEX directory_sync_runs_started ON directory_sync_runs (started_at DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE directory_sync_runs');
}
