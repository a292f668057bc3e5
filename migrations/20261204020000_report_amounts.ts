import type { Knex } from 'knex';

/**
 * Billed value in the report store (src/reports/amounts.ts, README "Reports and billing").
 * Each person-level cell's sealed state now holds, beside the minutes, the amount of its
 * billable minutes per currency (cents, at the rate valid on each day when it was
 * recorded). Published figures carry the amounts beside the minutes, under the same
 * rule: `amounts` is `{currency: cents}` exactly where `minutes` is published (at least
 * k people), NULL where the minutes are NULL. Slices published before this migration have
 * NULL amounts (no amount was recorded for them).
 *
 * `report_amounts_sum(jsonb)` adds such objects per currency (never across currencies);
 * the monthly roll-up uses it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE report_atoms ADD COLUMN amounts jsonb;
    ALTER TABLE report_months ADD COLUMN amounts jsonb;
    ALTER TABLE report_months_all ADD COLUMN amounts jsonb;
    CREATE FUNCTION report_amounts_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(jsonb_object_agg(cur, total), '{}'::jsonb)
        FROM (SELECT u.key AS cur, sum(u.value::bigint) AS total
                FROM (SELECT key, value FROM jsonb_each_text(coalesce(a, '{}'::jsonb))
                      UNION ALL SELECT key, value FROM jsonb_each_text(coalesce(b, '{}'::jsonb))) u
               GROUP BY u.key) s
    $$;
    CREATE AGGREGATE report_amounts_sum(jsonb) (SFUNC = report_amounts_add, STYPE = jsonb);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP AGGREGATE report_amounts_sum(jsonb);
    DROP FUNCTION report_amounts_add(jsonb, jsonb);
    ALTER TABLE report_months_all DROP COLUMN amounts;
    ALTER TABLE report_months DROP COLUMN amounts;
    ALTER TABLE report_atoms DROP COLUMN amounts;
  `);
}
