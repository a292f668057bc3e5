import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/service.js';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../platform/errors.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { canEditEntries, canRead, canReopen, canReview, canSubmit, isForeignRead, visibleDays, type DayFacts, type DayState } from './policy.js';
import {
  dayByDate, dayById, deleteEntry, deleteTimer, entriesTouching, entryById, inWall, insertEntry, insertTimer, listDays, lockDaysForOwner,
  timerOf, transitionDay, updateEntry, type DayRow, type EntryRow, type Wall,
} from './repository.js';
import type { EntryCreateBody, EntryUpdateBody, TimerStartBody } from './schema.js';
import { addDays, daySpan, datesBetween, isTimeZone, localDate } from './tz.js';

/** What the timesheet operations need, passed explicitly. */
export interface TimesheetDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
}

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
}

/** The decrypted contents of a running timer. */
interface TimerDetails {
  started_at: string;
  project_id: string;
  task_id: string | null;
  note: string;
}

/** Audit names of the day's life. */
export const TIMESHEET_AUDIT = {
  submitted: 'timesheet.day.submitted',
  returned: 'timesheet.day.returned',
  approved: 'timesheet.day.approved',
  reopened: 'timesheet.day.reopened',
} as const;

const entryRef = (id: string) => ({ table: 'time_entries', column: 'details', rowId: id });
const timerRef = (ownerId: string) => ({ table: 'running_timers', column: 'details', rowId: ownerId });
const commentRef = (dayId: string) => ({ table: 'timesheet_days', column: 'comment', rowId: dayId });

const facts = (d: DayRow): DayFacts => ({ ownerId: d.owner_id, state: d.state, scopeTeams: d.scope_teams });

/** The time zone a person's days follow: their own setting, else the organisation's. */
export async function timeZoneOf(deps: TimesheetDeps, accountId: string): Promise<string> {
  const row = (await deps.db('timesheet_settings').where({ account_id: accountId }).first('time_zone')) as { time_zone: string | null } | undefined;
  return row?.time_zone ?? deps.config.timesheets.time_zone;
}

/** Reads a person's timesheet settings. */
export async function getSettings(deps: TimesheetDeps, accountId: string): Promise<{ time_zone: string | null; effective_time_zone: string }> {
  const row = (await deps.db('timesheet_settings').where({ account_id: accountId }).first('time_zone')) as { time_zone: string | null } | undefined;
  return { time_zone: row?.time_zone ?? null, effective_time_zone: row?.time_zone ?? deps.config.timesheets.time_zone };
}

/** Sets (or clears, with null) a person's own time zone; 422 for a name the runtime does not know. */
export async function setSettings(deps: TimesheetDeps, accountId: string, input: { time_zone: string | null }): Promise<{ time_zone: string | null; effective_time_zone: string }> {
  if (input.time_zone !== null && !isTimeZone(input.time_zone)) throw new ValidationError([{ field: 'time_zone', message: 'unknown time zone; use an IANA name such as Europe/Amsterdam' }]);
  await deps.db('timesheet_settings')
    .insert({ account_id: accountId, time_zone: input.time_zone })
    .onConflict('account_id')
    .merge({ time_zone: input.time_zone, updated_at: deps.db.fn.now() });
  return getSettings(deps, accountId);
}

// ---------------------------------------------------------------------------------
// Entries

/** The local dates an entry counts on. */
function entryDates(d: EntryDetails, tz: string): { first: string; last: string } {
  if (d.date) return { first: d.date, last: d.date };
  const first = localDate(new Date(d.start!), tz);
  // The end is exclusive: an entry ending at midnight does not touch the next day.
  const last = localDate(new Date(new Date(d.end!).getTime() - 1), tz);
  return { first, last: last < first ? first : last };
}

