import type { Knex } from 'knex';

/**
 * Three more roles: `dpo` (privacy officer: data-subject requests and breaches),
 * `reports` (organisation reports under the k rule) and `payroll` (payroll exports).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE role_assignments DROP CONSTRAINT role_assignments_role_check;
    ALTER TABLE role_assignments ADD CONSTRAINT role_assignments_role_check
      CHECK (role IN ('employee', 'team_admin', 'auditor', 'operator', 'dpo', 'reports', 'payroll'));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DELETE FROM role_assignments WHERE role IN ('dpo', 'reports', 'payroll');
    ALTER TABLE role_assignments DROP CONSTRAINT role_assignments_role_check;
    ALTER TABLE role_assignments ADD CONSTRAINT role_assignments_role_check
      CHECK (role IN ('employee', 'team_admin', 'auditor', 'operator'));
  `);
}
