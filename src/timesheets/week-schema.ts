import { z } from 'zod';

/**
 * Schemas of the week grid, picker, pins and own export, shared by the API
 * (routes.ts) and the pages (week-pages.ts).
 */

const uuid = z.uuid();
const calendarDate = z.iso.date();

/** A row of the grid: a project and optionally one of its tasks. */
export const rowKeyBody = z.strictObject({ project_id: uuid, task_id: uuid.nullable().default(null) });

/** Sets one cell: minutes (0 clears), or hours as typed (`1:30`, `1.5`, `1,5`, empty clears). */
export const weekCellBody = z.strictObject({
  date: calendarDate,
  project_id: uuid,
  task_id: uuid.nullable().default(null),
  minutes: z.number().int().min(0).max(24 * 60).optional(),
  hours: z.string().max(10).optional(),
  /** Save a cell over `max_entry_hours`, or one taking its day over `max_day_hours`, anyway. */
  confirm_long: z.boolean().optional(),
}).refine((b) => (b.minutes === undefined) !== (b.hours === undefined), { message: 'give minutes or hours, not both', path: ['minutes'] });

/** A cell after it was set, with the new total of its day. */
export const weekCellResponse = z.object({
  date: z.string(),
  project_id: z.string(),
  task_id: z.string().nullable(),
  minutes: z.number().int(),
  day_total_minutes: z.number().int(),
});

/** The picker's search. */
export const projectSearchQuery = z.strictObject({ q: z.string().max(100).default('') });

/** One choice of the picker. */
export const pickerChoiceResponse = z.object({
  value: z.string(),
  project_id: z.string(),
  task_id: z.string().nullable(),
  code: z.string().nullable(),
  customer_name: z.string().nullable(),
  project_name: z.string(),
  task_name: z.string().nullable(),
  label: z.string(),
  recent: z.boolean(),
});

/** The picker's answer, best match first. */
export const projectSearchResponse = z.object({ results: z.array(pickerChoiceResponse) });

/** Pins or unpins a row. */
export const favouriteBody = z.strictObject({ project_id: uuid, task_id: uuid.nullable().default(null), pinned: z.boolean() });

/** The pinned rows. */
export const favouritesResponse = z.object({ favourites: z.array(z.object({ project_id: z.string(), task_id: z.string().nullable() })) });

/** Path parameter: the week (any date in it). */
export const weekParams = z.strictObject({ date: calendarDate });

/** What a copy wrote. */
export const copyResponse = z.object({ entries: z.number().int(), days: z.array(z.string()) });

/** The own export's period and format. */
export const myExportQuery = z.strictObject({ from: calendarDate, to: calendarDate, format: z.enum(['csv', 'xlsx']).default('csv') });
