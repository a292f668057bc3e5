import type { DayState } from './policy.js';
import type { DayRow } from './repository.js';
import { entryDates, type Entry, type EntryDetails, type LongLimits } from './entry-rules.js';
import type { DayFlag } from './schema.js';
import { daySpan } from './tz.js';

/**
 * Decrypted rows → the shapes the API and the pages answer with. Responses are shaped
 * here and nowhere else, so a field appears (or stays out) in one place.
 */

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

/** The timer as presented. */
export interface TimerView {
  running: boolean;
  started_at: string | null;
  elapsed_seconds: number | null;
  project_id: string | null;
  task_id: string | null;
  note: string | null;
}

/** The decrypted contents of a running timer. */
export interface TimerDetails {
  started_at: string;
  project_id: string;
  task_id: string | null;
  note: string;
}

/** No timer running. */
export const STOPPED: TimerView = { running: false, started_at: null, elapsed_seconds: null, project_id: null, task_id: null, note: null };

/** A running timer as presented, with the seconds elapsed until `now`. */
export function presentTimer(d: TimerDetails, now = Date.now()): TimerView {
  return { running: true, started_at: d.started_at, elapsed_seconds: Math.max(0, Math.floor((now - Date.parse(d.started_at)) / 1000)), project_id: d.project_id, task_id: d.task_id, note: d.note };
}

/** The part of an entry (in minutes) that falls on a local date. */
export function minutesOnDay(e: EntryDetails, date: string, tz: string): number {
  if (e.date !== null) return e.date === date ? e.minutes : 0;
  const span = daySpan(date, tz);
  const from = Math.max(Date.parse(e.start!), span.start.getTime());
  const to = Math.min(Date.parse(e.end!), span.end.getTime());
  return to > from ? Math.round((to - from) / 60000) : 0;
}

/** The entries of a day that count on it, in order, with their minutes on the day and overlaps marked. */
export function dayEntries(all: Entry[], date: string, zone: string): DayView['entries'] {
  const entries = all
    .map((e) => ({ ...e, minutes_on_day: minutesOnDay(e, date, zone), overlaps: false }))
    .filter((e) => e.minutes_on_day > 0);
  for (const a of entries) {
    if (a.start === null) continue;
    a.overlaps = entries.some((b) => b !== a && b.start !== null && Date.parse(a.start!) < Date.parse(b.end!) && Date.parse(b.start) < Date.parse(a.end!));
  }
  return entries.sort((a, b) => (a.start ?? a.date ?? '').localeCompare(b.start ?? b.date ?? ''));
}

/** What presentDay needs besides the day's entries: names, the decrypted comment. */
export interface DayContext {
  ownerId: string;
  date: string;
  day: DayRow | undefined;
  zone: string;
  ownerName: string | null;
  comment: string | null;
  projectNames: Map<string, string>;
  taskNames: Map<string, string>;
}

/** A day as presented: entries, totals per project and task, state and times. */
export function presentDay(c: DayContext, entries: DayView['entries']): DayView {
  const totals = new Map<string, DayView['totals'][number]>();
  for (const e of entries) {
    const key = `${e.project_id}/${e.task_id ?? ''}`;
    const t = totals.get(key) ?? { project_id: e.project_id, project_name: c.projectNames.get(e.project_id) ?? '', task_id: e.task_id, task_name: e.task_id ? (c.taskNames.get(e.task_id) ?? null) : null, minutes: 0 };
    t.minutes += e.minutes_on_day;
    totals.set(key, t);
  }
  return {
    id: c.day?.id ?? null,
    owner_id: c.ownerId,
    owner_name: c.ownerName,
    date: c.date,
    state: c.day?.state ?? 'draft',
    time_zone: c.zone,
    day_minutes: daySpan(c.date, c.zone).minutes,
    total_minutes: entries.reduce((s, e) => s + e.minutes_on_day, 0),
    comment: c.comment,
    submitted_at: c.day?.submitted_at?.toISOString() ?? null,
    approved_at: c.day?.approved_at?.toISOString() ?? null,
    approved_by: c.day?.approved_by ?? null,
    entries,
    totals: [...totals.values()],
  };
}

/** A day in a list, from its row and its presented view. */
export function summarise(row: DayRow, view: DayView): DaySummary {
  return { id: row.id, owner_id: row.owner_id, owner_name: view.owner_name, date: row.date, state: row.state, total_minutes: view.total_minutes, submitted_at: view.submitted_at };
}

/** A day in the admin's inbox: its summary and what deserves a second look. */
export interface InboxDay extends DaySummary {
  flags: DayFlag[];
  /** Working-time warning codes recorded at submit (no read of the person's week). */
  warnings: DayRow['warnings'];
}

/**
 * What the inbox flags on a day, from its presented view (nothing read twice): an entry
 * running over midnight, overlapping entries, an entry or the day over its limit.
 */
export function dayFlags(view: DayView, limits: LongLimits): DayFlag[] {
  const flags: DayFlag[] = [];
  if (view.entries.some((e) => e.start !== null && entryDates(e, view.time_zone).first !== entryDates(e, view.time_zone).last)) flags.push('overnight');
  if (view.entries.some((e) => e.overlaps)) flags.push('overlap');
  if (view.entries.some((e) => e.minutes > limits.max_entry_hours * 60)) flags.push('long_entry');
  if (view.total_minutes > limits.max_day_hours * 60) flags.push('long_day');
  return flags;
}

/** An audit row as the owner's record reads it (actor joined to a display name). */
export interface AuditRow {
  seq: string | number;
  at: Date | string;
  actor_id: string;
  actor_name: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  payload: { what?: unknown; date?: unknown; fields?: unknown };
}

/** One read of the owner's data by someone else. */
export interface DataRead {
  at: string;
  reader_id: string;
  reader_name: string | null;
  what: string;
  object_type: string | null;
  object_id: string | null;
  date: string | null;
}

/** A recorded change to the owner's data, as the owner sees it: who, when, what, which fields (never their values). */
export interface RecordEvent {
  seq: number;
  at: string;
  actor_id: string;
  actor_name: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  date: string | null;
  fields: string[];
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A read event as "who saw my data" lists it. */
export function presentDataRead(r: AuditRow): DataRead {
  return { at: new Date(r.at).toISOString(), reader_id: r.actor_id, reader_name: r.actor_name, what: text(r.payload.what) ?? 'data', object_type: r.object_type, object_id: r.object_id, date: text(r.payload.date) };
}

/** A change event as "what changed in my data" lists it: only the date and the field names leave the payload. */
export function presentRecordEvent(r: AuditRow): RecordEvent {
  return {
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    actor_id: r.actor_id,
    actor_name: r.actor_name,
    action: r.action,
    object_type: r.object_type,
    object_id: r.object_id,
    date: text(r.payload.date),
    fields: Array.isArray(r.payload.fields) ? r.payload.fields.filter((f): f is string => typeof f === 'string') : [],
  };
}
