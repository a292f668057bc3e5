import { z } from 'zod';

/**
 * Request and response schemas of the auditor's view, shared by the API and the
 * pages. Queries are strict: an unknown filter is refused with 422 naming it, so a
 * typo never silently widens what an auditor believes they filtered.
 */

const whole = z.string().regex(/^[1-9][0-9]{0,14}$/, 'must be a whole number ≥ 1').transform(Number);
/** A date (the organisation's day) or an instant with its offset. */
const when = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date (YYYY-MM-DD) or an ISO time with offset' });
const id = z.string().trim().min(1).max(200);

/** Filters and paging of the audit log (newest first; `before` is the last page's `next_before`). */
export const eventsQuery = z.strictObject({
  actor: id.optional(),
  subject: id.optional(),
  action: z.string().trim().regex(/^[a-z0-9_.]{1,100}$/, 'an action or its start, e.g. auth. or privacy.personal_data.read').optional(),
  from: when.optional(),
  to: when.optional(),
  before: whole.optional(),
  limit: whole.pipe(z.number().max(200, 'at most 200')).optional(),
});
export type EventsQuery = z.infer<typeof eventsQuery>;

/** One audit event as stored (the payload as is; the sealed personal column only as "present"). */
export const auditEventResponse = z.object({
  seq: z.number(),
  id: z.string(),
  at: z.string(),
  actor_id: z.string(),
  subject_id: z.string().nullable(),
  action: z.string(),
  object_type: z.string().nullable(),
  object_id: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  /** Whether the event carries sealed personal details (never shown here: they are the subject's). */
  sealed_personal: z.boolean(),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEventView = z.infer<typeof auditEventResponse>;

export const eventsResponse = z.object({ events: z.array(auditEventResponse), next_before: z.number().nullable() });
export type EventsPage = z.infer<typeof eventsResponse>;

/** The period of the access review (dates or instants; default the last 90 days). */
export const periodQuery = z.strictObject({ from: when.optional(), to: when.optional() });
export type PeriodQuery = z.infer<typeof periodQuery>;

const role = z.object({ role: z.string(), team: z.string().nullable(), source: z.enum(['local', 'directory']), group: z.string().nullable(), reason: z.string() });
export const accessReviewResponse = z.object({
  from: z.string(),
  to: z.string(),
  accounts: z.array(z.object({
    account_id: z.string(),
    username: z.string(),
    source: z.enum(['local', 'directory']),
    status: z.enum(['active', 'disabled', 'deactivated']),
    roles: z.array(role),
    last_sign_in_at: z.string().nullable(),
    days_of_others_read: z.number(),
    people_read: z.number(),
  })),
});

/** The last stored `audit:verify` outcome. */
export const verifyRunResponse = z.object({
  at: z.string(),
  source: z.enum(['cli', 'job']),
  ok: z.boolean(),
  from_seq: z.number(),
  to_seq: z.number(),
  events_checked: z.number(),
  checkpoints_checked: z.number(),
  first_broken_seq: z.number().nullable(),
  first_broken_checkpoint: z.number().nullable(),
  problems: z.number(),
  kinds: z.array(z.string()),
});
export type VerifyRunView = z.infer<typeof verifyRunResponse>;

/** One checkpoint with the checks made on it now. */
export const checkpointResponse = z.object({
  number: z.number(),
  at: z.string(),
  first_seq: z.number(),
  last_seq: z.number(),
  key_id: z.string(),
  /** `ok`, `bad` (does not verify), `unknown_key` (signed with a key not in the keyring). */
  signature: z.enum(['ok', 'bad', 'unknown_key']),
  /** Follows its predecessor (number, range and hash link). */
  linked: z.boolean(),
  /** Its content matches its own hash. */
  intact: z.boolean(),
  /** The event it ends at still has the hash it signed (null: that event aged out or lies past the log's end). */
  head_matches: z.boolean().nullable(),
});
export type CheckpointView = z.infer<typeof checkpointResponse>;

/** Paging through checkpoints, newest first. */
export const checkpointsQuery = z.strictObject({ before: whole.optional() });

export const verificationResponse = z.object({
  last_verify: verifyRunResponse.nullable(),
  last_seq: z.number(),
  checkpoints_total: z.number(),
  checkpoints: z.array(checkpointResponse),
  /** Checkpoints on this page that fail a check (number). */
  breaks: z.array(z.number()),
  next_before: z.number().nullable(),
});
export type VerificationView = z.infer<typeof verificationResponse>;

/** One configuration flag (never a secret: values are periods, numbers, switches). */
export const configFlagResponse = z.object({
  key: z.string(),
  kind: z.enum(['below_legal_minimum', 'longer_than_default', 'privacy_weakening']),
  setting: z.string(),
  reference: z.string(),
  message: z.string(),
});
export type ConfigFlag = z.infer<typeof configFlagResponse>;
export const configFlagsResponse = z.object({ flags: z.array(configFlagResponse) });
