import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import type { Actor } from '../identity/policy.js';
import type { ApiRegistry } from '../platform/http/api.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { getDay, listMyDays } from '../timesheets/days.js';
import type { DayView } from '../timesheets/presenter.js';
import { addDays } from '../timesheets/tz.js';
import { approvedDays } from './approved-days.js';
import { checkWorkingTime } from './working-time.js';

/**
 * Working-time warnings as people see them: the employee for their own week (drafts
 * included, so they see them before they submit), and the team admins for a day their
 * scope holds (computed from the days of that person they may see; each an audited
 * read). Computed on every request; nothing is stored.
 */

/** The Monday of the ISO week holding `date`. */
export const mondayOf = (date: string) => addDays(date, -((new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7));

export const workingTimeQuery = z.strictObject({ week: z.iso.date() });
export const workingTimeResponse = z.object({
  week_start: z.string(),
  days: z.array(z.object({ date: z.string(), total_minutes: z.number().int(), breaks: z.array(z.object({ start: z.string(), end: z.string(), minutes: z.number().int() })) })),
  shifts: z.array(z.object({ date: z.string(), start: z.string(), end: z.string(), worked_minutes: z.number().int(), break_minutes: z.number().int() })),
  warnings: z.array(z.object({ code: z.enum(['long_shift', 'long_week', 'short_rest', 'short_break']), date: z.string(), value: z.number().int(), limit: z.number().int() })),
});
export type WorkingTimeView = z.infer<typeof workingTimeResponse>;

/** The working-time rules over a person's days around the week starting `monday`. */
export function check(deps: TimesheetDeps, views: DayView[], monday: string, tz: string): WorkingTimeView {
  const week = views.filter((v) => v.date >= monday && v.date <= addDays(monday, 6));
  const r = checkWorkingTime(views.flatMap((v) => v.entries), week.map((v) => ({ date: v.date, total_minutes: v.total_minutes })), deps.config.reports.working_time, tz);
  return { week_start: monday, ...r };
}

/** The actor's own week (Monday to Sunday holding `date`), with the day before for the first rest. */
export async function myWorkingTime(deps: TimesheetDeps, actor: Actor, date: string): Promise<WorkingTimeView> {
  const monday = mondayOf(date);
  const views = await listMyDays(deps, actor, addDays(monday, -1), addDays(monday, 6));
  return check(deps, views, monday, views[0]?.time_zone ?? deps.config.timesheets.time_zone);
}

/** An admin's view of the week of a day their scope holds (404 otherwise), over the days of that person they may see. */
export async function dayWorkingTime(deps: TimesheetDeps, actor: Actor, dayId: string): Promise<WorkingTimeView> {
  return workingTimeOfDay(deps, actor, await getDay(deps, actor, dayId));
}

/** The same for a day already read through the policy (`getDay`): no second read of the day itself. */
export async function workingTimeOfDay(deps: TimesheetDeps, actor: Actor, day: { owner_id: string; date: string; time_zone: string }): Promise<WorkingTimeView> {
  const monday = mondayOf(day.date);
  if (day.owner_id === actor.accountId) return myWorkingTime(deps, actor, day.date);
  const views = await approvedDays(deps, actor, 'scope', { from: addDays(monday, -1), to: addDays(monday, 6) }, { states: ['submitted', 'returned', 'approved'], ownerId: day.owner_id, audit: 'working_time' });
  return check(deps, views, monday, day.time_zone);
}

/** Registers the working-time routes. */
export function registerWorkingTimeApi(api: ApiRegistry, deps: TimesheetDeps): void {
  api.add({
    method: 'get', path: '/me/working-time', operationId: 'myWorkingTime', tags: ['timesheets'], auth: { session: true },
    summary: 'My week: daily totals and breaks, shifts, and working-time warnings (Arbeidstijdenwet defaults; warnings, not blocks)',
    query: workingTimeQuery, response: workingTimeResponse,
    handler: async (ctx, { query }) => myWorkingTime(deps, currentActor(ctx), query.week),
  });
  api.add({
    method: 'get', path: '/days/:id/working-time', operationId: 'dayWorkingTime', tags: ['timesheets'], auth: { session: true },
    summary: 'Working-time warnings for the week of a day in my scope (audited reads)',
    params: z.strictObject({ id: z.uuid() }), response: workingTimeResponse,
    handler: async (ctx, { params }) => dayWorkingTime(deps, currentActor(ctx), params.id),
  });
}
