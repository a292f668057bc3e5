import type { Knex } from 'knex';

/**
 * The working-time warnings a day carried when it was submitted (src/reports/submit-warnings.ts),
 * so the admin inbox can flag them without reading every listed person's week. Codes
 * only — no text, no figures about other days; set at submit, emptied at return,
 * reopen and take-back (src/timesheets/day-workflow.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE timesheet_days ADD COLUMN warnings text[] NOT NULL DEFAULT '{}'
      CHECK (warnings <@ ARRAY['long_shift', 'long_week', 'short_rest', 'short_break']::text[])
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE timesheet_days DROP COLUMN warnings');
}
