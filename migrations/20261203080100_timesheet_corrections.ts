import type { Knex } from 'knex';

/**
 * Correction requests (rectification, GDPR art. 16): the owner of a locked day
 * (submitted or approved) asks the admins in scope to correct it, optionally naming
 * one entry. The text rests sealed under the owner's data key (bound to this table,
 * column and row). The admin resolves it by reopening (or returning) the day with the
 * request as reason, or declines it; the owner sees the state.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE timesheet_corrections (
      id          uuid PRIMARY KEY,
      day_id      uuid NOT NULL REFERENCES timesheet_days (id) ON DELETE CASCADE,
      owner_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      entry_id    uuid,
      text        text NOT NULL,
      status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reopened', 'declined')),
      created_at  timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      resolved_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
      CHECK ((status = 'open') = (resolved_at IS NULL))
    );
    CREATE INDEX timesheet_corrections_owner ON timesheet_corrections (owner_id, created_at DESC);
    CREATE INDEX timesheet_corrections_open ON timesheet_corrections (day_id) WHERE status = 'open';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE timesheet_corrections');
}
