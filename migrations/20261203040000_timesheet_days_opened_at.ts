import type { Knex } from 'knex';

/**
 * When someone other than the owner first opened a submitted day (the review page or
 * `GET /api/v1/days/:id`). Until then its owner may take it back to draft; a new
 * submission clears it. The row-security policy already lets a scoped admin update a
 * non-draft day, so no policy changes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE timesheet_days ADD COLUMN opened_at timestamptz');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE timesheet_days DROP COLUMN opened_at');
}
