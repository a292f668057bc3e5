import { ValidationError, type FieldProblem } from '../platform/errors.js';
import type { Knex } from '../platform/db.js';
import type { TimesheetDeps } from './context.js';
import type { FirstColumns } from './repository.js';
import { tsProblem } from './problems.js';
import type { EntryCreateBody } from './schema.js';
import { addDays, localDate } from './tz.js';

/**
 * What an entry holds and the rules it must keep (dates within the allowed window,
 * a bounded length, an open project and task). Shared by entries and the timer.
 */

/** The decrypted contents of an entry (everything that says what a person did). */
export interface EntryDetails {
  /** Start and end instants (ISO, UTC) for timed entries; null for a duration on a date. */
  start: string | null;
  end: string | null;
  /** The local date of a duration entry; null for timed entries. */
  date: string | null;
  minutes: number;
  project_id: string;
  task_id: string | null;
  note: string;
}

/** An entry as presented. */
export interface Entry extends EntryDetails {
  id: string;
  /** The note was erased (its key shredded on request); `note` is then empty. */
  note_erased?: true;
}

/** No entry lasts longer than this, confirmed or not (a longer stretch is split over entries). */
export const ENTRY_CEILING_HOURS = 24;

/** The limits above which an entry or a day needs confirming (`timesheets.max_entry_hours`, `max_day_hours`). */
export interface LongLimits {
  max_entry_hours: number;
  max_day_hours: number;
}

