import type { Knex } from 'knex';

/** When the owner was last reminded to submit a draft day (each day is reminded about once). */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE timesheet_days ADD COLUMN reminded_at timestamptz');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE timesheet_days DROP COLUMN reminded_at');
}
