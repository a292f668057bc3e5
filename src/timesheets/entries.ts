import { randomUUID } from 'node:crypto';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditEventInput } from '../audit/service.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { NotFoundError, ValidationError, type FieldProblem } from '../platform/errors.js';
import { facts, type TimesheetDeps } from './context.js';
import { checkEntry, detailsFrom, entryDates, longProblems, mastersFrom, mastersLookup, validateEntry, type Entry, type EntryDetails } from './entry-rules.js';
import { authorize } from './policy.js';
import { deleteEntry, entriesTouching, entryById, firstColumns, inWall, type FirstColumns, lockDaysReading, transitionDay, updateEntry, type DayRow, type EntryKeyPurpose, type EntryRow, type Wall } from './repository.js';
import { minutesOnDay } from './presenter.js';
import { entryKeysLookup, foundEntryKeys, openEntries, sealEntry } from './sealing.js';
import type { EntryCreateBody, EntryUpdateBody } from './schema.js';
import { timeZoneOf } from './settings.js';
import { datesBetween } from './tz.js';

/** Decrypts an entry row (the owner's data keys; the row id is bound into the ciphertext). */
export async function decryptEntry(deps: TimesheetDeps, db: Knex | Knex.Transaction, row: EntryRow): Promise<Entry> {
  return (await openEntries(deps, db, [row])).entries[0]!;
}

/** The key an entry's details belong under, given the days it touches: record once any of them was ever submitted. */
function purposeFor(days: ReadonlyArray<Pick<DayRow, 'submitted_at'>>): EntryKeyPurpose {
  return days.some((d) => d.submitted_at !== null) ? 'record' : 'draft';
}

const ENTRY_FIELDS: ReadonlyArray<keyof EntryDetails> = ['date', 'end', 'minutes', 'note', 'project_id', 'start', 'task_id'];

/** The names (never the values) of an entry's fields that are set: what an audit event may say. */
export function fieldsSet(d: EntryDetails): string[] {
  return ENTRY_FIELDS.filter((k) => d[k] !== null && d[k] !== '');
}

/** The names of the fields that differ between two versions of an entry. */
export function fieldsChanged(a: EntryDetails, b: EntryDetails): string[] {
  return ENTRY_FIELDS.filter((k) => a[k] !== b[k]);
}

/** The audit event of a change to one of the actor's own entries. */
export function entryEvent(actor: Actor, action: string, entryId: string, fields: string[]): AuditEventInput {
  return { action, actorId: actor.accountId, subjectId: actor.accountId, object: { type: 'time_entry', id: entryId }, payload: { fields } };
}

/** A check on the owner's other entries touching [from, to], read by the statement that locks the days (it throws to roll back). */
interface BeforeOpen {
  from: string;
  to: string;
  check(others: EntryRow[]): Promise<void>;
}

/**
 * Locks the owner's days an entry touches and checks they are open for editing; a
 * returned day goes back to draft (the owner is correcting it). 409 naming the date
 * otherwise. The lock makes edit and submit of the same day strictly ordered.
 */
export async function openDaysForEdit(deps: TimesheetDeps, w: Wall, actor: Actor, dates: string[], tz: string, entry?: Omit<EntryRow, 'created_at' | 'updated_at'>, before?: BeforeOpen): Promise<DayRow[]> {
  const { days, others } = await lockDaysReading(w, actor.accountId, dates, tz, entry, before);
  if (before) await before.check(others);
  for (const day of days) {
    authorize(actor, 'edit_entries', facts(day));
  }
  const returned = days.filter((d) => d.state === 'returned');
  if (!returned.length) return days;
  for (const day of returned) await transitionDay(w, day.id, ['returned'], { state: 'draft' });
  // Rare (only a returned day being corrected), so appending here rather than at the
  // end of the transaction costs little lock time.
  await deps.audit.recordMany(await w.own(), returned.map((day) => ({
    action: AUDIT_ACTIONS.timesheetDayRedrafted, actorId: actor.accountId, subjectId: actor.accountId,
    object: { type: 'timesheet_day', id: day.id }, payload: { date: day.date, from: 'returned', fields: ['state'] },
  })));
  return days;
}

/**
 * Writes a new entry inside an open wall transaction (shared by create and timer stop);
 * the caller audits it. The entry is encrypted first, then inserted by the statement
 * that locks its days; a day not open throws and rolls the insert back.
 */