/** Checks an entry's fields as a whole, collecting every problem (422 naming each field). */
async function validateEntry(deps: TimesheetDeps, d: EntryDetails, tz: string, problems: FieldProblem[]): Promise<void> {
  const cfg = deps.config.timesheets;
  const today = localDate(new Date(), tz);
  const earliest = addDays(today, -cfg.max_days_back);
  const latest = addDays(today, cfg.max_days_ahead);
  const checkDate = (field: string, date: string) => {
    if (date < earliest) problems.push({ field, message: `must not lie more than ${cfg.max_days_back} days in the past` });
    else if (date > latest) problems.push({ field, message: `must not lie more than ${cfg.max_days_ahead} days in the future` });
  };
  if (d.start !== null || d.end !== null) {
    if (d.start === null) problems.push({ field: 'start', message: 'is required with end' });
    if (d.end === null) problems.push({ field: 'end', message: 'is required with start' });
    if (d.date !== null) problems.push({ field: 'date', message: 'give start and end, or date and duration_minutes, not both' });
    if (d.start !== null && d.end !== null) {
      const ms = new Date(d.end).getTime() - new Date(d.start).getTime();
      if (ms <= 0) problems.push({ field: 'end', message: 'must be after start' });
      else if (ms > cfg.max_entry_hours * 3600_000) problems.push({ field: 'end', message: `an entry may last at most ${cfg.max_entry_hours} hours` });
      checkDate('start', localDate(new Date(d.start), tz));
    }
  } else if (d.date !== null) {
    checkDate('date', d.date);
    if (d.minutes > cfg.max_entry_hours * 60) problems.push({ field: 'duration_minutes', message: `an entry may last at most ${cfg.max_entry_hours} hours` });
  } else {
    problems.push({ field: 'start', message: 'give start and end, or date and duration_minutes' });
  }
  if (d.date !== null && d.minutes < 1) problems.push({ field: 'duration_minutes', message: 'is required with date' });
  if (d.note.length > cfg.note_max_length) problems.push({ field: 'note', message: `must be at most ${cfg.note_max_length} characters` });
  if (d.note.includes('\u0000')) problems.push({ field: 'note', message: 'must not contain NUL' });

  const project = (await deps.db('projects as p')
    .leftJoin('customers as c', 'c.id', 'p.customer_id')
    .where('p.id', d.project_id)
    .first('p.id', 'p.archived_at', 'c.archived_at as customer_archived_at')) as { id: string; archived_at: Date | null; customer_archived_at: Date | null } | undefined;
  if (!project) problems.push({ field: 'project_id', message: 'no such project' });
  else if (project.archived_at || project.customer_archived_at) problems.push({ field: 'project_id', message: 'the project is archived' });
  if (d.task_id !== null) {
    const task = (await deps.db('tasks').where({ id: d.task_id }).first('project_id', 'archived_at')) as { project_id: string; archived_at: Date | null } | undefined;
    if (!task || task.project_id !== d.project_id) problems.push({ field: 'task_id', message: 'no such task in this project' });
    else if (task.archived_at) problems.push({ field: 'task_id', message: 'the task is archived' });
  }
}

