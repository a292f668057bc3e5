import type { Knex } from 'knex';

/**
 * Billing and payroll (src/reports/billing.ts, payroll.ts):
 * - `billing_currencies`: the currency of each customer (ISO 4217 code; EUR unless set).
 * - `billing_rates`: hourly rates for a customer, a project or a task, each from a date
 *   on (`valid_from`), so a rate change does not rewrite last year; the most specific
 *   rate valid on a day wins.
 * - `period_closures`: an invoiced period of a customer (`invoice`) or a payroll run
 *   (`payroll`, no customer). Reopening a day in an invoiced period is audited as
 *   such; a day in a payroll-locked period cannot be reopened.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE billing_currencies (
      customer_id  uuid PRIMARY KEY REFERENCES customers (id),
      currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      updated_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE billing_rates (
      id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      customer_id  uuid REFERENCES customers (id),
      project_id   uuid REFERENCES projects (id),
      task_id      uuid REFERENCES tasks (id),
      hourly_rate  numeric(12, 2) NOT NULL CHECK (hourly_rate >= 0),
      valid_from   date NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      CHECK (num_nonnulls(customer_id, project_id, task_id) = 1),
      UNIQUE NULLS NOT DISTINCT (customer_id, project_id, task_id, valid_from)
    );
    CREATE TABLE period_closures (
      id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind         text NOT NULL CHECK (kind IN ('invoice', 'payroll')),
      customer_id  uuid REFERENCES customers (id),
      period_from  date NOT NULL,
      period_to    date NOT NULL,
      closed_by    uuid NOT NULL REFERENCES accounts (id),
      closed_at    timestamptz NOT NULL DEFAULT now(),
      CHECK (period_from <= period_to),
      CHECK ((kind = 'invoice') = (customer_id IS NOT NULL))
    );
    CREATE INDEX period_closures_range ON period_closures (kind, period_from, period_to);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE period_closures; DROP TABLE billing_rates; DROP TABLE billing_currencies');
}