export async function writeEntry(deps: TimesheetDeps, w: Wall, actor: Actor, d: EntryDetails, tz: string, checkLongDays = false): Promise<Entry> {
  const id = randomUUID(); // before encrypting: the id is bound into the ciphertext
  const { first, last } = entryDates(d, tz);
  // Sealed as a draft first, so the insert rides on the statement that locks the days;
  // only an entry on a day once submitted (returned, being corrected) is sealed again.
  const sealed = await sealEntry(deps, w.shared(), actor.accountId, id, d, first, 'draft', foundEntryKeys(w, actor.accountId, d));
  // The day-over-the-limit check reads the other entries in that same statement and,
  // when it refuses, throws before anything commits.
  const before = checkLongDays ? { from: first, to: last, check: (others: EntryRow[]) => checkLongWith(deps, w, others, d, tz) } : undefined;
  const days = await openDaysForEdit(deps, w, actor, datesBetween(first, last), tz, { id, owner_id: actor.accountId, first_date: first, last_date: last, ...sealed }, before);
  if (purposeFor(days) === 'record') {
    const again = await sealEntry(deps, w.shared(), actor.accountId, id, d, first, 'record');
    await updateEntry(w, id, actor.accountId, { first_date: first, last_date: last, ...again });
  }
  return { id, ...d };
}

/**
 * The totals of the days new or changed entries touch, with them in place of `replaced`
 * (the owner's other entries decrypted in one batch, inside the wall).
 */
async function totalsWith(deps: TimesheetDeps, w: Wall, ownerId: string, added: EntryDetails[], tz: string, replaced?: string): Promise<Map<string, number>> {
  const { from, to } = spanOf(added, tz);
  return totalsFrom(deps, w, (await entriesTouching(w, ownerId, from, to)).filter((r) => r.id !== replaced), added, tz);
}

/** The first and last date the entries touch. */
function spanOf(added: EntryDetails[], tz: string): { from: string; to: string } {
  const spans = added.map((d) => entryDates(d, tz));
  return { from: spans.map((x) => x.first).sort()[0]!, to: spans.map((x) => x.last).sort().at(-1)! };
}

/** The totals of the days `added` touches, given the owner's other entries there (decrypted in one batch). */
async function totalsFrom(deps: TimesheetDeps, w: Wall, rows: EntryRow[], added: EntryDetails[], tz: string): Promise<Map<string, number>> {
  const { from, to } = spanOf(added, tz);
  const all: EntryDetails[] = [...(rows.length ? (await openEntries(deps, w.shared(), rows)).entries : []), ...added];
  return new Map(datesBetween(from, to).map((date) => [date, all.reduce((n, e) => n + minutesOnDay(e, date, tz), 0)]));
}

/** Refuses (422 naming `confirm_long`) an entry or day over its limit unless confirmed. */
async function checkLong(deps: TimesheetDeps, w: Wall, ownerId: string, d: EntryDetails, tz: string, replaced?: string): Promise<void> {
  const { from, to } = spanOf([d], tz);
  await checkLongWith(deps, w, (await entriesTouching(w, ownerId, from, to)).filter((r) => r.id !== replaced), d, tz);
}

/** As `checkLong`, given the owner's other entries on the entry's days. */
async function checkLongWith(deps: TimesheetDeps, w: Wall, others: EntryRow[], d: EntryDetails, tz: string): Promise<void> {
  const totals = await totalsFrom(deps, w, others, [d], tz);
  const { first, last } = entryDates(d, tz);
  const problems = longProblems(deps.config.timesheets, d, datesBetween(first, last).map((date) => ({ date, minutes: totals.get(date) ?? 0 })));
  if (problems.length) throw new ValidationError(problems);
}

/**
 * A first-statement column that makes the rest of the transaction run its statements'
 * generic plans (`plan_cache_mode`, this transaction only). Left to choose, PostgreSQL
 * planned entry create's insert (days, entry and the day's other entries; array
 * parameters) afresh on every run: `perf` put a quarter of the database's time per
 * create in that planning. Its statements find their rows by key, and the generic
 * plans take the same indexes (issue 11: database CPU per create −10 % and the rate
 * +7 %, four alternating runs each).
 */
const GENERIC_PLANS: FirstColumns = { sql: `, set_config('plan_cache_mode', 'force_generic_plan', true) AS plan_cache_mode`, bindings: [] };

/** Creates one of the actor's own entries (422 naming fields; nothing written on any problem). */
export async function createEntry(deps: TimesheetDeps, actor: Actor, input: EntryCreateBody): Promise<Entry> {
  const d = detailsFrom(input);
  return inWall(deps.db, actor.accountId, async (w) => {
    // Checked inside the wall: the time zone, the project, the task and the data keys
    // came with its first statement; the other entries of the day come with the insert
    // (issue 11: BEGIN with the first statement, insert, audit, COMMIT).
    const tz = w.actorTimeZone ?? deps.config.timesheets.time_zone;
    await checkEntry(deps, d, tz, w.shared(), mastersFrom(w.first));
    const entry = await writeEntry(deps, w, actor, d, tz, input.confirm_long !== true);
    await deps.audit.record(await w.forAudit(), entryEvent(actor, AUDIT_ACTIONS.timesheetEntryCreated, entry.id, fieldsSet(d)));
    return entry;
  }, firstColumns(mastersLookup(d), entryKeysLookup(deps, actor.accountId, d), GENERIC_PLANS));
}

