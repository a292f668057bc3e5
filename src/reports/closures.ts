import { REPORT_AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../platform/errors.js';
import type { DayFigures } from '../timesheets/context.js';

/**
 * Closed periods. An invoiced period of a customer is closed: a day in it can still
 * be reopened (with the reason the workflow always asks), and that reopen is audited
 * once more as a reopen in an invoiced period. A payroll run locks its period: no day
 * in it can be reopened (409).
 */

export type ClosureKind = 'invoice' | 'payroll';

/** Whether a closure of the kind (for the customer) overlaps [from, to]. */
export async function closureOverlaps(db: Knex | Knex.Transaction, kind: ClosureKind, from: string, to: string, customerId?: string): Promise<boolean> {
  const q = db('period_closures').where({ kind }).where('period_from', '<=', to).where('period_to', '>=', from);
  if (customerId) void q.where({ customer_id: customerId });
  return !!(await q.first('id'));
}

/** Records a closure (invoice: reports role or team admin; payroll: payroll role), audited. */
export async function closePeriod(deps: { db: Knex; audit: AuditLog }, actor: Actor, c: { kind: ClosureKind; from: string; to: string; customerId?: string }) {
  const may = c.kind === 'payroll' ? actor.roles.has('payroll') : actor.roles.has('reports') || (actor.roles.has('team_admin') && actor.teams.size > 0);
  if (!may) throw new ForbiddenError(c.kind === 'payroll' ? 'A payroll run needs the payroll role' : 'Closing an invoiced period needs the reports role or a team to administer', 'role_required');
  return deps.db.transaction(async (trx) => {
    if (c.customerId && !(await trx('customers').where({ id: c.customerId }).first('id'))) throw new NotFoundError();
    const [row] = (await trx('period_closures')
      .insert({ kind: c.kind, customer_id: c.customerId ?? null, period_from: c.from, period_to: c.to, closed_by: actor.accountId })
      .returning(['id'])) as Array<{ id: string }>;
    await deps.audit.record(trx, {
      action: c.kind === 'payroll' ? REPORT_AUDIT_ACTIONS.payrollPeriodLocked : REPORT_AUDIT_ACTIONS.invoicePeriodClosed,
      actorId: actor.accountId, object: { type: 'period_closure', id: row!.id }, payload: { from: c.from, to: c.to, customer: c.customerId ?? null },
    });
    return { id: row!.id, kind: c.kind, customer_id: c.customerId ?? null, from: c.from, to: c.to };
  });
}

/**
 * Checked inside a reopen's transaction: refuses a day in a payroll-locked period, and
 * audits a reopen in a customer's invoiced period (the reason sits in the workflow's
 * own reopen event).
 */
export async function checkReopen(trx: Knex.Transaction, audit: AuditLog, day: DayFigures, actorId: string): Promise<void> {
  if (await closureOverlaps(trx, 'payroll', day.date, day.date)) throw new ConflictError(`The payroll period holding ${day.date} is locked`, 'payroll_locked');
  const projectIds = [...new Set(day.parts.map((p) => p.project_id))];
  if (!projectIds.length) return;
  const closed = (await trx('period_closures as c')
    .join('projects as p', 'p.customer_id', 'c.customer_id')
    .where('c.kind', 'invoice').where('c.period_from', '<=', day.date).where('c.period_to', '>=', day.date)
    .whereIn('p.id', projectIds).distinct('c.id', 'c.customer_id')) as Array<{ id: string; customer_id: string }>;
  if (!closed.length) return;
  await audit.record(trx, {
    action: REPORT_AUDIT_ACTIONS.invoicedDayReopened, actorId, subjectId: day.ownerId,
    object: { type: 'period_closure', id: closed[0]!.id }, payload: { date: day.date, closures: closed.map((c) => c.id) },
  });
}
