import { z } from 'zod';

/**
 * The shapes of "My data": the export document (whose JSON Schema ships in the zip and
 * in the repository as export.schema.json, generated from this file), the summary the
 * page and `GET /api/v1/me/data` show, and the export job's status. Timestamps are ISO
 * text (UTC), dates `YYYY-MM-DD`.
 */

const instant = z.string().describe('ISO 8601 instant, UTC');
const maybeInstant = instant.nullable();
const json = z.record(z.string(), z.unknown());

/** Where a profile field's value comes from: the directory (change it there) or Uurwerk itself. */
export const fieldSource = z.enum(['directory', 'uurwerk']);

/** One profile field with its value and its source. */
export const profileField = z.object({ field: z.string(), value: z.string().nullable(), source: fieldSource });

/** A role held, and the group or cause that grants it (`role_assignments.reason`). */
export const roleRow = z.object({ role: z.string(), team: z.string().nullable(), reason: z.string(), source: z.string(), since: instant });

/** A team whose admins' scope holds the person, and how the person got there. */
export const teamRow = z.object({ team: z.string(), via: z.string() });

/** A day in any state, its return/reopen comment decrypted. */
export const dayRow = z.object({
  id: z.uuid(), date: z.string(), state: z.enum(['draft', 'submitted', 'returned', 'approved']), time_zone: z.string(),
  comment: z.string().nullable(), submitted_at: maybeInstant, returned_at: maybeInstant, returned_by: z.string().nullable(),
  approved_at: maybeInstant, approved_by: z.string().nullable(), created_at: instant, updated_at: instant,
});

/** An entry, decrypted; `unreadable` says why its contents are gone (a shredded key). */
export const entryRow = z.object({
  id: z.uuid(), first_date: z.string(), last_date: z.string(), start: z.string().nullable(), end: z.string().nullable(), date: z.string().nullable(),
  minutes: z.number().nullable(), project_id: z.string().nullable(), project_name: z.string().nullable(), task_id: z.string().nullable(), task_name: z.string().nullable(),
  note: z.string().nullable(), created_at: instant, updated_at: instant, unreadable: z.string().nullable(),
});

/** An audit event about the person (subject) or by them (actor); personal details decrypted only where they are the subject. */
export const auditRow = z.object({
  seq: z.number(), at: instant, relation: z.enum(['about_me', 'by_me', 'both']), actor_id: z.string(), subject_id: z.string().nullable(),
  action: z.string(), object_type: z.string().nullable(), object_id: z.string().nullable(), payload: json, personal: json.nullable(), unreadable: z.string().nullable(),
});

/** A session (its token is never stored, only a hash that is not exported). */
export const sessionRow = z.object({
  id: z.uuid(), created_at: instant, last_seen_at: instant, idle_expires_at: instant, absolute_expires_at: instant,
  second_factor_at: maybeInstant, remote_address: z.string().nullable(), user_agent: z.string().nullable(), revoked_at: maybeInstant, revoke_reason: z.string().nullable(),
});

/** A personal API token, without its secret. */
export const tokenRow = z.object({
  id: z.uuid(), name: z.string(), scopes: z.array(z.string()), created_at: instant, expires_at: instant, last_used_at: maybeInstant, revoked_at: maybeInstant, revoke_reason: z.string().nullable(),
});

/** A mail sent to the person: subject, time and status (bodies are sealed and emptied at delivery). */
export const mailRow = z.object({ id: z.uuid(), created_at: instant, subject: z.string(), status: z.string(), sent_at: maybeInstant, attempts: z.number() });

/** A password reset asked for the account (the link's token is never exported). */
export const resetRow = z.object({ created_at: instant, expires_at: instant, used_at: maybeInstant });

/** One of the person's own "My data" exports. */
export const exportRow = z.object({ id: z.uuid(), status: z.string(), created_at: instant, finished_at: maybeInstant, expires_at: instant, fetched_at: maybeInstant });

