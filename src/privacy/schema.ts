import { z } from 'zod';

/**
 * Request and response schemas of the privacy registers, shared by the API and the
 * pages. Bodies are strict: a field the API does not take (`status`, `subject_id` on
 * a person's own request, `decided_by`, ...) is refused with 422 naming it.
 */

const uuid = z.uuid();
const instant = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().trim().min(1).max(max);

/** Path parameter: a register entry by id. */
export const idParams = z.strictObject({ id: uuid });

/** What a request asks for (GDPR art. 15–18, 20, 21). */
export const REQUEST_KINDS = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
/** The kinds a person files themselves (the others are self-service already: My data, corrections). */
export const SELF_SERVICE_KINDS = ['erasure', 'restriction', 'objection'] as const;
/** How a request reached the organisation. */
export const CHANNELS = ['self_service', 'letter', 'mail', 'in_person', 'other'] as const;
export const DECISIONS = ['grant', 'partly', 'refuse'] as const;
export type Decision = (typeof DECISIONS)[number];
export const REQUEST_STATUSES = ['open', 'decided', 'closed'] as const;

/** A person files a request about themselves. */
export const fileRequestBody = z.strictObject({
  kind: z.enum(SELF_SERVICE_KINDS),
  text: text(4000).optional(),
});
export type FileRequestBody = z.infer<typeof fileRequestBody>;

/** The privacy officer records a request that arrived another way (or for someone who left). */
export const recordRequestBody = z.strictObject({
  subject_id: uuid.optional(),
  subject_reference: text(200).optional(),
  kind: z.enum(REQUEST_KINDS),
  channel: z.enum(CHANNELS).exclude(['self_service']),
  received_at: instant,
  text: text(4000).optional(),
  identity_note: text(1000).optional(),
}).refine((b) => b.subject_id !== undefined || b.subject_reference !== undefined, { path: ['subject_id'], message: 'give subject_id or subject_reference', params: { code: 'request.subject' } });
export type RecordRequestBody = z.infer<typeof recordRequestBody>;

/** How the person's identity was checked. */
export const identityBody = z.strictObject({ note: text(1000) });
/** Why the deadline is extended by two months. */
export const extensionBody = z.strictObject({ reason: text(1000) });
/** The decision; a legal ground is required unless the request is granted in full. */
/** Lifting a restriction: why (the person was told before, art. 18(3)). */
export const liftBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
/** What a lift did. */
export const liftResponse = z.object({ account_id: z.string(), restricted: z.literal(false), days_recorded: z.number().int() });

export const decisionBody = z.strictObject({
  decision: z.enum(DECISIONS),
  ground: text(2000).optional(),
  actions: text(4000).optional(),
}).refine((b) => b.decision === 'grant' || b.ground !== undefined, { path: ['ground'], message: 'a legal ground is required when a request is refused or granted in part', params: { code: 'request.ground' } });
export type DecisionBody = z.infer<typeof decisionBody>;
/** The person was told the outcome (now, unless `told_at` says when). */
export const toldBody = z.strictObject({ told_at: instant.optional(), actions: text(4000).optional() });

const deadlines = z.object({ legal: z.iso.date(), extended: z.iso.date(), internal: z.iso.date(), effective: z.iso.date() });

/** A request as the register shows it (privacy officer, auditor). */
export const requestResponse = z.object({
  id: uuid,
  number: z.number().int(),
  subject_id: uuid.nullable(),
  subject_name: z.string().nullable(),
  subject_reference: z.string().nullable(),
  kind: z.enum(REQUEST_KINDS),
  channel: z.enum(CHANNELS),
  received_at: z.string(),
  received_on: z.iso.date(),
  text: z.string().nullable(),
  identity_checked_at: z.string().nullable(),
  identity_note: z.string().nullable(),
  extended_at: z.string().nullable(),
  extension_reason: z.string().nullable(),
  deadlines,
  days_left: z.number().int(),
  overdue: z.boolean(),
  status: z.enum(REQUEST_STATUSES),
  decision: z.enum(DECISIONS).nullable(),
  ground: z.string().nullable(),
  decided_at: z.string().nullable(),
  execution: z.enum(['pending', 'done']).nullable(),
  actions: z.string().nullable(),
  told_at: z.string().nullable(),
  closed_at: z.string().nullable(),
});
export type RequestView = z.infer<typeof requestResponse>;

/** A request as the person it concerns sees it. */
export const myRequestResponse = requestResponse.pick({
  id: true, number: true, kind: true, channel: true, received_at: true, text: true, deadlines: true, status: true, decision: true, ground: true, decided_at: true, execution: true, actions: true, told_at: true,
});
export type MyRequestView = z.infer<typeof myRequestResponse>;

export const requestListResponse = z.object({ requests: z.array(requestResponse) });
export const myRequestListResponse = z.object({ requests: z.array(myRequestResponse) });

export const BREACH_STATUSES = ['suspected', 'confirmed', 'closed'] as const;
export const AUTHORITY_STATES = ['pending', 'notified', 'not_required'] as const;
export const INFORMED_STATES = ['pending', 'informed', 'not_informed'] as const;

