import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditEventInput } from '../audit/service.js';
import type { Actor } from '../identity/policy.js';
import { ValidationError, type FieldProblem } from '../platform/errors.js';
import type { TimesheetDeps } from './context.js';
import { entryEvent, fieldsSet, openDaysForEdit, writeEntry } from './entries.js';
import { tsProblem } from './problems.js';
import { longProblems, validateEntry, type Entry, type EntryDetails, type LongLimits } from './entry-rules.js';
import { minutesOnDay } from './presenter.js';
import { ownDaysWithEntries } from './read-queries.js';
import { deleteEntry, entriesTouching, inWall, updateEntry, type Wall } from './repository.js';
import { openEntries, sealEntry } from './sealing.js';
import { cellOf, keyOf, type RowKey } from './week-grid.js';
import { getMyDay } from './days.js';
import { parseDuration } from './time-input.js';

/**
 * Writing the week grid: setting a cell (a row's time on a day) and copying a day's
 * rows into an empty day. Each call is one wall transaction: all cells or none.
 */

/** A cell as typed: the row, the day, the minutes it should hold (0 clears it). */
export interface CellInput extends RowKey {
  date: string;
  minutes: number;
}

const durationOf = (row: RowKey, date: string, minutes: number, note = ''): EntryDetails => ({ start: null, end: null, date, minutes, project_id: row.project_id, task_id: row.task_id, note });

/** The decrypted entries of the owner touching [from, to] (inside the wall). */
async function ownEntries(deps: TimesheetDeps, w: Wall, ownerId: string, from: string, to: string): Promise<Entry[]> {
  const rows = await entriesTouching(w, ownerId, from, to);
  return (await openEntries(deps, w.shared(), rows)).entries;
}

/**
 * The confirmations the cells need: a cell longer than an entry may be without asking,
 * or a day whose total grows past its limit (a day that only shrinks asks nothing).
 */
function longCells(limits: LongLimits, cells: readonly CellInput[], entries: readonly Entry[], tz: string): FieldProblem[] {
  const before = (date: string) => entries.reduce((n, e) => n + minutesOnDay(e, date, tz), 0);
  const after = new Map<string, number>();
  for (const c of cells) {
    const old = entries.filter((e) => keyOf(e) === keyOf(c)).reduce((n, e) => n + minutesOnDay(e, c.date, tz), 0);
    after.set(c.date, (after.get(c.date) ?? before(c.date)) - old + c.minutes);
  }
  const asked = new Set<string>();
  return cells.flatMap((c, i) => {
    if (c.minutes <= 0) return [];
    const total = after.get(c.date)!;
    const day = total > before(c.date) && !asked.has(c.date) ? [{ date: c.date, minutes: total }] : [];
    const out = longProblems(limits, durationOf(c, c.date, c.minutes), day, `cells.${i}.confirm_long`);
    if (out.length) asked.add(c.date);
    return out;
  });
}

/**
 * Sets cells of the actor's own grid. A cell of duration entries only is replaced: one
 * entry keeps the new minutes (and the notes of all of them), the others go; 0 removes
 * them all. A cell holding a start–end entry is refused (422 naming the cell: change it
 * on the day page). Locked days answer 409. Problems are named `cells.<i>.minutes`;
 * a cell over `max_entry_hours`, or a day it takes over `max_day_hours`, needs
 * `confirmLong` (`cells.<i>.confirm_long` otherwise), as on the day page.
 */
export async function setCells(deps: TimesheetDeps, actor: Actor, cells: CellInput[], opts: { confirmLong?: boolean } = {}): Promise<void> {
  if (!cells.length) return;
  const cfg = deps.config.timesheets;
  return inWall(deps.db, actor.accountId, async (w) => {
    const tz = w.actorTimeZone ?? cfg.time_zone;
    const problems: FieldProblem[] = [];
    for (const [i, c] of cells.entries()) {
      if (c.minutes <= 0) continue;
      const own: FieldProblem[] = [];
      await validateEntry(deps, durationOf(c, c.date, c.minutes), tz, own, w.shared());
      problems.push(...own.map((p) => ({ ...p, field: `cells.${i}.${p.field === 'duration_minutes' ? 'minutes' : p.field}` })));
    }
    const dates = [...new Set(cells.map((c) => c.date))].sort();
    const entries = await ownEntries(deps, w, actor.accountId, dates[0]!, dates[dates.length - 1]!);
    const inCell = (c: CellInput) => entries.filter((e) => keyOf(e) === keyOf(c) && minutesOnDay(e, c.date, tz) > 0);
    for (const [i, c] of cells.entries()) {
      if (inCell(c).some((e) => e.start !== null)) problems.push(tsProblem(`cells.${i}.minutes`, 'cell.timed'));
    }
    if (!opts.confirmLong) problems.push(...longCells(cfg, cells, entries, tz));
    if (problems.length) throw new ValidationError(problems);
    const days = await openDaysForEdit(deps, w, actor, dates, tz);
    const events: AuditEventInput[] = [];
    for (const c of cells) {
      const [first, ...rest] = inCell(c);
      if (c.minutes === (first?.minutes ?? 0) + rest.reduce((s, e) => s + e.minutes, 0) && rest.length === 0) continue;
      if (c.minutes > 0 && !first) {
        const e = await writeEntry(deps, w, actor, durationOf(c, c.date, c.minutes), tz);
        events.push(entryEvent(actor, AUDIT_ACTIONS.timesheetEntryCreated, e.id, fieldsSet(e)));
        continue;
      }
      const gone = c.minutes > 0 ? rest : [first!, ...rest];
      for (const e of gone) {
        await deleteEntry(w, e.id, actor.accountId);
        events.push(entryEvent(actor, AUDIT_ACTIONS.timesheetEntryDeleted, e.id, []));
      }
      if (c.minutes > 0 && first) {
        const note = [first, ...rest].map((e) => e.note).filter(Boolean).join('; ').slice(0, cfg.note_max_length);
        const d = durationOf(c, c.date, c.minutes, note);
        const purpose = days.find((day) => day.date === c.date)?.submitted_at ? 'record' : 'draft';
        const sealed = await sealEntry(deps, w.shared(), actor.accountId, first.id, d, c.date, purpose);
        await updateEntry(w, first.id, actor.accountId, { first_date: c.date, last_date: c.date, ...sealed });
        events.push(entryEvent(actor, AUDIT_ACTIONS.timesheetEntryChanged, first.id, first.minutes !== c.minutes ? ['minutes', ...(note !== first.note ? ['note'] : [])] : ['note']));
      }
    }
    if (events.length) await deps.audit.recordMany(await w.own(), events);
  });
}