/** A correction request on one of the person's locked days (text decrypted). */
export const correctionRow = z.object({ id: z.uuid(), day_id: z.uuid(), entry_id: z.string().nullable(), text: z.string().nullable(), status: z.string(), created_at: instant, resolved_at: maybeInstant });

/** Raw captured activity: which `capture/*.json` files of the zip hold it. */
export const captureSection = z.object({ files: z.array(z.string()), note: z.string() });

/** Sign-in factors, without any secret or hash. */
export const credentialsSection = z.object({
  password_changed_at: maybeInstant, totp_enrolled_at: maybeInstant, totp_confirmed_at: maybeInstant, recovery_codes_left: z.number(), recovery_codes_used: z.array(instant),
});

/** The export document: everything Uurwerk holds about one person. */
export const exportDocument = z.object({
  format: z.literal('uurwerk.my-data.v1'),
  generated_at: instant,
  account_id: z.uuid(),
  notes: z.array(z.string()).describe('What is not in here and why (sealed mail bodies, shredded keys, ...)'),
  sources: z.record(z.string(), z.string()).describe('Each database table read, and the section it fed'),
  profile: z.array(profileField),
  settings: z.object({ time_zone: z.string().nullable() }),
  credentials: credentialsSection,
  roles: z.array(roleRow),
  teams: z.array(teamRow),
  days: z.array(dayRow),
  entries: z.array(entryRow),
  running_timer: json.nullable(),
  audit_events: z.array(auditRow),
  sessions: z.array(sessionRow),
  api_tokens: z.array(tokenRow),
  mails: z.array(mailRow),
  password_resets: z.array(resetRow),
  exports: z.array(exportRow),
  requests: z.array(json).nullable().describe('Data-subject requests; null where the request register is not part of this installation'),
  corrections: z.array(correctionRow).describe('Correction requests on locked days (rectification)'),
  capture: captureSection.nullable().describe('Raw captured activity, in capture/*.json beside export.json; null where capture is not part of this installation'),
});
export type ExportDocument = z.infer<typeof exportDocument>;

/** The JSON Schema of the export document (shipped beside export.json in the zip). */
export function exportJsonSchema(): Record<string, unknown> {
  return { $id: 'https://uurwerk.invalid/schemas/my-data.v1.json', title: 'Uurwerk: everything held about me', ...(z.toJSONSchema(exportDocument, { io: 'output' }) as Record<string, unknown>) };
}

/** The summary of `GET /api/v1/me/data` and the page. */
export const summaryResponse = z.object({
  account_id: z.uuid(),
  profile: z.array(profileField),
  roles: z.array(roleRow),
  teams: z.array(teamRow),
  counts: z.object({
    days: z.object({ draft: z.number(), submitted: z.number(), returned: z.number(), approved: z.number() }),
    entries: z.number(), audit_about_me: z.number(), audit_by_me: z.number(), sessions: z.number(), api_tokens: z.number(), mails: z.number(),
  }),
  sessions: z.array(sessionRow),
  api_tokens: z.array(tokenRow),
  mails: z.array(mailRow).describe('The 50 newest'),
  mail_bodies_note: z.string(),
  requests: z.array(json).nullable(),
  exports: z.array(exportRow),
  sources: z.record(z.string(), z.string()).describe('Each database column read for the person, and the section it feeds'),
});
export type Summary = z.infer<typeof summaryResponse>;

/** An export's progress. */
export const exportStatusResponse = z.object({
  id: z.uuid(), status: z.enum(['queued', 'running', 'ready', 'fetched', 'expired', 'failed']), progress: z.number(), step: z.string().nullable(),
  created_at: instant, finished_at: maybeInstant, expires_at: instant, fetched_at: maybeInstant, bytes: z.number().nullable(),
});

/** A started export: its status and the one-time download link (shown only here). */
export const exportStartedResponse = exportStatusResponse.extend({ download_url: z.string() });

/** Path parameter: an export by id. */
export const exportParams = z.strictObject({ id: z.uuid() });
/** The download's query: the one-time token of the link. */
export const downloadQuery = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the token of the download link') });
/** Starting an export takes no fields. */
export const startBody = z.strictObject({});
