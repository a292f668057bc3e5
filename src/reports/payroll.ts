import { REPORT_AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import { ForbiddenError } from '../platform/errors.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { approvedDays } from './approved-days.js';
import type { PayrollView } from './billing-schema.js';
import { closureOverlaps } from './closures.js';

/**
 * The payroll export: approved hours per person per day. The `payroll` role reads the
 * whole organisation, a team admin the days their recorded scope holds; everyone else
 * gets 403. Every day in it is audited as a read of its owner's data.
 */

/** The CSV columns of the payroll export, in order (README "Reports and billing"). */
export const PAYROLL_COLUMNS = ['person_id', 'employee_number', 'name', 'date', 'hours', 'minutes'] as const;

function payrollReach(actor: Actor): 'scope' | 'organisation' {
  if (actor.roles.has('payroll')) return 'organisation';
  if (actor.roles.has('team_admin') && actor.teams.size > 0) return 'scope';
  throw new ForbiddenError('The payroll export needs the payroll role or a team to administer', 'role_required');
}

/** Approved hours per person per day in [from, to], within the actor's reach; audited. */
export async function payrollExport(deps: TimesheetDeps, actor: Actor, range: { from: string; to: string }): Promise<PayrollView> {
  const reach = payrollReach(actor);
  const days = await approvedDays(deps, actor, reach, range, { keep: (v) => v.total_minutes > 0, audit: 'payroll' });
  const ids = [...new Set(days.map((d) => d.owner_id))];
  const people = ids.length ? ((await deps.db('accounts').whereIn('id', ids).select('id', 'employee_number', deps.db.raw('coalesce(display_name, username) AS name'))) as Array<{ id: string; employee_number: string | null; name: string }>) : [];
  const who = new Map(people.map((p) => [p.id, p]));
  const rows = days.map((d) => ({
    person_id: d.owner_id, employee_number: who.get(d.owner_id)?.employee_number ?? null, name: who.get(d.owner_id)?.name ?? '',
    date: d.date, minutes: d.total_minutes, hours: (d.total_minutes / 60).toFixed(2),
  }));
  rows.sort((a, b) => a.name.localeCompare(b.name) || a.person_id.localeCompare(b.person_id) || a.date.localeCompare(b.date));
  await deps.audit.append({ action: REPORT_AUDIT_ACTIONS.payrollExported, actorId: actor.accountId, object: { type: 'payroll_export', id: `${range.from}..${range.to}` }, payload: { from: range.from, to: range.to, days: rows.length, people: ids.length } });
  return { from: range.from, to: range.to, rows, locked: await closureOverlaps(deps.db, 'payroll', range.from, range.to) };
}
