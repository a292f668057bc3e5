import type { Knex } from 'knex';

/**
 * Group commit for the audit log: callers stage events in `audit.pending` inside
 * their own transaction (one INSERT, no lock, no head read); one chainer at a time
 * (the append lock) numbers, hashes and moves committed staged rows into
 * `audit.events` in batches (src/audit/chainer.ts). Staged rows are part of the
 * record, so the same guards apply:
 *
 * - UPDATE and TRUNCATE are refused (`ENABLE ALWAYS`, as on audit.events);
 * - DELETE passes only for a row whose event is already in audit.events with the
 *   same id and content, i.e. only the chainer's move. A database owner who switches
 *   the trigger off can still remove events staged and not yet chained (a second at
 *   most while the appliance runs), as they can remove events after the last
 *   checkpoint; the chain cannot prove what it never held.
 * - the app's group role `uurwerk_audit_append` may INSERT, SELECT and DELETE (the
 *   guard above decides which deletes pass).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE audit.pending (
      n           bigserial PRIMARY KEY,
      -- The staging transaction: a pass keeps each caller's events together (concurrent
      -- inserts may interleave their n values), in the order of the caller's first one.
      tx          bigint NOT NULL DEFAULT txid_current(),
      id          uuid NOT NULL UNIQUE,
      actor_id    text NOT NULL CHECK (length(actor_id) BETWEEN 1 AND 200),
      subject_id  text CHECK (length(subject_id) BETWEEN 1 AND 200),
      action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$'),
      object_type text CHECK (length(object_type) BETWEEN 1 AND 100),
      object_id   text CHECK (length(object_id) BETWEEN 1 AND 200),
      payload     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
      personal    text,
      CHECK (personal IS NULL OR subject_id IS NOT NULL)
    );

    CREATE FUNCTION audit.guard_pending_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM audit.events e
        WHERE e.id = OLD.id AND e.actor_id = OLD.actor_id AND e.action = OLD.action AND e.payload = OLD.payload
          AND e.subject_id IS NOT DISTINCT FROM OLD.subject_id
          AND e.object_type IS NOT DISTINCT FROM OLD.object_type AND e.object_id IS NOT DISTINCT FROM OLD.object_id
          AND e.personal IS NOT DISTINCT FROM OLD.personal
      ) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit log is append-only: % on %.% refused (a staged event leaves only into the chain)', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;

    CREATE TRIGGER pending_no_update_delete BEFORE UPDATE OR DELETE ON audit.pending
      FOR EACH ROW EXECUTE FUNCTION audit.guard_pending_change();
    CREATE TRIGGER pending_no_truncate BEFORE TRUNCATE ON audit.pending
      FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
    ALTER TABLE audit.pending ENABLE ALWAYS TRIGGER pending_no_update_delete;
    ALTER TABLE audit.pending ENABLE ALWAYS TRIGGER pending_no_truncate;

    REVOKE ALL ON audit.pending FROM PUBLIC;
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_audit_append') THEN
        GRANT SELECT, INSERT, DELETE ON audit.pending TO uurwerk_audit_append;
        GRANT USAGE ON SEQUENCE audit.pending_n_seq TO uurwerk_audit_append;
      END IF;
    END $$;
  `);
}

/** Drops the staging table; refused while it holds events (they would be lost). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM audit.pending) THEN
        RAISE EXCEPTION 'audit.pending holds events not yet chained; start the appliance once to chain them';
      END IF;
    END $$;
    DROP TABLE audit.pending;
    DROP FUNCTION audit.guard_pending_change();
  `);
}
