import type { Knex } from 'knex';

/**
 * Audit log ageing: the one DELETE the append-only log allows. Events may be removed
 * only from the start of the log up to the last seq of a signed checkpoint, which
 * stays (with every checkpoint before it) as the anchor `audit:verify` proves the
 * rest of the chain from. The one way in is `audit.age_events(from, to, bound)`
 * (SECURITY DEFINER, so an app role with the append grant still has no DELETE
 * right): it insists on deleting from the first event left, up to at most `bound`,
 * which must be a checkpoint's last seq, and announces the bound in the
 * transaction-local setting `uurwerk.audit_age_to` that the row trigger lets through
 * (any other DELETE, UPDATE and TRUNCATE stay refused; the statement trigger refuses
 * a bound that is not a checkpoint's end). The row trigger keeps its name
 * (`events_no_update_delete`) and `ENABLE ALWAYS`, as before.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION audit.age_bound() RETURNS bigint LANGUAGE sql STABLE AS $$
      SELECT nullif(current_setting('uurwerk.audit_age_to', true), '')::bigint
    $$;

    CREATE FUNCTION audit.guard_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bound bigint := audit.age_bound();
    BEGIN
      IF TG_OP = 'DELETE' AND bound IS NOT NULL AND OLD.seq <= bound THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit log is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;

    CREATE FUNCTION audit.check_age_bound() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bound bigint := audit.age_bound();
    BEGIN
      IF bound IS NULL OR NOT EXISTS (SELECT 1 FROM audit.checkpoints WHERE last_seq = bound) THEN
        RAISE EXCEPTION 'audit log is append-only: events are removed only up to a signed checkpoint, by ageing (bound %)', coalesce(bound::text, 'unset')
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$;

    DROP TRIGGER events_no_update_delete ON audit.events;
    CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON audit.events
      FOR EACH ROW EXECUTE FUNCTION audit.guard_event_change();
    CREATE TRIGGER events_age_bound BEFORE DELETE ON audit.events
      FOR EACH STATEMENT EXECUTE FUNCTION audit.check_age_bound();
    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_no_update_delete;
    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_age_bound;

    CREATE INDEX audit_checkpoints_last_seq ON audit.checkpoints (last_seq);

    CREATE FUNCTION audit.age_events(from_seq bigint, to_seq bigint, bound bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE n bigint;
    BEGIN
      IF to_seq > bound OR from_seq > to_seq THEN
        RAISE EXCEPTION 'audit ageing: seq % to % is not below bound %', from_seq, to_seq, bound USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM audit.checkpoints WHERE last_seq = bound) THEN
        RAISE EXCEPTION 'audit log is append-only: events are removed only up to a signed checkpoint, by ageing (bound %)', bound
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF EXISTS (SELECT 1 FROM audit.events WHERE seq < from_seq) THEN
        RAISE EXCEPTION 'audit ageing removes the log from its start; seq % is not the first event left', from_seq
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      PERFORM set_config('uurwerk.audit_age_to', bound::text, true);
      DELETE FROM audit.events WHERE seq BETWEEN from_seq AND to_seq;
      GET DIAGNOSTICS n = ROW_COUNT;
      PERFORM set_config('uurwerk.audit_age_to', '', true);
      RETURN n;
    END $$;
    REVOKE ALL ON FUNCTION audit.age_events(bigint, bigint, bigint) FROM PUBLIC;

    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_audit_append') THEN
        GRANT EXECUTE ON FUNCTION audit.age_events(bigint, bigint, bigint) TO uurwerk_audit_append;
      END IF;
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION audit.age_events(bigint, bigint, bigint);
    DROP INDEX audit.audit_checkpoints_last_seq;
    DROP TRIGGER events_age_bound ON audit.events;
    DROP TRIGGER events_no_update_delete ON audit.events;
    CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON audit.events
      FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
    ALTER TABLE audit.events ENABLE ALWAYS TRIGGER events_no_update_delete;
    DROP FUNCTION audit.check_age_bound();
    DROP FUNCTION audit.guard_event_change();
    DROP FUNCTION audit.age_bound();
  `);
}
