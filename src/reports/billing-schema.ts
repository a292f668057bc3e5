import { z } from 'zod';

/** Request and response schemas of billing and payroll, shared by the API and the pages. */

const date = z.iso.date();
const range = { from: date, to: date };
const ordered = <T extends { from: string; to: string }>(s: z.ZodType<T>) => s.refine((v) => v.from <= v.to, { path: ['to'], message: 'must not lie before from', params: { code: 'reports.to_before_from' } });

/** A rate for exactly one of customer, project or task, valid from a date on. */
export const rateBody = z
  .strictObject({
    customer_id: z.uuid().optional(),
    project_id: z.uuid().optional(),
    task_id: z.uuid().optional(),
    hourly_rate: z.number().min(0).max(1_000_000).multipleOf(0.01),
    valid_from: date,
  })
  .refine((r) => [r.customer_id, r.project_id, r.task_id].filter(Boolean).length === 1, { path: ['customer_id'], message: 'give exactly one of customer_id, project_id, task_id', params: { code: 'reports.one_target' } });
export type RateBody = z.infer<typeof rateBody>;

export const rateResponse = z.object({
  id: z.string(), customer_id: z.string().nullable(), project_id: z.string().nullable(), task_id: z.string().nullable(), hourly_rate: z.number(), valid_from: z.string(),
});

/** A customer's currency (ISO 4217). */
export const currencyBody = z.strictObject({ currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR') });
export const customerParams = z.strictObject({ id: z.uuid() });

/** The question of an invoicing export. */
export const invoiceQuery = ordered(z.strictObject({ customer_id: z.uuid(), ...range, detail: z.enum(['true', 'false']).optional() }));
export type InvoiceQuery = z.infer<typeof invoiceQuery>;

export const invoiceLine = z.object({
  project_id: z.string(), project: z.string(), task_id: z.string().nullable(), task: z.string().nullable(),
  minutes: z.number().int(), hourly_rate: z.number().nullable(), amount: z.number(),
});
export const invoiceResponse = z.object({
  customer_id: z.string(), customer: z.string(), currency: z.string(), from: z.string(), to: z.string(),
  lines: z.array(invoiceLine), total_minutes: z.number().int(), total_amount: z.number(),
  detail: z.array(z.object({ date: z.string(), project: z.string(), task: z.string().nullable(), minutes: z.number().int(), note: z.string() })).nullable(),
  closed: z.boolean(),
});
export type InvoiceView = z.infer<typeof invoiceResponse>;

/** Closing a customer's invoiced period, or locking a payroll period. */
export const closeInvoiceBody = ordered(z.strictObject({ customer_id: z.uuid(), ...range }));
export const payrollQuery = ordered(z.strictObject(range));
export const payrollRunBody = ordered(z.strictObject(range));

export const payrollResponse = z.object({
  from: z.string(), to: z.string(),
  rows: z.array(z.object({ person_id: z.string(), employee_number: z.string().nullable(), name: z.string(), date: z.string(), minutes: z.number().int(), hours: z.string() })),
  locked: z.boolean(),
});
export type PayrollView = z.infer<typeof payrollResponse>;
export const closureResponse = z.object({ id: z.string(), kind: z.enum(['invoice', 'payroll']), customer_id: z.string().nullable(), from: z.string(), to: z.string() });
