import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import { ValidationError } from '../platform/errors.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { buildDayView } from '../timesheets/days.js';
import { visibleDays } from '../timesheets/policy.js';
import type { DayView } from '../timesheets/presenter.js';
import { inWall, listDays, type DayRow } from '../timesheets/repository.js';
import { reportsProblem } from './problems.js';

/**
 * Approved days read for an export, through the timesheets domain's own wall and
 * policy scope: a team admin reads the days their recorded scope holds (never their
 * own), a role that spans the organisation (`reports` for invoice sums, `payroll`)
 * reads every approved day. Reads that hand out a person's data are audited per day.
 */

/** The most days one export reads (a bound on work; a longer period is split by the caller). */
export const MAX_EXPORT_DAYS = 50_000;

/** Whose days: the actor's recorded scope, or the whole organisation. */
export type Reach = 'scope' | 'organisation';

/**
 * The approved days (or `states`) in [from, to] the reach allows, each with its entries. `keep`
 * picks the days the export uses; with `audit`, each kept day is recorded as a read
 * (`what`) of its owner's data once the read ended (`audit.append`), before the caller
 * hands anything out.
 */
export async function approvedDays(
  deps: TimesheetDeps,
  actor: Actor,
  reach: Reach,
  range: { from: string; to: string },
  opts: { keep?: (v: DayView) => boolean; audit?: string; states?: Array<'submitted' | 'returned' | 'approved'>; ownerId?: string } = {},
): Promise<DayView[]> {
  const scope = reach === 'organisation' ? (q: Parameters<ReturnType<typeof visibleDays>>[0]) => q : visibleDays(actor);
  const chosen = await inWall(deps.db, reach === 'organisation' ? 'bypass' : actor.accountId, async (w) => {
    const rows = await listDays(w, scope, { states: opts.states ?? ['approved'], ownerId: opts.ownerId, from: range.from, to: range.to, excludeOwnerId: reach === 'scope' ? actor.accountId : undefined, limit: MAX_EXPORT_DAYS + 1 });
    // Never a silently cut export: too many days is refused, naming the field to change.
    if (rows.length > MAX_EXPORT_DAYS) throw new ValidationError([reportsProblem('query.to', 'reports.too_many_days', { max: MAX_EXPORT_DAYS })]);
    const kept: Array<{ row: DayRow; view: DayView }> = [];
    for (const row of rows) {
      const view = await buildDayView(deps, w, row.owner_id, row.date, row, row.time_zone);
      if (!opts.keep || opts.keep(view)) kept.push({ row, view });
    }
    return kept;
  });
  if (opts.audit) {
    await deps.audit.append(chosen.filter((k) => k.row.owner_id !== actor.accountId).map(({ row }) => ({
      action: AUDIT_ACTIONS.personalDataRead, actorId: actor.accountId, subjectId: row.owner_id,
      object: { type: 'timesheet_day', id: row.id }, payload: { what: opts.audit!, date: row.date },
    })));
  }
  return chosen.map((k) => k.view);
}
