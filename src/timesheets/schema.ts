import { z } from 'zod';
import { DAY_STATES } from './policy.js';

/**
 * Request and response schemas of the timesheet API. Request bodies are strict: a
 * field the API does not take (`user_id`, `owner_id`, `status`, `state`,
 * `approved_by`, ...) is refused with 422 naming it, and nothing is written — mass
 * assignment cannot change an owner or a state.
 */

const uuid = z.uuid();
const isoInstant = z.iso.datetime({ offset: true });
const calendarDate = z.iso.date();
/** A local calendar date, `YYYY-MM-DD`, that exists (no 9999-99-99). */
export const calendarDateSchema = calendarDate;

/** The body of an action that takes no fields (submit, approve, stop): anything sent is refused. */
export const noFieldsBody = z.strictObject({});

/** Path parameter: a day by local date. */
export const dateParams = z.strictObject({ date: calendarDate });
/** Path parameter: an object by id. */
export const idParams = z.strictObject({ id: uuid });

/** A new entry: start and end, or a date with a duration. */
export const entryCreateBody = z.strictObject({
  start: isoInstant.optional(),
  end: isoInstant.optional(),
  date: calendarDate.optional(),
  duration_minutes: z.number().int().min(1).optional(),
  project_id: uuid,
  task_id: uuid.nullable().optional(),
  note: z.string().optional(),
  /** Save an entry over `timesheets.max_entry_hours`, or one that takes its day over `max_day_hours` (422 without). */
  confirm_long: z.boolean().optional(),
});
export type EntryCreateBody = z.infer<typeof entryCreateBody>;

/** Several new entries at once, all or none. */
export const entryBatchBody = z.strictObject({ entries: z.array(entryCreateBody).min(1).max(200) });

/** A change to an entry: any of its fields. */
export const entryUpdateBody = z.strictObject({
  start: isoInstant.optional(),
  end: isoInstant.optional(),
  date: calendarDate.optional(),
  duration_minutes: z.number().int().min(1).optional(),
  project_id: uuid.optional(),
  task_id: uuid.nullable().optional(),
  note: z.string().optional(),
  /** As for a new entry: a change that makes the entry or its day too long needs it. */
  confirm_long: z.boolean().optional(),
});
export type EntryUpdateBody = z.infer<typeof entryUpdateBody>;

/** An entry as its owner (or a scoped admin) sees it. */
export const entryResponse = z.object({
  id: z.string(),
  start: z.string().nullable(),
  end: z.string().nullable(),
  date: z.string().nullable(),
  minutes: z.number(),
  project_id: z.string(),
  task_id: z.string().nullable(),
  note: z.string(),
  /** Present (true) when the note was erased on request: `note` is then empty. */
  note_erased: z.literal(true).optional(),
});

/** An entry within a day view: the part that falls on the day, and whether it overlaps another. */
export const dayEntryResponse = entryResponse.extend({
  minutes_on_day: z.number(),
  overlaps: z.boolean(),
});

/** Totals per project and task. */
export const totalResponse = z.object({
  project_id: z.string(),
  project_name: z.string(),
  task_id: z.string().nullable(),
  task_name: z.string().nullable(),
  minutes: z.number(),
});

/** A day with its entries and totals. */
export const dayResponse = z.object({
  id: z.string().nullable(),
  owner_id: z.string(),
  owner_name: z.string().nullable(),
  date: z.string(),
  state: z.enum(DAY_STATES),
  time_zone: z.string(),
  day_minutes: z.number(),
  total_minutes: z.number(),
  comment: z.string().nullable(),
  submitted_at: z.string().nullable(),
  approved_at: z.string().nullable(),
  approved_by: z.string().nullable(),
  entries: z.array(dayEntryResponse),
  totals: z.array(totalResponse),
});

/** A day in a list (no entries). */
/** A working-time warning of a day (submit response): the rule, the day, measured value and limit in minutes. */
export const dayWarning = z.object({ code: z.enum(['long_shift', 'long_week', 'short_rest', 'short_break']), date: z.string(), value: z.number().int(), limit: z.number().int() });

export const daySummaryResponse = z.object({
  id: z.string(),
  owner_id: z.string(),
  owner_name: z.string().nullable(),
  date: z.string(),
  state: z.enum(DAY_STATES),
  total_minutes: z.number(),
  submitted_at: z.string().nullable(),
});

/** What the inbox flags on a day: an entry over midnight, overlapping entries, an entry or the day over its limit. */
export const DAY_FLAGS = ['overnight', 'overlap', 'long_entry', 'long_day'] as const;
export type DayFlag = (typeof DAY_FLAGS)[number];

/** The working-time warning codes a day carried at submit (the inbox's `warnings`). */
export const DAY_WARNING_CODES = ['long_shift', 'long_week', 'short_rest', 'short_break'] as const;

/** A day in the admin's inbox: its summary, what deserves a second look, and the working-time warnings recorded at submit. */
export const inboxDayResponse = daySummaryResponse.extend({ flags: z.array(z.enum(DAY_FLAGS)), warnings: z.array(z.enum(DAY_WARNING_CODES)) });