function detailsFrom(input: EntryCreateBody): EntryDetails {
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

async function decryptEntry(deps: TimesheetDeps, db: Knex | Knex.Transaction, row: EntryRow): Promise<Entry> {
  const d = JSON.parse(await deps.keys.decrypt(db, row.owner_id, entryRef(row.id), row.details)) as EntryDetails;
  return { id: row.id, ...d };
}

async function encryptEntry(deps: TimesheetDeps, trx: Knex.Transaction, ownerId: string, id: string, d: EntryDetails, firstDate: string): Promise<string> {
  return deps.keys.encrypt(trx, ownerId, entryRef(id), JSON.stringify(d), { year: Number(firstDate.slice(0, 4)) });
}

/**
 * Locks the owner's days an entry touches and checks they are open for editing; a
 * returned day goes back to draft (the owner is correcting it). 409 naming the date
 * otherwise. The lock makes edit and submit of the same day strictly ordered.
 */
async function openDaysForEdit(w: Wall, actor: Actor, dates: string[], tz: string): Promise<void> {
  const days = await lockDaysForOwner(w, actor.accountId, dates, tz);
  for (const day of days) {
    if (!canEditEntries(actor, facts(day))) throw new ConflictError(`The day ${day.date} is ${day.state}; its entries cannot change`, 'day_locked');
  }
  for (const day of days.filter((d) => d.state === 'returned')) await transitionDay(w, day.id, ['returned'], { state: 'draft' });
}

/** Writes a new entry inside an open wall transaction (shared by create and timer stop). */
async function writeEntry(deps: TimesheetDeps, w: Wall, actor: Actor, d: EntryDetails, tz: string): Promise<Entry> {
  const id = randomUUID(); // before encrypting: the id is bound into the ciphertext
  const { first, last } = entryDates(d, tz);
  await openDaysForEdit(w, actor, datesBetween(first, last), tz);
  const details = await encryptEntry(deps, w.trx, actor.accountId, id, d, first);
  await insertEntry(w, { id, owner_id: actor.accountId, first_date: first, last_date: last, details });
  return { id, ...d };
}

/** Creates one of the actor's own entries (422 naming fields; nothing written on any problem). */
export async function createEntry(deps: TimesheetDeps, actor: Actor, input: EntryCreateBody): Promise<Entry> {
  const tz = await timeZoneOf(deps, actor.accountId);
  const d = detailsFrom(input);
  const problems: FieldProblem[] = [];
  await validateEntry(deps, d, tz, problems);
  if (problems.length) throw new ValidationError(problems);
  return inWall(deps.db, actor.accountId, (w) => writeEntry(deps, w, actor, d, tz));
}

/**
 * Creates several of the actor's own entries at once (the week grid, capture agents):
 * all or none. Problems are named `entries.<index>.<field>`.
 */
export async function createEntries(deps: TimesheetDeps, actor: Actor, inputs: EntryCreateBody[]): Promise<Entry[]> {
  const tz = await timeZoneOf(deps, actor.accountId);
  const all = inputs.map(detailsFrom);
  const problems: FieldProblem[] = [];
  for (const [i, d] of all.entries()) {
    const own: FieldProblem[] = [];
    await validateEntry(deps, d, tz, own);
    problems.push(...own.map((p) => ({ field: `entries.${i}.${p.field}`, message: p.message })));
  }
  if (problems.length) throw new ValidationError(problems);
  return inWall(deps.db, actor.accountId, async (w) => {
    const out: Entry[] = [];
    for (const d of all) out.push(await writeEntry(deps, w, actor, d, tz));
    return out;
  });
}

/** Reads one of the actor's own entries (others' entries are read through their day). */
export async function getEntry(deps: TimesheetDeps, actor: Actor, id: string): Promise<Entry> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const row = await entryById(w, id, actor.accountId);
    if (!row) throw new NotFoundError();
    return decryptEntry(deps, w.trx, row);
  });
}

/** Changes one of the actor's own entries while all days it touches (before and after) are open. */
export async function changeEntry(deps: TimesheetDeps, actor: Actor, id: string, input: EntryUpdateBody): Promise<Entry> {
  const tz = await timeZoneOf(deps, actor.accountId);
  return inWall(deps.db, actor.accountId, async (w) => {
    const row = await entryById(w, id, actor.accountId);
    if (!row) throw new NotFoundError();
    const old = await decryptEntry(deps, w.trx, row);
    const timed = input.start !== undefined || input.end !== undefined;
    const dated = input.date !== undefined || input.duration_minutes !== undefined;
    const merged: EntryCreateBody = {
      project_id: input.project_id ?? old.project_id,
      task_id: input.task_id !== undefined ? input.task_id : input.project_id !== undefined && input.project_id !== old.project_id ? null : old.task_id,
      note: input.note ?? old.note,
    };
    if (timed || (!dated && old.start !== null)) {
      merged.start = input.start ?? old.start ?? undefined;
      merged.end = input.end ?? old.end ?? undefined;
    }
    if (dated || (!timed && old.date !== null)) {
      merged.date = input.date ?? old.date ?? undefined;
      merged.duration_minutes = input.duration_minutes ?? (old.date !== null ? old.minutes : undefined);
    }
    const d = detailsFrom(merged);
    const problems: FieldProblem[] = [];
    await validateEntry(deps, d, tz, problems);
    if (problems.length) throw new ValidationError(problems);
    const before = { first: row.first_date, last: row.last_date };
    const after = entryDates(d, tz);
    const dates = [...new Set([...datesBetween(before.first, before.last), ...datesBetween(after.first, after.last)])].sort();
    await openDaysForEdit(w, actor, dates, tz);
    const details = await encryptEntry(deps, w.trx, actor.accountId, id, d, after.first);
    await updateEntry(w, id, actor.accountId, { first_date: after.first, last_date: after.last, details });
    return { id, ...d };
  });
}

