import type { Knex } from 'knex';

/**
 * An account whose password was reset before it ever confirmed a second factor may
 * not enrol one unaided: whoever read the reset link (a database reader, a mailbox
 * thief) would otherwise own the account for good. The reset sets this flag; an
 * operator clears it after checking with the person.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE accounts ADD COLUMN enrolment_needs_confirmation boolean NOT NULL DEFAULT false`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE accounts DROP COLUMN enrolment_needs_confirmation');
}
