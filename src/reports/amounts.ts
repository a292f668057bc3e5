import type { Knex } from '../platform/db.js';
import type { DayFigures } from '../timesheets/context.js';
import { rateOn } from './billing.js';

/**
 * The billed value the report store records beside minutes: for each billable part of
 * a submitted day (task's billable flag, else the project's), its minutes at the hourly
 * rate valid on the day (task > project > customer, latest `valid_from` on or before the
 * day, as the invoicing export picks it), in the customer's currency, in cents rounded
 * per part. The amount is fixed when the day is recorded: a later rate change does not
 * rewrite it (README "Reports and billing").
 */

/** Amounts per currency (ISO 4217 code → cents); never added across currencies. */
export type Amounts = Record<string, number>;

/** A day part with its amount (absent when not billable, without a customer or without a rate). */
export interface PricedPart {
  project_id: string;
  task_id: string | null;
  minutes: number;
  amount?: { currency: string; cents: number };
}

interface RateRow {
  id: string;
  customer_id: string | null;
  project_id: string | null;
  task_id: string | null;
  hourly_rate: string;
  valid_from: string;
}

/** The days' parts with their amounts, read in the recording transaction (a few queries for the whole batch). */
export async function priceDays<D extends DayFigures>(trx: Knex.Transaction, days: D[]): Promise<Array<Omit<D, 'parts'> & { parts: PricedPart[] }>> {
  const projectIds = [...new Set(days.flatMap((d) => d.parts.map((p) => p.project_id)))];
  const taskIds = [...new Set(days.flatMap((d) => d.parts.map((p) => p.task_id)).filter((x): x is string => x !== null))];
  if (!projectIds.length) return days.map((d) => ({ ...d, parts: d.parts }));
  const projects = new Map(((await trx('projects').whereIn('id', projectIds).select('id', 'customer_id', 'billable')) as Array<{ id: string; customer_id: string | null; billable: boolean }>).map((p) => [p.id, p]));
  const tasks = new Map((taskIds.length ? ((await trx('tasks').whereIn('id', taskIds).select('id', 'billable')) as Array<{ id: string; billable: boolean | null }>) : []).map((t) => [t.id, t]));
  const customerIds = [...new Set([...projects.values()].map((p) => p.customer_id).filter((x): x is string => x !== null))];
  if (!customerIds.length) return days.map((d) => ({ ...d, parts: d.parts }));
  const currencies = new Map(((await trx('billing_currencies').whereIn('customer_id', customerIds).select('customer_id', 'currency')) as Array<{ customer_id: string; currency: string }>).map((c) => [c.customer_id, c.currency]));
  const rates = (await trx('billing_rates')
    .where((b) => void b.whereIn('customer_id', customerIds).orWhereIn('project_id', projectIds).orWhereIn('task_id', taskIds))
    .select('id', 'customer_id', 'project_id', 'task_id', 'hourly_rate', trx.raw(`to_char(valid_from, 'YYYY-MM-DD') AS valid_from`))) as RateRow[];
  return days.map((d) => ({
    ...d,
    parts: d.parts.map((part): PricedPart => {
      const p = projects.get(part.project_id);
      const billable = (part.task_id ? tasks.get(part.task_id)?.billable : null) ?? p?.billable ?? false;
      if (!p?.customer_id || !billable || part.minutes <= 0) return part;
      const rate = rateOn(rates, { customerId: p.customer_id, projectId: part.project_id, taskId: part.task_id, date: d.date });
      if (rate === null) return part;
      return { ...part, amount: { currency: currencies.get(p.customer_id) ?? 'EUR', cents: Math.round((part.minutes * rate * 100) / 60) } };
    }),
  }));
}

/** a + b per currency. */
export function addAmounts(a: Amounts, b: Amounts): Amounts {
  const out = { ...a };
  for (const [cur, cents] of Object.entries(b)) out[cur] = (out[cur] ?? 0) + cents;
  return out;
}

/**
 * What is left of a cell's amounts when its minutes go from `before` to `after` (a
 * return, a reopen, a restriction): the removed minutes take their share of the
 * recorded amount, so the cell never keeps value without minutes, nor goes below zero,
 * whatever the rates are now.
 */
export function shrinkAmounts(a: Amounts, before: number, after: number): Amounts {
  if (after <= 0 || before <= 0) return {};
  const out: Amounts = {};
  for (const [cur, cents] of Object.entries(a)) {
    const left = Math.round((cents * after) / before);
    if (left > 0) out[cur] = left;
  }
  return out;
}