/** Deletes one of the actor's own entries while its days are open. */
export async function removeEntry(deps: TimesheetDeps, actor: Actor, id: string): Promise<void> {
  const tz = await timeZoneOf(deps, actor.accountId);
  await inWall(deps.db, actor.accountId, async (w) => {
    const row = await entryById(w, id, actor.accountId);
    if (!row) throw new NotFoundError();
    await openDaysForEdit(w, actor, datesBetween(row.first_date, row.last_date), tz);
    await deleteEntry(w, id, actor.accountId);
  });
}

// ---------------------------------------------------------------------------------
// Days

/** A day with its entries and totals, as presented. */
export interface DayView {
  id: string | null;
  owner_id: string;
  owner_name: string | null;
  date: string;
  state: DayState;
  time_zone: string;
  day_minutes: number;
  total_minutes: number;
  comment: string | null;
  submitted_at: string | null;
  approved_at: string | null;
  approved_by: string | null;
  entries: Array<Entry & { minutes_on_day: number; overlaps: boolean }>;
  totals: Array<{ project_id: string; project_name: string; task_id: string | null; task_name: string | null; minutes: number }>;
}

/** The part of an entry (in minutes) that falls on a local date. */
export function minutesOnDay(e: EntryDetails, date: string, tz: string): number {
  if (e.date !== null) return e.date === date ? e.minutes : 0;
  const span = daySpan(date, tz);
  const from = Math.max(Date.parse(e.start!), span.start.getTime());
  const to = Math.min(Date.parse(e.end!), span.end.getTime());
  return to > from ? Math.round((to - from) / 60000) : 0;
}

async function names(db: Knex | Knex.Transaction, table: 'projects' | 'tasks' | 'accounts', ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const col = table === 'accounts' ? db.raw('coalesce(display_name, username) as name') : 'name';
  const rows = (await db(table).whereIn('id', [...new Set(ids)]).select('id', col)) as Array<{ id: string; name: string }>;
  return new Map(rows.map((r) => [r.id, r.name]));
}

async function buildDayView(deps: TimesheetDeps, w: Wall, ownerId: string, date: string, day: DayRow | undefined, tz: string): Promise<DayView> {
  const zone = day?.time_zone ?? tz;
  const rows = await entriesTouching(w, ownerId, date, date);
  const all = await Promise.all(rows.map((r) => decryptEntry(deps, w.trx, r)));
  const entries = all
    .map((e) => ({ ...e, minutes_on_day: minutesOnDay(e, date, zone), overlaps: false }))
    .filter((e) => e.minutes_on_day > 0);
  for (const a of entries) {
    if (a.start === null) continue;
    a.overlaps = entries.some((b) => b !== a && b.start !== null && Date.parse(a.start!) < Date.parse(b.end!) && Date.parse(b.start) < Date.parse(a.end!));
  }
  entries.sort((a, b) => (a.start ?? a.date ?? '').localeCompare(b.start ?? b.date ?? ''));
  const projectNames = await names(w.trx, 'projects', entries.map((e) => e.project_id));
  const taskNames = await names(w.trx, 'tasks', entries.flatMap((e) => (e.task_id ? [e.task_id] : [])));
  const totals = new Map<string, DayView['totals'][number]>();
  for (const e of entries) {
    const key = `${e.project_id}/${e.task_id ?? ''}`;
    const t = totals.get(key) ?? { project_id: e.project_id, project_name: projectNames.get(e.project_id) ?? '', task_id: e.task_id, task_name: e.task_id ? (taskNames.get(e.task_id) ?? null) : null, minutes: 0 };
    t.minutes += e.minutes_on_day;
    totals.set(key, t);
  }
  const ownerName = (await names(w.trx, 'accounts', [ownerId])).get(ownerId) ?? null;
  const comment = day?.comment ? await deps.keys.decrypt(w.trx, ownerId, commentRef(day.id), day.comment) : null;
  return {
    id: day?.id ?? null,
    owner_id: ownerId,
    owner_name: ownerName,
    date,
    state: day?.state ?? 'draft',
    time_zone: zone,
    day_minutes: daySpan(date, zone).minutes,
    total_minutes: entries.reduce((s, e) => s + e.minutes_on_day, 0),
    comment,
    submitted_at: day?.submitted_at?.toISOString() ?? null,
    approved_at: day?.approved_at?.toISOString() ?? null,
    approved_by: day?.approved_by ?? null,
    entries,
    totals: [...totals.values()],
  };
}

