import type { Knex } from '../platform/db.js';

/**
 * Which database columns hold a person's id (or address), and where "My data" shows
 * each: a section of the export, or an exclusion with its reason.
 * test/mydata/coverage.test.ts reads PostgreSQL's catalogue and fails on any such
 * column listed in neither, so a table added later cannot be forgotten.
 */

/** A column as `schema.table.column` (`public.` for the application's own tables). */
export type ColumnName = string;

/** Columns the export reads for the person, and the section of the export they feed. */
export const COVERED: Readonly<Record<ColumnName, string>> = {
  'public.accounts.id': 'profile',
  'public.role_assignments.account_id': 'roles',
  'public.team_scope_members.account_id': 'teams',
  'public.timesheet_settings.account_id': 'settings',
  'public.local_credentials.account_id': 'credentials',
  'public.totp_factors.account_id': 'credentials',
  'public.recovery_codes.account_id': 'credentials',
  'public.password_resets.account_id': 'password_resets',
  'public.sessions.account_id': 'sessions',
  'public.api_tokens.account_id': 'api_tokens',
  'public.timesheet_days.owner_id': 'days',
  'public.time_entries.owner_id': 'entries',
  'public.running_timers.owner_id': 'running_timer',
  'public.mail_outbox.recipients': 'mails',
  'public.mail_outbox.subject': 'mails', // the subject line (matched by name, not a person id); shown for mails to the person
  'public.mydata_exports.account_id': 'exports',
  'public.timesheet_corrections.owner_id': 'corrections',
  'audit.events.subject_id': 'audit_events',
  'audit.events.actor_id': 'audit_events',
};

/** Columns that name a person but are deliberately not exported, each with the reason. */
export const EXCLUDED: Readonly<Record<ColumnName, string>> = {
  'audit.pending.subject_id': 'an audit event staged by the transaction that recorded it, only until the chain pass moves it into audit.events (before that request answers, or within a second); the audit_events section reads the chain, where the same event then is',
  'audit.pending.actor_id': 'an audit event staged by the transaction that recorded it, only until the chain pass moves it into audit.events (before that request answers, or within a second); the audit_events section reads the chain, where the same event then is',
  'public.timesheet_days.returned_by': 'the admin who returned another person’s day: the day belongs to its owner (whose export shows it); the admin’s own return is in their audit events (by_me)',
  'public.timesheet_days.approved_by': 'the admin who approved another person’s day: the day belongs to its owner (whose export shows it); the admin’s own approval is in their audit events (by_me)',
  'public.timesheet_days.scope_admin_ids': 'the admins whose scope held a day at submission: the day belongs to its owner; an admin’s reads of it are audit events by them',
  'public.data_keys.subject': 'wrapped key material, never shown to anyone; the export holds what those keys decrypt',
  'public.key_tombstones.subject': 'the record that a person’s keys were destroyed; the values those keys protected are marked unreadable in the export',
  'public.mail_outbox.sealed_subject': 'names the key that seals outbox bodies (system:mail-outbox), never a person',
  'public.legal_holds.account_id': 'a legal hold may concern litigation; the privacy officer discloses it on request (art. 23 GDPR); its placing and release are audit events about the person',
  'public.legal_holds.created_by': 'who placed a legal hold (an operator’s cli:<user> or account id): the hold belongs to the person it concerns; placing it is an audit event by the operator',
  'public.legal_holds.released_by': 'who released a legal hold: as created_by',
  'public.local_teams.created_by': 'who created a local team (an operator’s cli:<user> or account id): the team is the organisation’s; creating it is an audit event by that operator',
  'public.retention_runs.started_by': 'who started a retention run (system or cli:<os user>); the run is an audit event by them',
  'public.privacy_requests.recorded_by': 'the privacy officer who recorded another person’s request: the request belongs to the person it concerns (whose export lists it); recording it is an audit event by the officer',
  'public.privacy_requests.decided_by': 'the privacy officer who decided another person’s request: as recorded_by',
  'public.privacy_breaches.created_by': 'who opened a breach entry: the register is the organisation’s; opening it is an audit event by that officer',
  'public.compliance_exports.requested_by': 'the auditor who started a compliance export: the record that an organisational export happened (period, state, times), kept as such; starting, building and fetching it are audit events by the auditor, which the audit_events section shows',
  'public.capture_rule_templates.created_by': 'who shared a set of mapping rules with a team: the template (patterns and projects, no activity) is the team’s, listed to its members at GET /api/v1/me/capture/templates (marked as theirs to the author); the author’s own rules are in their capture settings; sharing is an audit event by them',
  'public.privacy_breach_versions.recorded_by': 'who amended a breach entry: as privacy_breaches.created_by',
  'public.period_closures.closed_by': 'the admin who closed a billing or payroll period: an act on the organisation’s periods, not data about the person; closing is an audit event by them',
  'public.auth_throttle.key': 'failure counters keyed by account name or address, short-lived (cleared by housekeeping within the throttle window)',
  'public.transparency_notice_acks.account_id': 'that the person confirmed a notice version, and when: each confirmation is also an audit event by the person (privacy notice acknowledged), which the audit_events section shows',
  'public.transparency_confidentiality_acks.account_id': 'that an admin agreed to the confidentiality statement: also an audit event by the admin, which the audit_events section shows',
  'public.timesheet_favourites.account_id': 'the projects a person pinned in the week grid: shown on the week page and at GET /api/v1/me/favourites, not yet inside this archive',
  'public.timesheet_corrections.resolved_by': 'the admin who resolved another person’s correction request: the request belongs to its owner (whose export shows it); resolving it is an audit event by the admin',
  'public.alarms.key': 'what an alarm concerns (a KEK version, a hash of a throttle key, the account whose reads were unusual): a security record for the privacy officer, disclosed on request; the breach entry it opened is the register’s',
};

/**
 * Columns that hold a person's id in text, which the catalogue cannot show as a
 * reference: matched by name. A new column named like these is found too.
 */
const NAME_PATTERN = '^(account_id|owner_id|subject|subject_id|sealed_subject|actor_id|recipients|scope_admin_ids|key|[a-z_]+_by|[a-z_]+_account_id)$';
/** Tables whose `key`/`subject` columns are about no person (the job engine's, migrations). */
const IGNORED_SCHEMAS = ['pg_catalog', 'information_schema', 'pgboss', 'pg_toast'];

/**
 * Every column of the database that holds a person's id: references to accounts(id),
 * accounts' own key, and text columns named like the ones above.
 */
export async function personColumns(db: Knex): Promise<ColumnName[]> {
  const { rows } = await db.raw<{ rows: Array<{ name: string }> }>(
    `SELECT DISTINCT n.nspname || '.' || c.relname || '.' || a.attname AS name
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
      WHERE k.contype = 'f' AND k.confrelid = 'public.accounts'::regclass
     UNION
     SELECT 'public.accounts.id'
     UNION
     SELECT n.nspname || '.' || c.relname || '.' || a.attname
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
        AND n.nspname <> ALL (?::text[]) AND c.relname NOT LIKE 'knex_%'
        AND a.attname ~ ?
     ORDER BY 1`,
    [IGNORED_SCHEMAS, NAME_PATTERN],
  );
  return rows.map((r) => r.name);
}

/** The person columns that are neither covered (by the given map) nor excluded with a reason. */
export async function uncoveredColumns(db: Knex, covered: Readonly<Record<ColumnName, string>>): Promise<ColumnName[]> {
  const all = await personColumns(db);
  return all.filter((c) => !covered[c] && !(EXCLUDED[c] && EXCLUDED[c].length > 10));
}
