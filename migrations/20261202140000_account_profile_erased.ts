import type { Knex } from 'knex';

/**
 * Leavers: `accounts.profile_erased_at` marks an account whose profile (names, mail
 * address, username, directory link) the retention job erased once the `leavers`
 * period ran out. The row stays as a number for the records that outlive it; the
 * mark keeps the job from visiting it again and lets pages say why a name is gone.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts ADD COLUMN profile_erased_at timestamptz;
    CREATE INDEX accounts_leavers ON accounts (status_changed_at) WHERE status = 'deactivated' AND profile_erased_at IS NULL;
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        GRANT SELECT (profile_erased_at) ON accounts TO uurwerk_rls;
      END IF;
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX accounts_leavers; ALTER TABLE accounts DROP COLUMN profile_erased_at');
}