/** Records that someone other than the owner read the owner's time data. */
async function recordRead(deps: TimesheetDeps, w: Wall, actor: Actor, day: DayRow, what: string): Promise<void> {
  await deps.audit.record(w.trx, {
    action: AUDIT_ACTIONS.personalDataRead,
    actorId: actor.accountId,
    subjectId: day.owner_id,
    object: { type: 'timesheet_day', id: day.id },
    payload: { what, date: day.date },
  });
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
    if (!day || !canRead(actor, facts(day))) throw new NotFoundError();
    const view = await buildDayView(deps, w, day.owner_id, day.date, day, day.time_zone);
    if (isForeignRead(actor, facts(day))) await recordRead(deps, w, actor, day, 'day');
    return view;
  });
}

/** A day in a list. */
export interface DaySummary {
  id: string;
  owner_id: string;
  owner_name: string | null;
  date: string;
  state: DayState;
  total_minutes: number;
  submitted_at: string | null;
}

/**
 * Other people's days the actor may see (the admin inbox; submitted by default),
 * filtered by person, dates and project. Each listed day is an audited read.
 */
export async function listReviewDays(
  deps: TimesheetDeps,
  actor: Actor,
  q: { state?: 'submitted' | 'returned' | 'approved'; person?: string; from?: string; to?: string; project_id?: string },
): Promise<{ total: number; days: DaySummary[] }> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const rows = await listDays(w, visibleDays(actor), { states: [q.state ?? 'submitted'], ownerId: q.person, excludeOwnerId: actor.accountId, from: q.from, to: q.to });
    const days: DaySummary[] = [];
    for (const day of rows) {
      if (!canRead(actor, facts(day))) continue; // the scope and the predicate agree; belt and braces
      const view = await buildDayView(deps, w, day.owner_id, day.date, day, day.time_zone);
      if (q.project_id && !view.entries.some((e) => e.project_id === q.project_id)) continue;
      days.push({ id: day.id, owner_id: day.owner_id, owner_name: view.owner_name, date: day.date, state: day.state, total_minutes: view.total_minutes, submitted_at: view.submitted_at });
    }
    for (const d of days) await recordRead(deps, w, actor, rows.find((r) => r.id === d.id)!, 'day_summary');
    return { total: days.length, days };
  });
}

async function activeMail(db: Knex | Knex.Transaction, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = (await db('accounts').whereIn('id', ids).where({ status: 'active' }).whereNotNull('email').select('email')) as Array<{ email: string }>;
  return [...new Set(rows.map((r) => r.email))];
}

function dayLink(deps: TimesheetDeps, path: string): string {
  const base = deps.config.server.public_url?.replace(/\/$/, '');
  return base ? `${base}${path}` : path;
}

/**
 * Submits the actor's day: freezes it, records the scope (teams holding the owner
 * now, and their admins), and mails those admins through the outbox in the same
 * transaction. A second submit of the same day gets 409 and sends nothing.
 */
