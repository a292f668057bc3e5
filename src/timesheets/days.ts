import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { tsProblem } from './problems.js';
import { allNames, commentRef, facts, type TimesheetDeps } from './context.js';
import { authorize, canRead, isForeignRead, visibleDays } from './policy.js';
import { dayEntries, dayFlags, presentDay, summarise, type DayView, type InboxDay } from './presenter.js';
import { dayWithEntriesById, entriesOnDays, ownDaysRows, ownDaysSql, type OwnDaysRow } from './read-queries.js';
import type { Knex } from '../platform/db.js';
import { entriesTouching, inWall, listDays, readInWall, walled, type DayRow, type EntryRow, type Wall } from './repository.js';
import { openEntries } from './sealing.js';
import { NAMES_VERSION_COLUMN, projectAndTaskNames } from './names-cache.js';
import { dayCount, datesBetween } from './tz.js';

/**
 * Reading days: a person's own days and week grid, and other people's days for whoever
 * may see them (each such read is audited). The workflow (submit, return, approve,
 * reopen) is in day-workflow.ts.
 */

/** One day to present: whose, which date, its row if any, the zone it follows. */
interface DayToPresent {
  ownerId: string;
  date: string;
  day: DayRow | undefined;
  zone: string;
}

/** What a one-trip read already knows for presenting: the owners' names and the names count it saw. */
interface Known {
  ownerNames: ReadonlyMap<string, string>;
  namesVersion: unknown;
}

/**
 * Presents many days from the entry rows already loaded for them: every entry and
 * comment decrypted in one batch, every name in one query, so the cost in round trips
 * does not grow with the number of days. `db` is the caller's wall (`w.shared()`: names
 * and data keys are granted to the row-security role, no switch) or, after a one-trip
 * read, the pool; then `known` brings the owners' names, and project and task names
 * come from memory while the names count it saw still holds (names-cache.ts).
 */
async function presentDays(deps: TimesheetDeps, db: Knex | Knex.Transaction, items: DayToPresent[], rows: EntryRow[], known?: Known): Promise<DayView[]> {
  const comments = items.flatMap((it) => (it.day?.comment ? [{ subject: it.ownerId, ref: commentRef(it.day.id), envelope: it.day.comment }] : []));
  const opened = await openEntries(deps, db, rows, comments);
  const decrypted = rows.map((r, i) => ({ row: r, entry: opened.entries[i]! }));
  const commentOf = new Map(comments.map((c, i) => [c.ref.rowId, opened.extra[i]!]));
  const perDay = items.map((it) => dayEntries(decrypted.filter((d) => d.row.owner_id === it.ownerId && d.row.first_date <= it.date && d.row.last_date >= it.date).map((d) => d.entry), it.date, it.zone));
  const all = perDay.flat();
  const ids = { projects: all.map((e) => e.project_id), tasks: all.flatMap((e) => (e.task_id ? [e.task_id] : [])) };
  const n = known
    ? { ...(await projectAndTaskNames(deps.db, known.namesVersion, ids)), accounts: known.ownerNames }
    : await allNames(db, { ...ids, accounts: items.map((it) => it.ownerId) });
  return items.map((it, i) => presentDay({
    ownerId: it.ownerId, date: it.date, day: it.day, zone: it.zone, ownerName: n.accounts.get(it.ownerId) ?? null,
    comment: it.day ? (commentOf.get(it.day.id) ?? null) : null, projectNames: n.projects, taskNames: n.tasks,
  }, perDay[i]!));
}

/** Loads and decrypts a day's entries and names and presents the day (inside the caller's wall). */
export async function buildDayView(deps: TimesheetDeps, w: Wall, ownerId: string, date: string, day: DayRow | undefined, tz: string): Promise<DayView> {
  const rows = await entriesTouching(w, ownerId, date, date);
  const [view] = await presentDays(deps, w.shared(), [{ ownerId, date, day, zone: day?.time_zone ?? tz }], rows);
  return view!;
}

/** The audit event of someone other than the owner reading the owner's time data. */
function readEvent(actor: Actor, day: DayRow, what: string) {
  return { action: AUDIT_ACTIONS.personalDataRead, actorId: actor.accountId, subjectId: day.owner_id, object: { type: 'timesheet_day', id: day.id }, payload: { what, date: day.date } };
}


/**
 * The actor's own days in [from, to], read behind the wall in one round trip
 * (`readInWall`), with the actor's zone and display name from its first statement.
 */
