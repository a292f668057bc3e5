import type { Knex } from 'knex';

/**
 * An index on the time of audit events: the compliance export of a period finds the
 * period's first and last event with two index probes instead of a scan of the log.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX audit_events_at ON audit.events (at, seq)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX audit.audit_events_at');
}