/**
 * Copies the rows and durations of source days into target days (`pairs`: from → to),
 * never overwriting: a target is filled only while it is a draft without any entry.
 * Start–end entries arrive as durations, notes stay behind, rows whose project or task
 * is archived or whose date lies outside the allowed window are left out. Returns how
 * many entries were written and which target days were filled.
 */
export async function copyDays(deps: TimesheetDeps, actor: Actor, pairs: Array<{ from: string; to: string }>): Promise<{ entries: number; days: string[] }> {
  if (!pairs.length) return { entries: 0, days: [] };
  const all = pairs.flatMap((p) => [p.from, p.to]).sort();
  return inWall(deps.db, actor.accountId, async (w) => {
    const tz = w.actorTimeZone ?? deps.config.timesheets.time_zone;
    const { days, entries: rows } = await ownDaysWithEntries(w, actor.accountId, all[0]!, all[all.length - 1]!);
    const entries = (await openEntries(deps, w.shared(), rows)).entries;
    const on = (date: string) => entries.filter((e) => minutesOnDay(e, date, tz) > 0);
    const written: Entry[] = [];
    const filled: string[] = [];
    for (const p of pairs) {
      const target = days.find((d) => d.date === p.to);
      if ((target && target.state !== 'draft') || on(p.to).length) continue;
      const sums = new Map<string, { row: RowKey; minutes: number }>();
      for (const e of on(p.from)) {
        const s = sums.get(keyOf(e)) ?? { row: { project_id: e.project_id, task_id: e.task_id ?? null }, minutes: 0 };
        s.minutes += minutesOnDay(e, p.from, tz);
        sums.set(keyOf(e), s);
      }
      let any = false;
      for (const { row, minutes } of sums.values()) {
        const d = durationOf(row, p.to, minutes);
        const problems: FieldProblem[] = [];
        await validateEntry(deps, d, tz, problems, w.shared());
        if (problems.length) continue;
        written.push(await writeEntry(deps, w, actor, d, tz));
        any = true;
      }
      if (any) filled.push(p.to);
    }
    if (written.length) await deps.audit.recordMany(await w.own(), written.map((e) => entryEvent(actor, AUDIT_ACTIONS.timesheetEntryCreated, e.id, fieldsSet(e))));
    return { entries: written.length, days: filled };
  });
}

/**
 * Sets one cell from the API (`hours` as typed, or `minutes`) and answers with the
 * cell and its day's new total. Problems name `hours`/`minutes`, as the request did.
 */
export async function setOneCell(deps: TimesheetDeps, actor: Actor, body: RowKey & { date: string; minutes?: number; hours?: string; confirm_long?: boolean }): Promise<CellInput & { day_total_minutes: number }> {
  const field = body.hours !== undefined ? 'hours' : 'minutes';
  const parsed = body.minutes !== undefined || body.hours!.trim() === '' ? { ok: true as const, minutes: body.minutes ?? 0 } : parseDuration(body.hours!);
  if (!parsed.ok) throw new ValidationError([{ ...parsed, field: 'hours' }]);
  const minutes = parsed.minutes;
  const cell = { project_id: body.project_id, task_id: body.task_id, date: body.date, minutes };
  try {
    await setCells(deps, actor, [cell], { confirmLong: body.confirm_long === true });
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(err.fields.map((f) => ({ ...f, field: f.field.replace(/^cells\.0\.minutes$/, field).replace(/^cells\.0\./, '') })));
    throw err;
  }
  const day = await getMyDay(deps, actor, body.date);
  return { ...cell, minutes: cellOf(day, cell).minutes, day_total_minutes: day.total_minutes };
}
