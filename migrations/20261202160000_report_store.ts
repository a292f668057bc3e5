import type { Knex } from 'knex';

/**
 * The report store (src/reports/, README "Reports and billing"). Nothing here names a
 * person or a day:
 * - `report_inbox`: approvals and reopens waiting to be folded in, each one sealed
 *   value under the system subject `system:reports` (owner, date, teams, minutes per
 *   project and task). Folding happens in batches, outside the approval's transaction.
 * - `report_key`: the store's key (pseudonyms and cell states derive from it), sealed
 *   the same way.
 * - `report_cells`: who is present, as a pseudonym, per period grain (w = ISO week,
 *   split at month ends; m, q, y), team set, project and task; their minutes rest
 *   sealed in `state` (AES-GCM under a key derived from report_key, bound to the
 *   row's key). The pseudonym is HMAC(key, grain | period | owner): stable within one
 *   period of one grain (so distinct people are counted exactly), unrelated across
 *   periods and grains.
 * - `report_atoms`: the week slices summed over people, with their head count, as
 *   last published; the only figures reports add up (slices of fewer than k people
 *   have no row). A slice is published again only once at least k of its
 *   cells changed since (`report_cells.dirty`), so no two published states differ by
 *   fewer than k people.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE report_inbox (
      id          uuid PRIMARY KEY,
      seq         bigserial NOT NULL UNIQUE,
      sealed      text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE report_key (
      id      smallint PRIMARY KEY CHECK (id = 1),
      sealed  text NOT NULL
    );
    CREATE TABLE report_cells (
      grain       char(1) NOT NULL CHECK (grain IN ('w', 'm', 'q', 'y')),
      period      date NOT NULL,
      month       date NOT NULL,
      teams       text[] NOT NULL,
      project_id  uuid NOT NULL REFERENCES projects (id),
      task_id     uuid NOT NULL,
      person      bytea NOT NULL,
      present     boolean NOT NULL,
      dirty       boolean NOT NULL DEFAULT true,
      state       bytea NOT NULL,
      PRIMARY KEY (grain, period, month, teams, project_id, task_id, person)
    );
    CREATE INDEX report_cells_project ON report_cells (grain, project_id, period);
    CREATE TABLE report_atoms (
      period      date NOT NULL,
      month       date NOT NULL,
      teams       text[] NOT NULL,
      project_id  uuid NOT NULL REFERENCES projects (id),
      task_id     uuid NOT NULL,
      people      integer NOT NULL CHECK (people > 0),
      minutes     bigint NOT NULL CHECK (minutes >= 0),
      PRIMARY KEY (period, month, teams, project_id, task_id)
    );
    CREATE INDEX report_atoms_month ON report_atoms (month);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE report_atoms; DROP TABLE report_cells; DROP TABLE report_key; DROP TABLE report_inbox');
}