const hours = (minutes: number) => `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * What only a confirmation lets through (`confirm_long`, 422 naming it otherwise): an
 * entry longer than max_entry_hours, or a day whose total with the entry goes over
 * max_day_hours. Long days happen (a night shift, a trade fair); a typo that makes one
 * should not pass unseen.
 */
export function longProblems(limits: LongLimits, d: EntryDetails, days: ReadonlyArray<{ date: string; minutes: number }>, field = 'confirm_long'): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (d.minutes > limits.max_entry_hours * 60) {
    out.push(tsProblem(field, 'entry.long_entry', { hours: hours(d.minutes), max: limits.max_entry_hours }));
  }
  for (const day of days) {
    if (day.minutes > limits.max_day_hours * 60) out.push(tsProblem(field, 'entry.long_day', { date: day.date, hours: hours(day.minutes), max: limits.max_day_hours }));
  }
  return out;
}

/** The local dates an entry counts on. */
export function entryDates(d: EntryDetails, tz: string): { first: string; last: string } {
  if (d.date) return { first: d.date, last: d.date };
  const first = localDate(new Date(d.start!), tz);
  // The end is exclusive: an entry ending at midnight does not touch the next day.
  const last = localDate(new Date(new Date(d.end!).getTime() - 1), tz);
  return { first, last: last < first ? first : last };
}

/** An entry's project and task as the rules need them, read ahead (`mastersLookup`). */
export interface Masters {
  project: { id: string; archived_at: unknown; customer_archived_at: unknown } | null;
  task: { project_id: string; archived_at: unknown } | null;
}

/**
 * The project and task lookups of an entry as columns of a wall's first statement
 * (master data lies outside the wall), so checking an entry costs no statement of its own.
 */
export function mastersLookup(d: Pick<EntryDetails, 'project_id' | 'task_id'>): FirstColumns {
  return {
    sql: `, (SELECT json_build_object('id', p.id, 'archived_at', p.archived_at, 'customer_archived_at', c.archived_at)
               FROM projects p LEFT JOIN customers c ON c.id = p.customer_id WHERE p.id = ?::uuid) AS project,
            (SELECT json_build_object('project_id', t.project_id, 'archived_at', t.archived_at) FROM tasks t WHERE t.id = ?::uuid) AS task`,
    bindings: [d.project_id, d.task_id],
  };
}

/** The masters a first statement read with `mastersLookup`. */
export function mastersFrom(first: Readonly<Record<string, unknown>>): Masters {
  return { project: (first.project ?? null) as Masters['project'], task: (first.task ?? null) as Masters['task'] };
}

/** Checks an entry's fields as a whole, collecting every problem (422 naming each field). */
export async function validateEntry(deps: TimesheetDeps, d: EntryDetails, tz: string, problems: FieldProblem[], db?: Knex | Knex.Transaction, masters?: Masters): Promise<void> {
  const cfg = deps.config.timesheets;
  const today = localDate(new Date(), tz);
  const earliest = addDays(today, -cfg.max_days_back);
  const latest = addDays(today, cfg.max_days_ahead);
  const checkDate = (field: string, date: string) => {
    if (date < earliest) problems.push(tsProblem(field, 'entry.days_back', { n: cfg.max_days_back }));
    else if (date > latest) problems.push(tsProblem(field, 'entry.days_ahead', { n: cfg.max_days_ahead }));
  };
  if (d.start !== null || d.end !== null) {
    if (d.start === null) problems.push(tsProblem('start', 'entry.start_required'));
    if (d.end === null) problems.push(tsProblem('end', 'entry.end_required'));
    if (d.date !== null) problems.push(tsProblem('date', 'entry.both_forms'));
    if (d.start !== null && d.end !== null) {
      const ms = new Date(d.end).getTime() - new Date(d.start).getTime();
      if (ms <= 0) problems.push(tsProblem('end', 'entry.end_after_start'));
      else if (ms > ENTRY_CEILING_HOURS * 3600_000) problems.push(tsProblem('end', 'entry.ceiling', { max: ENTRY_CEILING_HOURS }));
      checkDate('start', localDate(new Date(d.start), tz));
    }
  } else if (d.date !== null) {
    checkDate('date', d.date);
    if (d.minutes > ENTRY_CEILING_HOURS * 60) problems.push(tsProblem('duration_minutes', 'entry.ceiling', { max: ENTRY_CEILING_HOURS }));
  } else {
    problems.push(tsProblem('start', 'entry.no_form'));
  }
  if (d.date !== null && d.minutes < 1) problems.push(tsProblem('duration_minutes', 'entry.duration_required'));
  if (d.note.length > cfg.note_max_length) problems.push(tsProblem('note', 'entry.note_too_long', { max: cfg.note_max_length }));
  if (d.note.includes('\u0000')) problems.push(tsProblem('note', 'entry.note_nul'));

  const project = masters ? (masters.project ?? undefined) : ((await (db ?? deps.db)('projects as p')
    .leftJoin('customers as c', 'c.id', 'p.customer_id')
    .where('p.id', d.project_id)
    .first('p.id', 'p.archived_at', 'c.archived_at as customer_archived_at')) as Masters['project'] | undefined);
  if (!project) problems.push(tsProblem('project_id', 'entry.no_project'));
  else if (project.archived_at || project.customer_archived_at) problems.push(tsProblem('project_id', 'entry.project_archived'));
  if (d.task_id !== null) {
    const task = masters ? (masters.task ?? undefined) : ((await (db ?? deps.db)('tasks').where({ id: d.task_id }).first('project_id', 'archived_at')) as Masters['task'] | undefined);
    if (!task || task.project_id !== d.project_id) problems.push(tsProblem('task_id', 'entry.no_task'));
    else if (task.archived_at) problems.push(tsProblem('task_id', 'entry.task_archived'));
  }
}

/** The entry a request describes (minutes worked out for timed entries). */
export function detailsFrom(input: EntryCreateBody): EntryDetails {
  const timed = input.start !== undefined || input.end !== undefined;
  const start = input.start ? new Date(input.start).toISOString() : null;
  const end = input.end ? new Date(input.end).toISOString() : null;
  return {
    start,
    end,
    date: input.date ?? null,
    minutes: timed ? (start && end ? Math.round((Date.parse(end) - Date.parse(start)) / 60000) : 0) : (input.duration_minutes ?? 0),
    project_id: input.project_id,
    task_id: input.task_id ?? null,
    note: input.note ?? '',
  };
}

/** Checks one entry and answers 422 naming every problem it has. */
export async function checkEntry(deps: TimesheetDeps, d: EntryDetails, tz: string, db?: Knex | Knex.Transaction, masters?: Masters): Promise<void> {
  const problems: FieldProblem[] = [];
  await validateEntry(deps, d, tz, problems, db, masters);
  if (problems.length) throw new ValidationError(problems);
}