/** The content of a breach entry; an amendment gives any of it, and a note why. */
const breachFields = {
  status: z.enum(BREACH_STATUSES),
  detected_at: instant,
  aware_at: instant,
  what_happened: text(5000),
  data_categories: text(1000),
  people_count: z.number().int().min(0).max(2_000_000_000).nullable(),
  records_count: z.number().int().min(0).max(2_000_000_000).nullable(),
  consequences: z.string().trim().max(5000),
  measures: z.string().trim().max(5000),
  internal_notice_at: instant.nullable(),
  authority: z.enum(AUTHORITY_STATES),
  authority_at: instant.nullable(),
  authority_reason: text(2000).nullable(),
  people_informed: z.enum(INFORMED_STATES),
  people_informed_at: instant.nullable(),
  people_informed_reason: text(2000).nullable(),
};

/** The content of a breach version, with the rules that tie its fields together. */
export const breachContent = z.strictObject({ ...breachFields, note: text(2000).nullable() }).superRefine((b, ctx) => {
  if (Date.parse(b.aware_at) < Date.parse(b.detected_at)) ctx.addIssue({ code: 'custom', path: ['aware_at'], message: 'must not lie before detected_at', params: { code: 'breach.aware_before_detected' } });
  if ((b.authority === 'notified') !== (b.authority_at !== null)) ctx.addIssue({ code: 'custom', path: ['authority_at'], message: 'give the time exactly when authority is notified', params: { code: 'breach.authority_at' } });
  if (b.authority === 'not_required' && b.authority_reason === null) ctx.addIssue({ code: 'custom', path: ['authority_reason'], message: 'say why the authority need not be notified', params: { code: 'breach.authority_reason' } });
  if ((b.people_informed === 'informed') !== (b.people_informed_at !== null)) ctx.addIssue({ code: 'custom', path: ['people_informed_at'], message: 'give the time exactly when people_informed is informed', params: { code: 'breach.informed_at' } });
  if (b.people_informed === 'not_informed' && b.people_informed_reason === null) ctx.addIssue({ code: 'custom', path: ['people_informed_reason'], message: 'say why the people are not informed (art. 34(3))', params: { code: 'breach.informed_reason' } });
});
export type BreachContent = z.infer<typeof breachContent>;

/** A new breach entry: what is known now (defaults: suspected, nothing notified yet). */
export const recordBreachBody = z.strictObject({
  status: breachFields.status.default('suspected'),
  detected_at: instant,
  aware_at: instant,
  what_happened: breachFields.what_happened,
  data_categories: breachFields.data_categories,
  people_count: breachFields.people_count.default(null),
  records_count: breachFields.records_count.default(null),
  consequences: breachFields.consequences.default(''),
  measures: breachFields.measures.default(''),
  internal_notice_at: breachFields.internal_notice_at.default(null),
  authority: breachFields.authority.default('pending'),
  authority_at: breachFields.authority_at.default(null),
  authority_reason: breachFields.authority_reason.default(null),
  people_informed: breachFields.people_informed.default('pending'),
  people_informed_at: breachFields.people_informed_at.default(null),
  people_informed_reason: breachFields.people_informed_reason.default(null),
});
export type RecordBreachBody = z.infer<typeof recordBreachBody>;

/** An amendment: the fields that change, and why (required). */
export const amendBreachBody = z.strictObject({
  ...Object.fromEntries(Object.entries(breachFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof breachFields]: z.ZodOptional<(typeof breachFields)[K]> },
  note: text(2000),
});
export type AmendBreachBody = z.infer<typeof amendBreachBody>;

const breachVersion = z.object({
  version: z.number().int(),
  status: z.enum(BREACH_STATUSES),
  detected_at: z.string(),
  aware_at: z.string(),
  what_happened: z.string(),
  data_categories: z.string(),
  people_count: z.number().int().nullable(),
  records_count: z.number().int().nullable(),
  consequences: z.string(),
  measures: z.string(),
  internal_notice_at: z.string().nullable(),
  authority: z.enum(AUTHORITY_STATES),
  authority_at: z.string().nullable(),
  authority_reason: z.string().nullable(),
  people_informed: z.enum(INFORMED_STATES),
  people_informed_at: z.string().nullable(),
  people_informed_reason: z.string().nullable(),
  note: z.string().nullable(),
  recorded_at: z.string(),
});
export type BreachVersionView = z.infer<typeof breachVersion>;

/** A breach as the register shows it: the latest version, its clocks and (on its own page) the history. */
export const breachResponse = breachVersion.extend({
  id: uuid,
  number: z.number().int(),
  clocks: z.object({ internal_due: z.string(), authority_due: z.string(), internal_overdue: z.boolean(), authority_overdue: z.boolean() }),
  history: z.array(breachVersion).optional(),
});
export type BreachView = z.infer<typeof breachResponse>;
export const breachListResponse = z.object({ breaches: z.array(breachResponse) });
