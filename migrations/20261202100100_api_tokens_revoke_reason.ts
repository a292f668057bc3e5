import type { Knex } from 'knex';

/**
 * Why a personal API token ended: its owner revoked it, or it ended with the person's
 * sessions (sign out everywhere, an operator's revocation, a password reset, a
 * directory deactivation). The /account page shows ended tokens with this reason.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE api_tokens ADD COLUMN revoke_reason text CHECK (length(revoke_reason) <= 200)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE api_tokens DROP COLUMN revoke_reason');
}
