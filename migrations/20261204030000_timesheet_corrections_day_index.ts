import type { Knex } from 'knex';

/**
 * An index on the day of every correction request, not only the open ones: deleting a
 * day (the retention run, an erasure) finds its requests through it, where without
 * it each deleted day cost a scan of the whole table (the foreign key's cascade, or
 * the retention batch's own delete of the children).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX timesheet_corrections_day ON timesheet_corrections (day_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX timesheet_corrections_day');
}