export async function submitDay(deps: TimesheetDeps, actor: Actor, date: string): Promise<DayView> {
  const tz = await timeZoneOf(deps, actor.accountId);
  return inWall(deps.db, actor.accountId, async (w) => {
    const [day] = await lockDaysForOwner(w, actor.accountId, [date], tz);
    if (!day || !canSubmit(actor, facts(day))) throw new ConflictError(`The day ${date} is ${day?.state ?? 'unknown'} and cannot be submitted`, 'day_not_open');
    const teams = ((await w.trx('team_scope_members').where({ account_id: actor.accountId }).distinct('team')) as Array<{ team: string }>).map((r) => r.team).sort();
    const admins = teams.length
      ? ((await w.trx('role_assignments').where({ role: 'team_admin' }).whereIn('team', teams).whereNot('account_id', actor.accountId).distinct('account_id')) as Array<{ account_id: string }>).map((r) => r.account_id).sort()
      : [];
    const next = await transitionDay(w, day.id, ['draft', 'returned'], {
      state: 'submitted', scope_teams: teams, scope_admin_ids: admins, submitted_at: w.trx.fn.now(), comment: null, returned_at: null, returned_by: null,
    });
    if (!next) throw new ConflictError(`The day ${date} changed meanwhile`, 'day_not_open');
    const to = await activeMail(w.trx, admins);
    const who = (await names(w.trx, 'accounts', [actor.accountId])).get(actor.accountId) ?? 'An employee';
    if (to.length) {
      await enqueueMail(w.trx, {
        to,
        subject: `Uurwerk: ${who} submitted ${date}`,
        text: `${who} submitted the day ${date} for review.\n\nOpen your inbox to approve it or return it with a comment:\n${dayLink(deps, '/timesheets/inbox')}\n`,
      });
    }
    await deps.audit.record(w.trx, { action: TIMESHEET_AUDIT.submitted, actorId: actor.accountId, subjectId: actor.accountId, object: { type: 'timesheet_day', id: day.id }, payload: { date, teams, admins: admins.length } });
    return buildDayView(deps, w, actor.accountId, date, next, tz);
  });
}

/** Loads a day for an admin action: 404 unless visible, locked FOR UPDATE. */
async function dayForReview(w: Wall, actor: Actor, id: string): Promise<DayRow> {
  const day = await dayById(w, id, visibleDays(actor), true);
  if (!day || !canRead(actor, facts(day))) throw new NotFoundError();
  return day;
}

/** Approves submitted days in the actor's scope, all or none; 404 for a day the actor may not see, 409 for one not submitted. */
export async function approveDays(deps: TimesheetDeps, actor: Actor, ids: string[]): Promise<DaySummary[]> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const out: DaySummary[] = [];
    for (const id of [...new Set(ids)].sort()) {
      const day = await dayForReview(w, actor, id);
      if (!canReview(actor, facts(day))) throw new ConflictError(`The day ${day.date} is ${day.state}, not submitted`, 'day_not_submitted');
      const next = await transitionDay(w, id, ['submitted'], { state: 'approved', approved_at: w.trx.fn.now(), approved_by: actor.accountId });
      if (!next) throw new ConflictError('The day changed meanwhile', 'day_not_submitted');
      await deps.audit.record(w.trx, { action: TIMESHEET_AUDIT.approved, actorId: actor.accountId, subjectId: day.owner_id, object: { type: 'timesheet_day', id }, payload: { date: day.date } });
      const view = await buildDayView(deps, w, next.owner_id, next.date, next, next.time_zone);
      out.push({ id, owner_id: next.owner_id, owner_name: view.owner_name, date: next.date, state: next.state, total_minutes: view.total_minutes, submitted_at: view.submitted_at });
    }
    return out;
  });
}

