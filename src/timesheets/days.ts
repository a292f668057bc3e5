import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { commentRef, facts, names, type TimesheetDeps } from './context.js';
import { decryptEntry } from './entries.js';
import { authorize, canRead, isForeignRead, visibleDays } from './policy.js';
import { dayEntries, presentDay, summarise, type DaySummary, type DayView } from './presenter.js';
import { dayById, dayByDate, entriesTouching, inWall, listDays, type DayRow, type Wall } from './repository.js';
import { timeZoneOf } from './settings.js';
import { datesBetween } from './tz.js';

/**
 * Reading days: a person's own days and week grid, and other people's days for whoever
 * may see them (each such read is audited). The workflow (submit, return, approve,
 * reopen) is in day-workflow.ts.
 */

/** Loads and decrypts a day's entries and names and presents the day (inside the caller's wall). */
export async function buildDayView(deps: TimesheetDeps, w: Wall, ownerId: string, date: string, day: DayRow | undefined, tz: string): Promise<DayView> {
  const zone = day?.time_zone ?? tz;
  const rows = await entriesTouching(w, ownerId, date, date);
  const entries = dayEntries(await Promise.all(rows.map((r) => decryptEntry(deps, w.trx, r))), date, zone);
  const projectNames = await names(w.trx, 'projects', entries.map((e) => e.project_id));
  const taskNames = await names(w.trx, 'tasks', entries.flatMap((e) => (e.task_id ? [e.task_id] : [])));
  const ownerName = (await names(w.trx, 'accounts', [ownerId])).get(ownerId) ?? null;
  const comment = day?.comment ? await deps.keys.decrypt(w.trx, ownerId, commentRef(day.id), day.comment) : null;
  return presentDay({ ownerId, date, day, zone, ownerName, comment, projectNames, taskNames }, entries);
}

/** The audit event of someone other than the owner reading the owner's time data. */
function readEvent(actor: Actor, day: DayRow, what: string) {
  return { action: AUDIT_ACTIONS.personalDataRead, actorId: actor.accountId, subjectId: day.owner_id, object: { type: 'timesheet_day', id: day.id }, payload: { what, date: day.date } };
}

/** The actor's own day by date (drafts included; nothing recorded yet reads as an empty draft). */
export async function getMyDay(deps: TimesheetDeps, actor: Actor, date: string): Promise<DayView> {
  const tz = await timeZoneOf(deps, actor.accountId);
  return inWall(deps.db, actor.accountId, async (w) => buildDayView(deps, w, actor.accountId, date, await dayByDate(w, actor.accountId, date), tz));
}

/** The actor's own days in a range (at most 62 days), with totals: the week grid. */
export async function listMyDays(deps: TimesheetDeps, actor: Actor, from: string, to: string): Promise<DayView[]> {
  if (to < from) throw new ValidationError([{ field: 'query.to', message: 'must not be before from' }]);
  if (datesBetween(from, to).length > 62) throw new ValidationError([{ field: 'query.to', message: 'a range may hold at most 62 days' }]);
  const tz = await timeZoneOf(deps, actor.accountId);
  return inWall(deps.db, actor.accountId, async (w) => {
    const rows = await listDays(w, visibleDays(actor), { ownerId: actor.accountId, from, to });
    const byDate = new Map(rows.map((r) => [r.date, r]));
    const out: DayView[] = [];
    for (const date of datesBetween(from, to)) out.push(await buildDayView(deps, w, actor.accountId, date, byDate.get(date), tz));
    return out;
  });
}

/**
 * A day by id for whoever may read it: the owner, or an admin whose recorded scope
 * holds it (that read is audited). Everyone else gets 404, as for an unknown id.
 */
export async function getDay(deps: TimesheetDeps, actor: Actor, id: string): Promise<DayView> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const day = await dayById(w, id, visibleDays(actor));
    if (!day) throw new NotFoundError();
    authorize(actor, 'read', facts(day));
    const view = await buildDayView(deps, w, day.owner_id, day.date, day, day.time_zone);
    if (isForeignRead(actor, facts(day))) await deps.audit.record(w.trx, readEvent(actor, day, 'day'));
    return view;
  });
}

/**
 * Other people's days the actor may see (the admin inbox; submitted by default),
 * filtered by person, dates and project. Each listed day is an audited read, appended
 * in one batch.
 */
export async function listReviewDays(
  deps: TimesheetDeps,
  actor: Actor,
  q: { state?: 'submitted' | 'returned' | 'approved'; person?: string; from?: string; to?: string; project_id?: string },
): Promise<{ total: number; days: DaySummary[] }> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const rows = await listDays(w, visibleDays(actor), { states: [q.state ?? 'submitted'], ownerId: q.person, excludeOwnerId: actor.accountId, from: q.from, to: q.to });
    const days: DaySummary[] = [];
    const read: DayRow[] = [];
    for (const day of rows) {
      if (!canRead(actor, facts(day))) continue; // the scope and the predicate agree; belt and braces
      const view = await buildDayView(deps, w, day.owner_id, day.date, day, day.time_zone);
      if (q.project_id && !view.entries.some((e) => e.project_id === q.project_id)) continue;
      days.push(summarise(day, view));
      read.push(day);
    }
    await deps.audit.recordMany(w.trx, read.map((day) => readEvent(actor, day, 'day_summary')));
    return { total: days.length, days };
  });
}
