import { REPORT_AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { ForbiddenError, NotFoundError } from '../platform/errors.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { approvedDays } from './approved-days.js';
import type { InvoiceQuery, InvoiceView, RateBody } from './billing-schema.js';
import { closureOverlaps } from './closures.js';

/**
 * Rates, currencies and the invoicing export. Invoices are computed from the approved
 * days themselves (not from the report store), so their totals equal the sum of the
 * approved entries. Sums per project and task go to the `reports` role (whole
 * organisation) and to team admins (their scope); entry-level detail (date, hours,
 * task, note) only to team admins, for the days their recorded scope holds, each day
 * audited as a read.
 */

/** Who may set rates and currencies: operators (master data) and the reports role. */
export function authorizeRates(actor: Actor): void {
  if (!actor.roles.has('operator') && !actor.roles.has('reports')) throw new ForbiddenError('Rates need the operator or reports role', 'role_required');
}

interface RateRow {
  id: string;
  customer_id: string | null;
  project_id: string | null;
  task_id: string | null;
  hourly_rate: string;
  valid_from: string;
}

const presentRate = (r: RateRow) => ({ ...r, hourly_rate: Number(r.hourly_rate), valid_from: String(r.valid_from) });
const RATE_COLS = ['id', 'customer_id', 'project_id', 'task_id', 'hourly_rate'];

/** Sets a rate from a date on (a second rate for the same object and date replaces it); audited. */
export async function setRate(deps: TimesheetDeps, actor: Actor, body: RateBody): Promise<ReturnType<typeof presentRate>> {
  authorizeRates(actor);
  return deps.db.transaction(async (trx) => {
    const row = { customer_id: body.customer_id ?? null, project_id: body.project_id ?? null, task_id: body.task_id ?? null, hourly_rate: body.hourly_rate, valid_from: body.valid_from };
    const [saved] = (await trx('billing_rates').insert(row).onConflict(['customer_id', 'project_id', 'task_id', 'valid_from']).merge(['hourly_rate'])
      .returning([...RATE_COLS, trx.raw(`to_char(valid_from, 'YYYY-MM-DD') AS valid_from`)])) as RateRow[];
    await deps.audit.record(trx, { action: REPORT_AUDIT_ACTIONS.billingRateSet, actorId: actor.accountId, object: { type: 'billing_rate', id: saved!.id }, payload: { valid_from: body.valid_from, fields: ['hourly_rate'] } });
    return presentRate(saved!);
  });
}

/** Every rate, oldest first. */
export async function listRates(db: Knex, actor: Actor): Promise<Array<ReturnType<typeof presentRate>>> {
  authorizeRates(actor);
  const rows = (await db('billing_rates').orderBy(['valid_from', 'id']).select([...RATE_COLS, db.raw(`to_char(valid_from, 'YYYY-MM-DD') AS valid_from`)])) as RateRow[];
  return rows.map(presentRate);
}

/** Sets a customer's currency; audited. */
export async function setCurrency(deps: TimesheetDeps, actor: Actor, customerId: string, currency: string): Promise<{ customer_id: string; currency: string }> {
  authorizeRates(actor);
  return deps.db.transaction(async (trx) => {
    if (!(await trx('customers').where({ id: customerId }).first('id'))) throw new NotFoundError();
    await trx('billing_currencies').insert({ customer_id: customerId, currency, updated_at: trx.fn.now() }).onConflict('customer_id').merge(['currency', 'updated_at']);
    await deps.audit.record(trx, { action: REPORT_AUDIT_ACTIONS.billingCurrencySet, actorId: actor.accountId, object: { type: 'customer', id: customerId }, payload: { currency } });
    return { customer_id: customerId, currency };
  });
}

/**
 * The hourly rate of a (project, task) on a date: the task's, else the project's,
 * else the customer's — each the one with the latest valid_from on or before the date.
 */
export function rateOn(rates: RateRow[], at: { customerId: string; projectId: string; taskId: string | null; date: string }): number | null {
  const pick = (match: (r: RateRow) => boolean) =>
    rates.filter((r) => match(r) && String(r.valid_from) <= at.date).sort((a, b) => (String(a.valid_from) < String(b.valid_from) ? 1 : -1))[0];
  const r = (at.taskId ? pick((x) => x.task_id === at.taskId) : undefined) ?? pick((x) => x.project_id === at.projectId) ?? pick((x) => x.customer_id === at.customerId);
  return r ? Number(r.hourly_rate) : null;
}

/** Who reads which days for an invoice: the reports role all (sums only), a team admin their scope. */
function invoiceReach(actor: Actor, detail: boolean): 'scope' | 'organisation' {
  const admin = actor.roles.has('team_admin') && actor.teams.size > 0;
  if (detail) {
    if (!admin) throw new ForbiddenError('Entry-level detail is for team admins whose scope holds the people', 'detail_needs_scope');
    return 'scope';
  }
  if (actor.roles.has('reports')) return 'organisation';
  if (admin) return 'scope';
  throw new ForbiddenError('Invoices need the reports role or a team to administer', 'role_required');
}

/** The invoicing export of a customer for a period, from approved days only. */
export async function invoice(deps: TimesheetDeps, actor: Actor, q: InvoiceQuery): Promise<InvoiceView> {
  const detail = q.detail === 'true';
  const reach = invoiceReach(actor, detail);
  const customer = (await deps.db('customers').where({ id: q.customer_id }).first('id', 'name')) as { id: string; name: string } | undefined;
  if (!customer) throw new NotFoundError();
  const currency = ((await deps.db('billing_currencies').where({ customer_id: customer.id }).first('currency')) as { currency: string } | undefined)?.currency ?? 'EUR';
  const projects = (await deps.db('projects').where({ customer_id: customer.id }).select('id', 'name', 'billable')) as Array<{ id: string; name: string; billable: boolean }>;
  const tasks = projects.length ? ((await deps.db('tasks').whereIn('project_id', projects.map((p) => p.id)).select('id', 'name', 'billable')) as Array<{ id: string; name: string; billable: boolean | null }>) : [];
  const project = new Map(projects.map((p) => [p.id, p]));
  const task = new Map(tasks.map((t) => [t.id, t]));
  const rates = (await deps.db('billing_rates')
    .where((b) => void b.where('customer_id', customer.id).orWhereIn('project_id', projects.map((p) => p.id)).orWhereIn('task_id', tasks.map((t) => t.id)))
    .select('id', 'customer_id', 'project_id', 'task_id', 'hourly_rate', deps.db.raw(`to_char(valid_from, 'YYYY-MM-DD') AS valid_from`))) as RateRow[];
  const billable = (e: { project_id: string; task_id: string | null }) => {
    const p = project.get(e.project_id);
    if (!p) return false;
    const t = e.task_id ? task.get(e.task_id) : undefined;
    return t?.billable ?? p.billable;
  };
  const days = await approvedDays(deps, actor, reach, q, { keep: (v) => v.entries.some(billable), audit: detail ? 'invoice_detail' : undefined });
  const lines = new Map<string, InvoiceView['lines'][number]>();
  const rows: NonNullable<InvoiceView['detail']> = [];
  for (const day of days) {
    for (const e of day.entries.filter(billable)) {
      const rate = rateOn(rates, { customerId: customer.id, projectId: e.project_id, taskId: e.task_id, date: day.date });
      const key = `${e.project_id}|${e.task_id ?? ''}|${rate ?? ''}`;
      const line = lines.get(key) ?? { project_id: e.project_id, project: project.get(e.project_id)!.name, task_id: e.task_id, task: e.task_id ? (task.get(e.task_id)?.name ?? null) : null, minutes: 0, hourly_rate: rate, amount: 0 };
      line.minutes += e.minutes_on_day;
      lines.set(key, line);
      if (detail) rows.push({ date: day.date, project: line.project, task: line.task, minutes: e.minutes_on_day, note: e.note });
    }
  }
  const out = [...lines.values()].map((l) => ({ ...l, amount: l.hourly_rate === null ? 0 : Math.round((l.minutes * l.hourly_rate * 100) / 60) / 100 }));
  out.sort((a, b) => a.project.localeCompare(b.project) || (a.task ?? '').localeCompare(b.task ?? '') || (a.hourly_rate ?? 0) - (b.hourly_rate ?? 0));
  await deps.audit.append({ action: REPORT_AUDIT_ACTIONS.invoiceExported, actorId: actor.accountId, object: { type: 'customer', id: customer.id }, payload: { from: q.from, to: q.to, detail, days: days.length } });
  return {
    customer_id: customer.id, customer: customer.name, currency, from: q.from, to: q.to,
    lines: out,
    total_minutes: out.reduce((s, l) => s + l.minutes, 0),
    total_amount: Math.round(out.reduce((s, l) => s + l.amount, 0) * 100) / 100,
    detail: detail ? rows.sort((a, b) => a.date.localeCompare(b.date)) : null,
    closed: await closureOverlaps(deps.db, 'invoice', q.from, q.to, customer.id),
  };
}
