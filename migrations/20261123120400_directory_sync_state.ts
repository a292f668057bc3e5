import type { Knex } from 'knex';

/**
 * Incremental-sync bookmark: the server's identity (dsServiceName and its
 * invocationId) and the highestCommittedUSN read before the last successful search.
 * A different server or invocationId (restore, another DC) forces a full resync.
 * One row (id = 1).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE directory_sync_state (
      id                 smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      server_url         text NOT NULL,
      ds_service_name    text,
      invocation_id      text,
      highest_usn        bigint,
      last_full_at       timestamptz,
      updated_at         timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE directory_sync_state');
}
