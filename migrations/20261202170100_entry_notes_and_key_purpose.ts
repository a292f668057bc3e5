import type { Knex } from 'knex';

/**
 * Time entries under the right keys (issue 12). `key_purpose` says which of the
 * owner's keys seals `details`: `draft` while no day the entry touches was ever
 * submitted, `record` from the first submit on (entries written before this migration
 * sit under keys that became record keys). The note moves out of `details` into its
 * own column, sealed under the owner's `note` key of the year, so it can be erased on
 * request while the record stays; rows written before keep the note inside `details`
 * (NULL here) and still read. Partial indexes (date, id) let the retention job walk what is
 * due in key order, each batch starting where the last ended, instead of stepping over
 * the rows earlier batches deleted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE time_entries ADD COLUMN key_purpose text NOT NULL DEFAULT 'record' CHECK (key_purpose IN ('draft', 'record'));
    ALTER TABLE time_entries ADD COLUMN note text;
    CREATE INDEX time_entries_record_first_date ON time_entries (first_date, id) WHERE key_purpose = 'record';
    CREATE INDEX time_entries_draft_last_date ON time_entries (last_date, id) WHERE key_purpose = 'draft';
    CREATE INDEX timesheet_days_submitted_date ON timesheet_days (date, id) WHERE submitted_at IS NOT NULL;
    CREATE INDEX timesheet_days_draft_date ON timesheet_days (date, id) WHERE submitted_at IS NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX timesheet_days_draft_date;
    DROP INDEX timesheet_days_submitted_date;
    DROP INDEX time_entries_draft_last_date;
    DROP INDEX time_entries_record_first_date;
    ALTER TABLE time_entries DROP COLUMN note;
    ALTER TABLE time_entries DROP COLUMN key_purpose;
  `);
}
