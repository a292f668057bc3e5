import { z } from 'zod';
import { GROUP_BY } from './repository.js';

/**
 * Request and response schemas of the reports API, shared with the pages. A report
 * has no person filter or grouping: `group_by=person` or `owner_id=...` is refused
 * with 422 naming the field.
 */

/** How many periods one report may span, per grain (a bound on work and on size). */
export const MAX_PERIODS = { week: 106, month: 84, quarter: 28, year: 10 } as const;

/** The question of an hours report. */
export const reportQuery = z
  .strictObject({
    period: z.enum(['week', 'month', 'quarter', 'year']).default('month'),
    from: z.iso.date(),
    to: z.iso.date(),
    group_by: z.enum(GROUP_BY).default('project'),
    team: z.string().min(1).max(200).optional(),
    customer_id: z.uuid().optional(),
    project_id: z.uuid().optional(),
    billable: z.enum(['true', 'false']).optional(),
  })
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'must not lie before from', params: { code: 'reports.to_before_from' } });
export type ReportQueryInput = z.infer<typeof reportQuery>;

/** One figure: minutes, or null when suppressed (it rests on fewer than k people). */
export const cell = z.object({ minutes: z.number().int().nullable(), suppressed: z.boolean() });
export type Cell = z.infer<typeof cell>;

/**
 * A figure's billed value per currency (ISO 4217 code → amount, two decimals; never
 * added across currencies), or null exactly where the figure's minutes are suppressed.
 */
export const money = z.record(z.string(), z.number()).nullable();
export type Money = z.infer<typeof money>;

/** An hours report: one row per group, one column per period, with totals; `amounts` beside `cells`, `amount_total` beside `total`. */
export const reportResponse = z.object({
  k: z.number().int(),
  period: z.enum(['week', 'month', 'quarter', 'year']),
  group_by: z.enum(GROUP_BY),
  from: z.string(),
  to: z.string(),
  periods: z.array(z.object({ start: z.string(), label: z.string() })),
  rows: z.array(z.object({ key: z.string(), label: z.string(), cells: z.array(cell), total: cell, amounts: z.array(money), amount_total: money })),
  totals: z.object({ cells: z.array(cell), total: cell, amounts: z.array(money), amount_total: money }),
});
export type ReportView = z.infer<typeof reportResponse>;

/** Budget used against budget, per project with a budget. */
export const budgetResponse = z.object({
  k: z.number().int(),
  projects: z.array(z.object({ project_id: z.string(), name: z.string(), budget_hours: z.number(), used: cell })),
});
export type BudgetView = z.infer<typeof budgetResponse>;
