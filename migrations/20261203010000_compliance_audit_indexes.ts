import type { Knex } from 'knex';

/**
 * What the auditor's view reads from the audit log, made cheap at any size:
 *
 * - `audit_events_actor (actor_id, seq)`: a page filtered by actor walks the index in
 *   seq order from the keyset bound and stops after one page (never OFFSET). Subjects
 *   have `audit_events_subject (subject_id, seq)` already; an action (prefix, a range in
 *   the C locale) uses `audit_events_action_at` where it is rare, and the primary key,
 *   stopping after one page, where it is common: no further index to slow appends.
 * - `audit_events_at (at)`: a time-range filter narrows to the range's rows.
 * - `audit_events_sign_in (subject_id, seq) WHERE action = 'auth.login.succeeded'`: the
 *   access review's last sign-in per account is one probe into this small partial index.
 * - `compliance_verify_runs`: the outcome of each `audit:verify` run (counts, kinds and
 *   the first broken seq, never the messages, which may name people), so the auditor
 *   sees the last verification without running one.
 *
 * Plain CREATE INDEX (migrations run in a transaction): on a very large log this holds
 * appends for the build time; schedule the upgrade accordingly (README, "Auditor's view").
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX audit_events_actor ON audit.events (actor_id, seq);
    CREATE INDEX audit_events_at ON audit.events (at);
    CREATE INDEX audit_events_sign_in ON audit.events (subject_id, seq) WHERE action = 'auth.login.succeeded';

    CREATE TABLE compliance_verify_runs (
      id                  bigserial PRIMARY KEY,
      at                  timestamptz NOT NULL DEFAULT now(),
      source              text NOT NULL CHECK (source IN ('cli', 'job')),
      ok                  boolean NOT NULL,
      from_seq            bigint NOT NULL,
      to_seq              bigint NOT NULL,
      events_checked      bigint NOT NULL,
      checkpoints_checked bigint NOT NULL,
      first_broken_seq    bigint,
      first_broken_checkpoint bigint,
      problems            integer NOT NULL CHECK (problems >= 0),
      kinds               text[] NOT NULL DEFAULT '{}',
      CHECK (ok = (problems = 0))
    );
    CREATE INDEX compliance_verify_runs_at ON compliance_verify_runs (at DESC);
  `);
}

/** Drops the indexes and the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE compliance_verify_runs;
    DROP INDEX audit.audit_events_sign_in;
    DROP INDEX audit.audit_events_at;
    DROP INDEX audit.audit_events_actor;
  `);
}
