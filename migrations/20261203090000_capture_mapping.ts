import type { Knex } from 'knex';

/**
 * Mapping rules and team templates for automatic capture. An employee's mapping
 * rules (pattern → project and task) are sealed beside the exclusions, under the
 * person's capture settings key. A template is a set of rules someone chose to share
 * with a team: patterns and projects only, never activity; kept in clear because its
 * author published it to colleagues.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE capture_settings ADD COLUMN mapping text;
    CREATE TABLE capture_rule_templates (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      team text NOT NULL CHECK (length(team) BETWEEN 1 AND 200),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      rules jsonb NOT NULL,
      created_by uuid REFERENCES accounts(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX capture_rule_templates_team ON capture_rule_templates (team, name);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE capture_rule_templates; ALTER TABLE capture_settings DROP COLUMN mapping');
}
