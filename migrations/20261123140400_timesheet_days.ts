import type { Knex } from 'knex';

/**
 * One row per person per local date that has (had) entries or was submitted.
 * `scope_teams` and `scope_admin_ids` are recorded AT SUBMISSION: the teams whose
 * scope held the person then, and the admins of those teams (mailed). Visibility to
 * admins follows `scope_teams`, so moving the person later does not widen who sees
 * the past. `comment` (an admin's return comment or reopen reason) is encrypted under
 * the owner's data key, bound to (timesheet_days, comment, id). `version` increases on
 * every change, for optimistic checks and tests.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE timesheet_days (
      id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      owner_id         uuid NOT NULL REFERENCES accounts (id),
      date             date NOT NULL,
      state            text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'returned', 'approved')),
      time_zone        text NOT NULL,
      scope_teams      text[] NOT NULL DEFAULT '{}',
      scope_admin_ids  uuid[] NOT NULL DEFAULT '{}',
      comment          text,
      submitted_at     timestamptz,
      returned_at      timestamptz,
      returned_by      uuid REFERENCES accounts (id),
      approved_at      timestamptz,
      approved_by      uuid REFERENCES accounts (id),
      version          integer NOT NULL DEFAULT 1,
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      UNIQUE (owner_id, date),
      CHECK (state = 'draft' OR submitted_at IS NOT NULL),
      CHECK ((state = 'approved') = (approved_by IS NOT NULL))
    );
    CREATE INDEX timesheet_days_inbox ON timesheet_days USING gin (scope_teams) WHERE state <> 'draft';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE timesheet_days');
}
