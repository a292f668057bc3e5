import type { Knex } from 'knex';

/**
 * The audit log: its own schema, two append-only tables (events and signed
 * checkpoints). Every guard lives in the database, not only in the app:
 *
 * - UPDATE, DELETE and TRUNCATE are refused by triggers switched to `ENABLE ALWAYS`,
 *   so they also fire with `session_replication_role = replica` and for the
 *   superuser the embedded appliance connects as. (A superuser can still disable
 *   them; that is what the hash chain and the signed checkpoints are for.)
 * - A BEFORE INSERT trigger takes the append lock and insists on seq = max + 1 and
 *   prev_hash = the current head's hash, so no caller can fork or gap the chain,
 *   whichever path it inserts through.
 * - An optional group role `uurwerk_audit_append` gets INSERT and SELECT only, for
 *   deployments that run the app as a role other than the owner. Roles are
 *   cluster-wide, so it is created only when missing and only if we may.
 *
 * The advisory lock keys (0x75757277 = 'uurw', then 1 for events, 2 for checkpoints)
 * are the ones src/audit/repository.ts takes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE SCHEMA audit;
    REVOKE ALL ON SCHEMA audit FROM PUBLIC;

    CREATE TABLE audit.events (
      seq         bigint PRIMARY KEY CHECK (seq >= 1),
      id          uuid NOT NULL UNIQUE,
      at          timestamptz NOT NULL,
      actor_id    text NOT NULL CHECK (length(actor_id) BETWEEN 1 AND 200),
      subject_id  text CHECK (length(subject_id) BETWEEN 1 AND 200),
      action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$'),
      object_type text CHECK (length(object_type) BETWEEN 1 AND 100),
      object_id   text CHECK (length(object_id) BETWEEN 1 AND 200),
      payload     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
      personal    text,
      prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
      hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
      CHECK (personal IS NULL OR subject_id IS NOT NULL)
    );
    CREATE INDEX audit_events_subject ON audit.events (subject_id, seq) WHERE subject_id IS NOT NULL;
    CREATE INDEX audit_events_action_at ON audit.events (action, at);

    CREATE TABLE audit.checkpoints (
      number               bigint PRIMARY KEY CHECK (number >= 1),
      at                   timestamptz NOT NULL,
      first_seq            bigint NOT NULL CHECK (first_seq >= 1),
      last_seq             bigint NOT NULL,
      head_hash            text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
      prev_checkpoint_hash text NOT NULL CHECK (prev_checkpoint_hash ~ '^[0-9a-f]{64}$'),
      key_id               text NOT NULL,
      signature            text NOT NULL,
      hash                 text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
      CHECK (last_seq >= first_seq)
    );

    CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit log is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;

    CREATE FUNCTION audit.check_event_append() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE head record;
    BEGIN
      PERFORM pg_advisory_xact_lock(1970631287, 1);
      SELECT seq, hash INTO head FROM audit.events ORDER BY seq DESC LIMIT 1;
      IF NEW.seq <> coalesce(head.seq, 0) + 1 THEN
        RAISE EXCEPTION 'audit append out of order: seq % but head is %', NEW.seq, coalesce(head.seq, 0)
          USING ERRCODE = 'serialization_failure';
      END IF;
      IF NEW.prev_hash <> coalesce(head.hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'audit append forks the chain at seq %', NEW.seq USING ERRCODE = 'serialization_failure';
      END IF;
      RETURN NEW;
    END $$;

    CREATE FUNCTION audit.check_checkpoint_append() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE head record;
    BEGIN
      PERFORM pg_advisory_xact_lock(1970631287, 2);
      SELECT number, last_seq, hash INTO head FROM audit.checkpoints ORDER BY number DESC LIMIT 1;
      IF NEW.number <> coalesce(head.number, 0) + 1
         OR NEW.first_seq <> coalesce(head.last_seq, 0) + 1
         OR NEW.prev_checkpoint_hash <> coalesce(head.hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'audit checkpoint % does not follow checkpoint %', NEW.number, coalesce(head.number, 0)
          USING ERRCODE = 'serialization_failure';
      END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER events_append BEFORE INSERT ON audit.events
      FOR EACH ROW EXECUTE FUNCTION audit.check_event_append();
    CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON audit.events
      FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
    CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.events
      FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
    CREATE TRIGGER checkpoints_append BEFORE INSERT ON audit.checkpoints
      FOR EACH ROW EXECUTE FUNCTION audit.check_checkpoint_append();
    CREATE TRIGGER checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit.checkpoints
      FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
    CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON audit.checkpoints
      FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_append;
    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_no_update_delete;
    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_no_truncate;
    ALTER TABLE audit.checkpoints ENABLE ALWAYS TRIGGER checkpoints_append;
    ALTER TABLE audit.checkpoints ENABLE ALWAYS TRIGGER checkpoints_no_update_delete;
    ALTER TABLE audit.checkpoints ENABLE ALWAYS TRIGGER checkpoints_no_truncate;

    REVOKE ALL ON audit.events, audit.checkpoints FROM PUBLIC;

    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_audit_append') THEN
        CREATE ROLE uurwerk_audit_append NOLOGIN;
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'cannot create role uurwerk_audit_append; grant INSERT, SELECT on audit.* to the app role by hand';
    END $$;
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_audit_append') THEN
        GRANT USAGE ON SCHEMA audit TO uurwerk_audit_append;
        GRANT SELECT, INSERT ON audit.events, audit.checkpoints TO uurwerk_audit_append;
      END IF;
    END $$;
  `);
}

/** Drops the schema (and with it the log). The cluster-wide role is left: other databases may use it. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_audit_append') THEN
        REVOKE ALL ON SCHEMA audit FROM uurwerk_audit_append;
        REVOKE ALL ON ALL TABLES IN SCHEMA audit FROM uurwerk_audit_append;
      END IF;
    END $$;
    DROP SCHEMA audit CASCADE;
  `);
}