async function sendBack(deps: TimesheetDeps, actor: Actor, id: string, text: string, kind: 'return' | 'reopen'): Promise<DaySummary> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const day = await dayForReview(w, actor, id);
    const allowed = kind === 'return' ? canReview(actor, facts(day)) : canReopen(actor, facts(day));
    if (!allowed) throw new ConflictError(`The day ${day.date} is ${day.state}`, kind === 'return' ? 'day_not_submitted' : 'day_not_approved');
    const comment = await deps.keys.encrypt(w.trx, day.owner_id, commentRef(day.id), text, { year: Number(day.date.slice(0, 4)) });
    const next = await transitionDay(w, id, [kind === 'return' ? 'submitted' : 'approved'], {
      state: 'returned', comment, returned_at: w.trx.fn.now(), returned_by: actor.accountId, approved_at: null, approved_by: null,
    });
    if (!next) throw new ConflictError('The day changed meanwhile', 'day_changed');
    const to = await activeMail(w.trx, [day.owner_id]);
    const admin = (await names(w.trx, 'accounts', [actor.accountId])).get(actor.accountId) ?? 'Your admin';
    if (to.length) {
      await enqueueMail(w.trx, {
        to,
        subject: kind === 'return' ? `Uurwerk: your day ${day.date} was returned` : `Uurwerk: your approved day ${day.date} was reopened`,
        text: `${admin} ${kind === 'return' ? 'returned' : 'reopened'} your day ${day.date} with this comment:\n\n${text}\n\nCorrect it and submit it again:\n${dayLink(deps, `/timesheets/day/${day.date}`)}\n`,
      });
    }
    await deps.audit.record(w.trx, {
      action: kind === 'return' ? TIMESHEET_AUDIT.returned : TIMESHEET_AUDIT.reopened,
      actorId: actor.accountId,
      subjectId: day.owner_id,
      object: { type: 'timesheet_day', id },
      payload: { date: day.date, from: day.state },
      personal: { [kind === 'return' ? 'comment' : 'reason']: text },
    });
    const view = await buildDayView(deps, w, next.owner_id, next.date, next, next.time_zone);
    return { id, owner_id: next.owner_id, owner_name: view.owner_name, date: next.date, state: next.state, total_minutes: view.total_minutes, submitted_at: view.submitted_at };
  });
}

/** Returns a submitted day to its owner with a comment (mailed to the owner). */
export function returnDay(deps: TimesheetDeps, actor: Actor, id: string, comment: string): Promise<DaySummary> {
  return sendBack(deps, actor, id, comment, 'return');
}

/** Reopens an approved day with a reason (audited, mailed): it goes back to the owner as returned. */
export function reopenDay(deps: TimesheetDeps, actor: Actor, id: string, reason: string): Promise<DaySummary> {
  return sendBack(deps, actor, id, reason, 'reopen');
}

// ---------------------------------------------------------------------------------
// Timer

/** The timer as presented. */
export interface TimerView {
  running: boolean;
  started_at: string | null;
  elapsed_seconds: number | null;
  project_id: string | null;
  task_id: string | null;
  note: string | null;
}

const STOPPED: TimerView = { running: false, started_at: null, elapsed_seconds: null, project_id: null, task_id: null, note: null };

async function timerView(deps: TimesheetDeps, db: Knex.Transaction, ownerId: string, details: string): Promise<TimerView> {
  const d = JSON.parse(await deps.keys.decrypt(db, ownerId, timerRef(ownerId), details)) as TimerDetails;
  return { running: true, started_at: d.started_at, elapsed_seconds: Math.max(0, Math.floor((Date.now() - Date.parse(d.started_at)) / 1000)), project_id: d.project_id, task_id: d.task_id, note: d.note };
}

/** The actor's running timer (stored in the database: it survives reloads and restarts). */
export async function getTimer(deps: TimesheetDeps, actor: Actor): Promise<TimerView> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const row = await timerOf(w, actor.accountId);
    return row ? timerView(deps, w.trx, actor.accountId, row.details) : STOPPED;
  });
}

async function checkTimerInput(deps: TimesheetDeps, actor: Actor, input: TimerStartBody, now: Date): Promise<TimerDetails> {
  const tz = await timeZoneOf(deps, actor.accountId);
  const d: EntryDetails = { start: now.toISOString(), end: new Date(now.getTime() + 60_000).toISOString(), date: null, minutes: 1, project_id: input.project_id, task_id: input.task_id ?? null, note: input.note ?? '' };
  const problems: FieldProblem[] = [];
  await validateEntry(deps, d, tz, problems);
  if (problems.length) throw new ValidationError(problems);
  return { started_at: now.toISOString(), project_id: d.project_id, task_id: d.task_id, note: d.note };
}

