import type { Knex } from 'knex';

/**
 * The report store (src/reports/, README "Reports and billing"). Nothing here names a
 * person or a day:
 * - `report_inbox`: approvals and reopens waiting to be folded in, each one sealed
 *   value under the system subject `system:reports` (owner, date, teams, minutes per
 *   project and task). Folding happens in batches, outside the approval's transaction.
 * - `report_key`: the store's key (pseudonyms and cell states derive from it), sealed
 *   the same way.
 * - `report_cells`: who is present, as a pseudonym, per week slice (ISO week split at
 *   month ends), team set, project and task; their minutes rest sealed in `state`
 *   (AES-GCM under a key derived from report_key, bound to the row's key). The
 *   pseudonym is HMAC(key, week | owner): stable within one week (so distinct people
 *   in a slice are counted exactly), unrelated across weeks.
 * - `report_atoms`: per week slice, whether anyone is recorded in it, and its published
 *   head count and minutes — the minutes only for at least k people (NULL otherwise);
 *   the only minutes reports add up. A slice is published again only once at least
 *   k of its cells changed since (`report_cells.dirty`), so no two published states
 *   differ by fewer than k people.
 * - `report_months`: the published slices summed per month (what month, quarter and
 *   year reports read, for speed); rebuilt whole when `reports.k` changes
 *   (`report_meta.k` is the k it was built with); `report_months_all` the same over
 *   all team sets, for organisation-wide reports.
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
      period      date NOT NULL,
      month       date NOT NULL,
      teams       text[] NOT NULL,
      project_id  uuid NOT NULL REFERENCES projects (id),
      task_id     uuid NOT NULL,
      person      bytea NOT NULL,
      present     boolean NOT NULL,
      dirty       boolean NOT NULL DEFAULT true,
      state       bytea NOT NULL,
      PRIMARY KEY (period, month, teams, project_id, task_id, person)
    );
    CREATE TABLE report_atoms (
      period      date NOT NULL,
      month       date NOT NULL,
      teams       text[] NOT NULL,
      project_id  uuid NOT NULL REFERENCES projects (id),
      task_id     uuid NOT NULL,
      people      integer NOT NULL CHECK (people >= 0),
      minutes     bigint CHECK (minutes >= 0),
      recorded    boolean NOT NULL,
      PRIMARY KEY (period, month, teams, project_id, task_id)
    );
    CREATE INDEX report_atoms_month ON report_atoms (month, project_id);
    CREATE TABLE report_months (
      month       date NOT NULL,
      teams       text[] NOT NULL,
      project_id  uuid NOT NULL REFERENCES projects (id),
      task_id     uuid NOT NULL,
      minutes     bigint CHECK (minutes >= 0),
      recorded    boolean NOT NULL,
      PRIMARY KEY (month, teams, project_id, task_id)
    );
    CREATE TABLE report_months_all (
      month       date NOT NULL,
      project_id  uuid NOT NULL REFERENCES projects (id),
      task_id     uuid NOT NULL,
      minutes     bigint CHECK (minutes >= 0),
      recorded    boolean NOT NULL,
      PRIMARY KEY (month, project_id, task_id)
    );
    CREATE TABLE report_meta (
      id  smallint PRIMARY KEY CHECK (id = 1),
      k   integer NOT NULL
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE report_meta; DROP TABLE report_months_all; DROP TABLE report_months; DROP TABLE report_atoms; DROP TABLE report_cells; DROP TABLE report_key; DROP TABLE report_inbox');
}
