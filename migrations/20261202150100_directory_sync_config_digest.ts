import type { Knex } from 'knex';

/**
 * The bookmark keeps a digest of the configuration the last sync read the directory
 * with (base DNs, filter, attributes, role mapping): when it changes, the next run is
 * a full one, so a new group mapping is never applied to what an incremental run
 * alone would see. Null (rows from before) forces one full run.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE directory_sync_state ADD COLUMN config_digest text');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE directory_sync_state DROP COLUMN config_digest');
}