async function myDays(deps: TimesheetDeps, actor: Actor, from: string, to: string): Promise<{ days: DayRow[]; entries: EntryRow[]; zone: string; known: Known }> {
  const { first, rows } = await readInWall<OwnDaysRow>(deps.db, actor.accountId, ownDaysSql(actor.accountId, from, to), {
    sql: `, (SELECT coalesce(display_name, username) FROM accounts WHERE id = ?::uuid) AS owner_name${NAMES_VERSION_COLUMN.sql}`, bindings: [actor.accountId],
  });
  const ownerNames = new Map(typeof first.owner_name === 'string' ? [[actor.accountId, first.owner_name]] : []);
  return { ...ownDaysRows(rows[0]!), zone: first.time_zone ?? deps.config.timesheets.time_zone, known: { ownerNames, namesVersion: first.names_version } };
}

/** The actor's own day by date (drafts included; nothing recorded yet reads as an empty draft). */
export async function getMyDay(deps: TimesheetDeps, actor: Actor, date: string): Promise<DayView> {
  const { days, entries, zone, known } = await myDays(deps, actor, date, date);
  const day = days[0];
  const [view] = await presentDays(deps, deps.db, [{ ownerId: actor.accountId, date, day, zone: day?.time_zone ?? zone }], entries, known);
  return view!;
}

/** The actor's own days in a range (at most 62 days), with totals: the week grid. */
export async function listMyDays(deps: TimesheetDeps, actor: Actor, from: string, to: string): Promise<DayView[]> {
  if (to < from) throw new ValidationError([tsProblem('query.to', 'range.before_from')]);
  // Counted from its ends: a long range is refused without walking it.
  if (dayCount(from, to) > 62) throw new ValidationError([tsProblem('query.to', 'range.max_days', { n: 62 })]);
  const dates = datesBetween(from, to);
  // One round trip for the range's days and entries; each date takes the entries touching it.
  const { days, entries, zone, known } = await myDays(deps, actor, from, to);
  const byDate = new Map(days.map((r) => [r.date, r]));
  const items = dates.map((date) => ({ ownerId: actor.accountId, date, day: byDate.get(date), zone: byDate.get(date)?.time_zone ?? zone }));
  return presentDays(deps, deps.db, items, entries, known);
}

/**
 * A day by id for whoever may read it: the owner, or an admin whose recorded scope
 * holds it (that read is audited). Everyone else gets 404, as for an unknown id.
 */
export async function getDay(deps: TimesheetDeps, actor: Actor, id: string): Promise<DayView> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const { day, entries } = await dayWithEntriesById(w, id, visibleDays(actor));
    if (!day) throw new NotFoundError();
    authorize(actor, 'read', facts(day));
    const [view] = await presentDays(deps, w.shared(), [{ ownerId: day.owner_id, date: day.date, day, zone: day.time_zone }], entries);
    if (isForeignRead(actor, facts(day))) {
      // The first look by a reviewer ends the owner's chance to take the day back.
      if (day.state === 'submitted') await walled(w, (trx) => trx('timesheet_days').where({ id: day.id }).whereNull('opened_at').update({ opened_at: trx.fn.now() }));
      await deps.audit.record(await w.forAudit(), readEvent(actor, day, 'day'));
    }
    return view!;
  });
}

/**
 * Other people's days the actor may see (the admin inbox; submitted by default),
 * filtered by person, dates and project. Each listed day is an audited read: the
 * events are appended in one batch once the read ended (`audit.append`, grouped with
 * other requests' reads), and the answer waits until they are in the log.
 */
export async function listReviewDays(
  deps: TimesheetDeps,
  actor: Actor,
  q: { state?: 'submitted' | 'returned' | 'approved'; person?: string; from?: string; to?: string; project_id?: string },
): Promise<{ total: number; days: InboxDay[] }> {
  const { days, read } = await inWall(deps.db, actor.accountId, async (w) => {
    const rows = await listDays(w, visibleDays(actor), { states: [q.state ?? 'submitted'], ownerId: q.person, excludeOwnerId: actor.accountId, from: q.from, to: q.to, withoutRestricted: true });
    const listed = rows.filter((day) => canRead(actor, facts(day))); // the scope and the predicate agree; belt and braces
    const entries = await entriesOnDays(w, listed.map((d) => ({ ownerId: d.owner_id, date: d.date })));
    const views = await presentDays(deps, w.shared(), listed.map((d) => ({ ownerId: d.owner_id, date: d.date, day: d, zone: d.time_zone })), entries);
    const days: InboxDay[] = [];
    const read: DayRow[] = [];
    for (const [i, day] of listed.entries()) {
      const view = views[i]!;
      if (q.project_id && !view.entries.some((e) => e.project_id === q.project_id)) continue;
      days.push({ ...summarise(day, view), flags: dayFlags(view, deps.config.timesheets), warnings: day.warnings ?? [] });
      read.push(day);
    }
    return { days, read };
  });
  await deps.audit.append(read.map((day) => readEvent(actor, day, 'day_summary')));
  return { total: days.length, days };
}