/**
 * Creates several of the actor's own entries at once (the week grid, capture agents):
 * all or none. Problems are named `entries.<index>.<field>`. One audit event per
 * entry, appended in one batch.
 */
export async function createEntries(deps: TimesheetDeps, actor: Actor, inputs: EntryCreateBody[]): Promise<Entry[]> {
  const tz = await timeZoneOf(deps, actor.accountId);
  const all = inputs.map(detailsFrom);
  const problems: FieldProblem[] = [];
  for (const [i, d] of all.entries()) {
    const own: FieldProblem[] = [];
    await validateEntry(deps, d, tz, own);
    problems.push(...own.map((p) => ({ ...p, field: `entries.${i}.${p.field}` })));
  }
  if (problems.length) throw new ValidationError(problems);
  return inWall(deps.db, actor.accountId, async (w) => {
    // The days as they will stand with the whole batch: an entry not confirmed may not take one over its limit.
    const totals = await totalsWith(deps, w, actor.accountId, all, tz);
    for (const [i, d] of all.entries()) {
      if (inputs[i]!.confirm_long === true) continue;
      const { first, last } = entryDates(d, tz);
      problems.push(...longProblems(deps.config.timesheets, d, datesBetween(first, last).map((date) => ({ date, minutes: totals.get(date) ?? 0 })), `entries.${i}.confirm_long`));
    }
    if (problems.length) throw new ValidationError(problems);
    const out: Entry[] = [];
    for (const d of all) out.push(await writeEntry(deps, w, actor, d, tz));
    await deps.audit.recordMany(await w.forAudit(), out.map((e) => entryEvent(actor, AUDIT_ACTIONS.timesheetEntryCreated, e.id, fieldsSet(e))));
    return out;
  });
}

/** Reads one of the actor's own entries (others' entries are read through their day). */
export async function getEntry(deps: TimesheetDeps, actor: Actor, id: string): Promise<Entry> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const row = await entryById(w, id, actor.accountId);
    if (!row) throw new NotFoundError();
    return decryptEntry(deps, w.shared(), row);
  });
}

/** The full entry a partial change describes, given the entry as it stands. */
function mergeChange(old: Entry, input: EntryUpdateBody): EntryCreateBody {
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
  return merged;
}

/** Changes one of the actor's own entries while all days it touches (before and after) are open. */
export async function changeEntry(deps: TimesheetDeps, actor: Actor, id: string, input: EntryUpdateBody): Promise<Entry> {
  const tz = await timeZoneOf(deps, actor.accountId);
  return inWall(deps.db, actor.accountId, async (w) => {
    const row = await entryById(w, id, actor.accountId);
    if (!row) throw new NotFoundError();
    const old = await decryptEntry(deps, w.shared(), row);
    const d = detailsFrom(mergeChange(old, input));
    await checkEntry(deps, d, tz);
    // Only a change of when or how long asks again; a new note on a long entry does not.
    const timing = input.start !== undefined || input.end !== undefined || input.date !== undefined || input.duration_minutes !== undefined;
    if (timing && input.confirm_long !== true) await checkLong(deps, w, actor.accountId, d, tz, id);
    const before = { first: row.first_date, last: row.last_date };
    const after = entryDates(d, tz);
    const dates = [...new Set([...datesBetween(before.first, before.last), ...datesBetween(after.first, after.last)])].sort();
    const days = await openDaysForEdit(deps, w, actor, dates, tz);
    const purpose = purposeFor(days.filter((day) => day.date >= after.first && day.date <= after.last));
    const sealed = await sealEntry(deps, w.shared(), actor.accountId, id, d, after.first, purpose);
    await updateEntry(w, id, actor.accountId, { first_date: after.first, last_date: after.last, ...sealed });
    await deps.audit.record(await w.forAudit(), entryEvent(actor, AUDIT_ACTIONS.timesheetEntryChanged, id, fieldsChanged(old, d)));
    return { id, ...d };
  });
}

/** Deletes one of the actor's own entries while its days are open. */
export async function removeEntry(deps: TimesheetDeps, actor: Actor, id: string): Promise<void> {
  const tz = await timeZoneOf(deps, actor.accountId);
  await inWall(deps.db, actor.accountId, async (w) => {
    const row = await entryById(w, id, actor.accountId);
    if (!row) throw new NotFoundError();
    await openDaysForEdit(deps, w, actor, datesBetween(row.first_date, row.last_date), tz);
    await deleteEntry(w, id, actor.accountId);
    await deps.audit.record(await w.forAudit(), entryEvent(actor, AUDIT_ACTIONS.timesheetEntryDeleted, id, []));
  });
}
