import type { Knex } from 'knex';

/**
 * Issue 11: the chain's guards check a pass's rows as one set instead of one by one.
 * A chain pass inserts up to 4,000 events into `audit.events` and deletes the same
 * rows from `audit.pending`; row triggers ran one PL/pgSQL lookup per row for each, and
 * the delete's lookup was planned on the index by actor: an admin's inbox of 200 days
 * (200 read events by one actor) spent 70–140 ms deleting once the log held 30,000
 * events, and it grew with the log. The rules are the same:
 *
 * - `audit.events`: rows are appended only at the head, gapless, each `prev_hash` the
 *   hash of the row before it (the append lock is taken as before). Checked after the
 *   INSERT statement over its transition table; a violation aborts the statement.
 * - `audit.pending`: a staged row leaves only into the chain — a DELETE passes only when
 *   every deleted row has its event, same content, in `audit.events`. Checked after the
 *   DELETE statement over its transition table. UPDATE and TRUNCATE stay refused.
 *
 * Every trigger stays `ENABLE ALWAYS` (superusers and replica mode included), and the
 * events trigger keeps its name `events_append`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION audit.check_events_append() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      lo bigint; hi bigint; k bigint; top bigint; first_prev text;
      head record;
    BEGIN
      PERFORM pg_advisory_xact_lock(1970631287, 1);
      SELECT min(seq), max(seq), count(*) INTO lo, hi, k FROM new_rows;
      IF k = 0 THEN
        RETURN NULL;
      END IF;
      -- Both reads walk the primary key from the top (ORDER BY ... LIMIT 1 keeps them on
      -- the index whatever the table's statistics say).
      SELECT seq, hash INTO head FROM audit.events WHERE seq < lo ORDER BY seq DESC LIMIT 1;
      SELECT seq INTO top FROM audit.events ORDER BY seq DESC LIMIT 1;
      IF hi - lo + 1 <> k OR top <> hi OR lo <> coalesce(head.seq, 0) + 1 THEN
        RAISE EXCEPTION 'audit append out of order: seq % but head is %', lo, coalesce(head.seq, 0)
          USING ERRCODE = 'serialization_failure';
      END IF;
      SELECT prev_hash INTO first_prev FROM new_rows WHERE seq = lo;
      IF first_prev <> coalesce(head.hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'audit append forks the chain at seq %', lo USING ERRCODE = 'serialization_failure';
      END IF;
      SELECT n.seq INTO lo FROM new_rows n JOIN new_rows p ON p.seq = n.seq - 1 WHERE n.prev_hash <> p.hash ORDER BY n.seq LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'audit append forks the chain at seq %', lo USING ERRCODE = 'serialization_failure';
      END IF;
      RETURN NULL;
    END $$;

    DROP TRIGGER events_append ON audit.events;
    CREATE TRIGGER events_append AFTER INSERT ON audit.events
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION audit.check_events_append();
    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_append;

    CREATE FUNCTION audit.check_pending_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- One probe of the unique index on audit.events (id) per deleted row, the content
      -- compared after it: the OFFSET 0 fence keeps the planner from folding the other
      -- columns into the probe (it had chosen the index on actor_id, which walks every
      -- event of that actor — the DELETE grew with the log). A transition table has no
      -- statistics, so the plan is spelled out.
      IF EXISTS (
        SELECT 1 FROM old_rows o
        LEFT JOIN LATERAL (
          SELECT e.actor_id, e.action, e.payload, e.subject_id, e.object_type, e.object_id, e.personal
          FROM audit.events e WHERE e.id = o.id OFFSET 0) e ON true
        WHERE e.actor_id IS NULL
           OR NOT (e.actor_id = o.actor_id AND e.action = o.action AND e.payload = o.payload
                   AND e.subject_id IS NOT DISTINCT FROM o.subject_id
                   AND e.object_type IS NOT DISTINCT FROM o.object_type AND e.object_id IS NOT DISTINCT FROM o.object_id
                   AND e.personal IS NOT DISTINCT FROM o.personal)
      ) THEN
        RAISE EXCEPTION 'audit log is append-only: DELETE on audit.pending refused (a staged event leaves only into the chain)'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$;

    DROP TRIGGER pending_no_update_delete ON audit.pending;
    CREATE TRIGGER pending_no_update BEFORE UPDATE ON audit.pending
      FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
    CREATE TRIGGER pending_delete_chained AFTER DELETE ON audit.pending
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION audit.check_pending_delete();
    ALTER TABLE audit.pending ENABLE ALWAYS TRIGGER pending_no_update;
    ALTER TABLE audit.pending ENABLE ALWAYS TRIGGER pending_delete_chained;
  `);
}

/** Puts the row triggers of migrations 20261123110000 and 20261204010000 back. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER pending_delete_chained ON audit.pending;
    DROP TRIGGER pending_no_update ON audit.pending;
    DROP FUNCTION audit.check_pending_delete();
    CREATE TRIGGER pending_no_update_delete BEFORE UPDATE OR DELETE ON audit.pending
      FOR EACH ROW EXECUTE FUNCTION audit.guard_pending_change();
    ALTER TABLE audit.pending ENABLE ALWAYS TRIGGER pending_no_update_delete;

    DROP TRIGGER events_append ON audit.events;
    DROP FUNCTION audit.check_events_append();
    CREATE TRIGGER events_append BEFORE INSERT ON audit.events
      FOR EACH ROW EXECUTE FUNCTION audit.check_event_append();
    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_append;
  `);
}
