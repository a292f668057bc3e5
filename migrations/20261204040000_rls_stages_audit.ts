import type { Knex } from 'knex';

/**
 * Issue 11: an audited write on time data (entry create, change, delete) stages its
 * audit event without stepping out of the row-security role first. Once the audit
 * staging table (`audit.pending`, group commit) exists, `uurwerk_rls` may INSERT into
 * it — nothing else: it cannot read, change or delete staged events, nor touch
 * `audit.events`. Where the table or the role does not exist, this does nothing and
 * the wall steps out of the role for the append as before (src/timesheets/repository.ts
 * checks the grant once per pool).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      IF to_regclass('audit.pending') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        GRANT USAGE ON SCHEMA audit TO uurwerk_rls;
        GRANT INSERT ON audit.pending TO uurwerk_rls;
        GRANT USAGE ON SEQUENCE audit.pending_n_seq TO uurwerk_rls;
      END IF;
    END $$;
  `);
}

/** Takes the grant back. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      IF to_regclass('audit.pending') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN
        REVOKE INSERT ON audit.pending FROM uurwerk_rls;
        REVOKE USAGE ON SEQUENCE audit.pending_n_seq FROM uurwerk_rls;
      END IF;
    END $$;
  `);
}