/** A list of days with the number that matched. */
export const dayListResponse = z.object({ total: z.number(), days: z.array(inboxDayResponse) });

/** The admin inbox / review list filters. */
export const inboxQuery = z.strictObject({
  state: z.enum(['submitted', 'returned', 'approved']).optional(),
  person: uuid.optional(),
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  project_id: uuid.optional(),
});

/** The owner's own days in a range (the week grid). */
export const myDaysQuery = z.strictObject({ from: calendarDate, to: calendarDate });

/** Return a day to its owner. */
export const returnBody = z.strictObject({ comment: z.string().trim().min(1).max(2000) });
/** Reopen an approved day. */
export const reopenBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
/** Approve several days at once. */
export const approveManyBody = z.strictObject({ ids: z.array(uuid).min(1).max(200) });

/** Start or switch the timer. */
export const timerStartBody = z.strictObject({
  project_id: uuid,
  task_id: uuid.nullable().optional(),
  note: z.string().optional(),
});
export type TimerStartBody = z.infer<typeof timerStartBody>;

/** Change the running timer's project, task or note (at least one field). */
export const timerChangeBody = z
  .strictObject({ project_id: uuid.optional(), task_id: uuid.nullable().optional(), note: z.string().optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one of project_id, task_id, note' });
export type TimerChangeBody = z.infer<typeof timerChangeBody>;

/** The timer as its owner sees it. */
export const timerResponse = z.object({
  running: z.boolean(),
  started_at: z.string().nullable(),
  elapsed_seconds: z.number().nullable(),
  project_id: z.string().nullable(),
  task_id: z.string().nullable(),
  note: z.string().nullable(),
});

/** Stopping (or switching) the timer: the entry it wrote and the timer after. */
export const timerStopResponse = z.object({ entry: entryResponse, timer: timerResponse });

/** Personal timesheet settings. */
export const settingsBody = z.strictObject({ time_zone: z.string().min(1).max(64).nullable() });
export const settingsResponse = z.object({ time_zone: z.string().nullable(), effective_time_zone: z.string() });

/** One read of the owner's data by someone else. */
export const dataReadResponse = z.object({
  at: z.string(),
  reader_id: z.string(),
  reader_name: z.string().nullable(),
  what: z.string(),
  object_type: z.string().nullable(),
  object_id: z.string().nullable(),
  date: z.string().nullable(),
});
export const dataReadsResponse = z.object({ reads: z.array(dataReadResponse) });

/** A positive whole number in a query string (a seq, a page size). */
const whole = z.string().regex(/^[1-9][0-9]{0,14}$/, 'must be a whole number ≥ 1').transform(Number);

/** Paging through my audit events: `before` is the last page's `next_before`. */
export const myEventsQuery = z.strictObject({ before: whole.optional(), limit: whole.pipe(z.number().max(200, 'at most 200')).optional() });

/** One recorded change to my data: who, when, what, which fields (never their values). */
export const myEventResponse = z.object({
  seq: z.number(),
  at: z.string(),
  actor_id: z.string(),
  actor_name: z.string().nullable(),
  action: z.string(),
  object_type: z.string().nullable(),
  object_id: z.string().nullable(),
  date: z.string().nullable(),
  fields: z.array(z.string()),
});
export const myEventsResponse = z.object({ events: z.array(myEventResponse), next_before: z.number().nullable() });

/** Master data. */
export const customerBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export const customerResponse = z.object({ id: z.string(), name: z.string(), archived: z.boolean() });
export const projectBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  customer_id: uuid.nullable().optional(),
  code: z.string().trim().min(1).max(50).optional(),
  billable: z.boolean().optional(),
  budget_hours: z.number().min(0).max(1_000_000).nullable().optional(),
  team: z.string().max(100).optional(),
});
export const taskBody = z.strictObject({ name: z.string().trim().min(1).max(200), billable: z.boolean().nullable().optional() });
export const taskResponse = z.object({ id: z.string(), project_id: z.string(), name: z.string(), billable: z.boolean().nullable(), archived: z.boolean() });
export const projectResponse = z.object({
  id: z.string(),
  name: z.string(),
  code: z.string().nullable(),
  customer_id: z.string().nullable(),
  customer_name: z.string().nullable(),
  billable: z.boolean(),
  budget_hours: z.number().nullable(),
  team: z.string(),
  archived: z.boolean(),
  tasks: z.array(taskResponse),
});
export const projectListResponse = z.object({ projects: z.array(projectResponse) });
/** The project list: archived ones too when asked. */
export const projectListQuery = z.strictObject({ archived: z.enum(['true', 'false']).optional() });
export const archiveBody = z.strictObject({ archived: z.boolean() });

/** The longest CSV an import takes; longer than the API's default string limit, so the route says so. */
export const IMPORT_MAX_CSV_LENGTH = 2_000_000;
/** A CSV import of master data. */
export const importBody = z.strictObject({ csv: z.string().min(1).max(IMPORT_MAX_CSV_LENGTH), dry_run: z.boolean().optional() });
export const importResponse = z.object({ rows: z.number(), customers_created: z.number(), projects_created: z.number(), tasks_created: z.number(), dry_run: z.boolean() });
