import type { Knex } from 'knex';

/**
 * The privacy officer's registers.
 *
 * `privacy_requests`: one row per data-subject request (art. 15–21), filed by the
 * employee or recorded by the privacy officer (also for people who left or wrote by
 * letter: `subject_id` may be null, then `subject_reference` names the case file).
 * Free text is stored sealed by the key service (`*_sealed` columns): the person's
 * own text under their key, the officer's notes under a system subject so that an
 * erasure does not erase the record of it. Every change is audited by the service.
 *
 * `privacy_breaches` + `privacy_breach_versions`: a breach is a number and a history
 * of full versions; an amendment appends a version. Its text columns hold envelopes
 * sealed under the register's system subject (lengths are checked by the API). Triggers refuse UPDATE of both
 * and DELETE, except for the retention job, which says so with
 * `SET LOCAL uurwerk.privacy_purge = 'on'` in its own transaction.
 *
 * `privacy_reminders`: which reminder step was mailed for which request or breach
 * (each once).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE privacy_requests (
      id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      number                bigserial UNIQUE,
      subject_id            uuid REFERENCES accounts (id),
      subject_reference     text CHECK (subject_reference IS NULL OR length(subject_reference) BETWEEN 1 AND 200),
      kind                  text NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'restriction', 'objection', 'portability')),
      channel               text NOT NULL CHECK (channel IN ('self_service', 'letter', 'mail', 'in_person', 'other')),
      received_at           timestamptz NOT NULL,
      received_on           date NOT NULL,
      text_sealed           text,
      recorded_by           text NOT NULL,
      identity_checked_at   timestamptz,
      identity_note_sealed  text,
      extended_at           timestamptz,
      extension_sealed      text,
      status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided', 'closed')),
      decision              text CHECK (decision IN ('grant', 'partly', 'refuse')),
      ground_sealed         text,
      decided_at            timestamptz,
      decided_by            text,
      execution             text CHECK (execution IN ('pending', 'done')),
      actions_sealed        text,
      told_at               timestamptz,
      closed_at             timestamptz,
      created_at            timestamptz NOT NULL DEFAULT now(),
      updated_at            timestamptz NOT NULL DEFAULT now(),
      CHECK (subject_id IS NOT NULL OR subject_reference IS NOT NULL),
      CHECK ((extended_at IS NULL) = (extension_sealed IS NULL)),
      CHECK ((status = 'open') = (decision IS NULL)),
      CHECK ((decision IS NULL) = (decided_at IS NULL)),
      CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
      CHECK (decision IS NULL OR decision = 'grant' OR ground_sealed IS NOT NULL)
    );
    CREATE INDEX privacy_requests_subject ON privacy_requests (subject_id);
    CREATE INDEX privacy_requests_closed ON privacy_requests (closed_at) WHERE closed_at IS NOT NULL;

    CREATE TABLE privacy_breaches (
      id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      number      bigserial UNIQUE,
      created_by  text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE privacy_breach_versions (
      breach_id               uuid NOT NULL REFERENCES privacy_breaches (id),
      version                 integer NOT NULL CHECK (version >= 1),
      status                  text NOT NULL CHECK (status IN ('suspected', 'confirmed', 'closed')),
      detected_at             timestamptz NOT NULL,
      aware_at                timestamptz NOT NULL,
      what_happened           text NOT NULL,
      data_categories         text NOT NULL,
      people_count            integer CHECK (people_count >= 0),
      records_count           integer CHECK (records_count >= 0),
      consequences            text NOT NULL,
      measures                text NOT NULL,
      internal_notice_at      timestamptz,
      authority               text NOT NULL CHECK (authority IN ('pending', 'notified', 'not_required')),
      authority_at            timestamptz,
      authority_reason        text,
      people_informed         text NOT NULL CHECK (people_informed IN ('pending', 'informed', 'not_informed')),
      people_informed_at      timestamptz,
      people_informed_reason  text,
      note                    text,
      recorded_by             text NOT NULL,
      recorded_at             timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (breach_id, version),
      CHECK (aware_at >= detected_at),
      CHECK ((authority = 'notified') = (authority_at IS NOT NULL)),
      CHECK (authority <> 'not_required' OR authority_reason IS NOT NULL),
      CHECK ((people_informed = 'informed') = (people_informed_at IS NOT NULL)),
      CHECK (people_informed <> 'not_informed' OR people_informed_reason IS NOT NULL)
    );

    CREATE TABLE privacy_reminders (
      object_type  text NOT NULL CHECK (object_type IN ('request', 'breach')),
      object_id    uuid NOT NULL,
      step         text NOT NULL,
      sent_at      timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (object_type, object_id, step)
    );

    -- Breach entries are never edited in place: amendments append a version.
    CREATE FUNCTION privacy_breach_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND current_setting('uurwerk.privacy_purge', true) = 'on' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'breach register entries are append-only (% refused on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER privacy_breaches_append_only BEFORE UPDATE OR DELETE ON privacy_breaches
      FOR EACH ROW EXECUTE FUNCTION privacy_breach_append_only();
    CREATE TRIGGER privacy_breach_versions_append_only BEFORE UPDATE OR DELETE ON privacy_breach_versions
      FOR EACH ROW EXECUTE FUNCTION privacy_breach_append_only();
    CREATE TRIGGER privacy_breaches_no_truncate BEFORE TRUNCATE ON privacy_breaches
      FOR EACH STATEMENT EXECUTE FUNCTION privacy_breach_append_only();
    CREATE TRIGGER privacy_breach_versions_no_truncate BEFORE TRUNCATE ON privacy_breach_versions
      FOR EACH STATEMENT EXECUTE FUNCTION privacy_breach_append_only();
    ALTER TABLE privacy_breaches ENABLE ALWAYS TRIGGER privacy_breaches_append_only;
    ALTER TABLE privacy_breach_versions ENABLE ALWAYS TRIGGER privacy_breach_versions_append_only;
    ALTER TABLE privacy_breaches ENABLE ALWAYS TRIGGER privacy_breaches_no_truncate;
    ALTER TABLE privacy_breach_versions ENABLE ALWAYS TRIGGER privacy_breach_versions_no_truncate;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE privacy_reminders;
    DROP TABLE privacy_breach_versions;
    DROP TABLE privacy_breaches;
    DROP FUNCTION privacy_breach_append_only();
    DROP TABLE privacy_requests;
  `);
}
