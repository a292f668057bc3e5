import type { Knex } from 'knex';

const PURPOSES = `('record', 'draft', 'note', 'capture', 'audit', 'profile', 'mail')`;

/**
 * Key purposes (issue 12): a data key is one per subject, purpose and year, so what may
 * be erased early (drafts, notes) never shares a key with what a legal duty keeps
 * (submitted days). Keys made before this migration protected everything of their
 * subject and year; they become `record` keys (the longest-kept purpose). A tombstone
 * names the purpose it destroyed; NULL (older tombstones, `shred()` of a subject) means
 * every purpose.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE data_keys ADD COLUMN purpose text NOT NULL DEFAULT 'record' CHECK (purpose IN ${PURPOSES});
    ALTER TABLE data_keys ALTER COLUMN purpose DROP DEFAULT;
    ALTER TABLE data_keys DROP CONSTRAINT data_keys_subject_year;
    ALTER TABLE data_keys ADD CONSTRAINT data_keys_subject_purpose_year UNIQUE (subject, purpose, year);
    CREATE INDEX data_keys_purpose_year ON data_keys (purpose, year);
    ALTER TABLE key_tombstones ADD COLUMN purpose text CHECK (purpose IS NULL OR purpose IN ${PURPOSES});
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE key_tombstones DROP COLUMN purpose;
    DROP INDEX data_keys_purpose_year;
    ALTER TABLE data_keys DROP CONSTRAINT data_keys_subject_purpose_year;
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM data_keys WHERE purpose <> 'record') THEN
        RAISE EXCEPTION 'data keys of purposes other than record exist; going back would merge keys that must stay apart';
      END IF;
    END $$;
    ALTER TABLE data_keys ADD CONSTRAINT data_keys_subject_year UNIQUE (subject, year);
    ALTER TABLE data_keys DROP COLUMN purpose;
  `);
}