async function startIn(deps: TimesheetDeps, w: Wall, actor: Actor, t: TimerDetails): Promise<TimerView> {
  const details = await deps.keys.encrypt(w.trx, actor.accountId, timerRef(actor.accountId), JSON.stringify(t));
  if (!(await insertTimer(w, actor.accountId, details))) throw new ConflictError('A timer is already running; stop or switch it', 'timer_running');
  return timerView(deps, w.trx, actor.accountId, details);
}

/** Starts the timer; 409 when one is running already. */
export async function startTimer(deps: TimesheetDeps, actor: Actor, input: TimerStartBody): Promise<TimerView> {
  const t = await checkTimerInput(deps, actor, input, new Date());
  return inWall(deps.db, actor.accountId, (w) => startIn(deps, w, actor, t));
}

async function stopIn(deps: TimesheetDeps, w: Wall, actor: Actor, now: Date): Promise<Entry> {
  const row = await deleteTimer(w, actor.accountId);
  if (!row) throw new ConflictError('No timer is running', 'timer_not_running');
  const t = JSON.parse(await deps.keys.decrypt(w.trx, actor.accountId, timerRef(actor.accountId), row.details)) as TimerDetails;
  const tz = await timeZoneOf(deps, actor.accountId);
  const maxEnd = Date.parse(t.started_at) + deps.config.timesheets.max_entry_hours * 3600_000;
  // A timer forgotten overnight is cut at the longest allowed entry, not refused.
  const end = new Date(Math.max(Date.parse(t.started_at) + 1000, Math.min(now.getTime(), maxEnd)));
  const d: EntryDetails = { start: t.started_at, end: end.toISOString(), date: null, minutes: Math.round((end.getTime() - Date.parse(t.started_at)) / 60000), project_id: t.project_id, task_id: t.task_id, note: t.note };
  return writeEntry(deps, w, actor, d, tz);
}

/** Stops the timer and records its entry (409 when none runs, or when its day is frozen). */
export async function stopTimer(deps: TimesheetDeps, actor: Actor): Promise<{ entry: Entry; timer: TimerView }> {
  return inWall(deps.db, actor.accountId, async (w) => ({ entry: await stopIn(deps, w, actor, new Date()), timer: STOPPED }));
}

/** Stops the running timer and starts another at the same instant, atomically. */
export async function switchTimer(deps: TimesheetDeps, actor: Actor, input: TimerStartBody): Promise<{ entry: Entry; timer: TimerView }> {
  const now = new Date();
  const t = await checkTimerInput(deps, actor, input, now);
  return inWall(deps.db, actor.accountId, async (w) => {
    const entry = await stopIn(deps, w, actor, now);
    return { entry, timer: await startIn(deps, w, actor, t) };
  });
}

// ---------------------------------------------------------------------------------
// Who saw my data

/** Reads of the actor's data by other people, newest first (from the audit log). */
export async function dataReadsOf(deps: TimesheetDeps, actor: Actor): Promise<Array<{ at: string; reader_id: string; reader_name: string | null; what: string; object_type: string | null; object_id: string | null; date: string | null }>> {
  const rows = (await deps.db('audit.events as e')
    .leftJoin('accounts as a', 'a.id', deps.db.raw('(case when e.actor_id ~ ? then e.actor_id::uuid end)', ['^[0-9a-f-]{36}$']))
    .where('e.subject_id', actor.accountId)
    .where('e.action', AUDIT_ACTIONS.personalDataRead)
    .whereNot('e.actor_id', actor.accountId)
    .orderBy('e.seq', 'desc')
    .limit(500)
    .select('e.at', 'e.actor_id', 'e.object_type', 'e.object_id', 'e.payload', deps.db.raw('coalesce(a.display_name, a.username) as reader_name'))) as Array<{
    at: Date | string;
    actor_id: string;
    object_type: string | null;
    object_id: string | null;
    payload: { what?: string; date?: string };
    reader_name: string | null;
  }>;
  return rows.map((r) => ({
    at: new Date(r.at).toISOString(),
    reader_id: r.actor_id,
    reader_name: r.reader_name,
    what: r.payload.what ?? 'data',
    object_type: r.object_type,
    object_id: r.object_id,
    date: r.payload.date ?? null,
  }));
}
