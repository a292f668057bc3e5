/**
 * The clocks of the privacy registers, as pure functions of dates and instants.
 *
 * Requests (GDPR art. 12(3)): the answer is due "within one month of receipt",
 * extendable "by two further months". A period in months ends on the day of the
 * last month with the same number as the day of receipt, or on that month's last
 * day when it has no such day (Regulation 1182/71, art. 3(2)(c)): received on
 * 31 January, due on 28 February (29 in a leap year). The extended deadline is
 * three months from receipt (31 January → 30 April), which is never earlier than
 * the one-month deadline plus two months. The internal target is 28 days, so a
 * request is answered before any month can end. Deadlines are calendar dates in the
 * organisation's time zone; a deadline that falls on a weekend is not moved.
 *
 * Breaches (art. 33): the internal notice is expected within 24 hours of becoming
 * aware, the authority's notification within 72 hours.
 */

/** A calendar date `YYYY-MM-DD` moved by `months`, clamped to the last day of a shorter month. */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

/** A calendar date `YYYY-MM-DD` moved by `days`. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` lies before). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The dates a request must be answered by, from its date of receipt. */
export interface RequestDeadlines {
  /** One calendar month (art. 12(3)). */
  legal: string;
  /** Three months from receipt: the legal deadline extended by two months. */
  extended: string;
  /** 28 days: the house's own target. */
  internal: string;
}

/** The deadlines of a request received on `receivedOn` (a local date). */
export function requestDeadlines(receivedOn: string): RequestDeadlines {
  return { legal: addMonths(receivedOn, 1), extended: addMonths(receivedOn, 3), internal: addDays(receivedOn, 28) };
}

/** The deadline that applies: the extended one once an extension is recorded. */
export function effectiveDeadline(receivedOn: string, extended: boolean): string {
  const d = requestDeadlines(receivedOn);
  return extended ? d.extended : d.legal;
}

/** A reminder step of a request, most urgent last. */
export type RequestReminderStep = 'd7' | 'd3' | 'd1' | 'overdue';

/** Days before the deadline at which each step is due. */
const STEP_DAYS: ReadonlyArray<[RequestReminderStep, number]> = [['d7', 7], ['d3', 3], ['d1', 1]];

/**
 * The most urgent reminder step due on `today` for a deadline, or null when none is
 * due yet. A deadline passes at the end of its day: overdue from the day after.
 */
export function dueRequestStep(deadline: string, today: string): RequestReminderStep | null {
  const left = daysBetween(today, deadline);
  if (left < 0) return 'overdue';
  let step: RequestReminderStep | null = null;
  for (const [s, days] of STEP_DAYS) if (left <= days) step = s;
  return step;
}

/** Every step up to and including `step` (a late run marks the skipped ones as done). */
export function stepsThrough(step: RequestReminderStep): RequestReminderStep[] {
  const all: RequestReminderStep[] = ['d7', 'd3', 'd1', 'overdue'];
  return all.slice(0, all.indexOf(step) + 1);
}

/** Hours, as milliseconds. */
const HOUR = 3_600_000;

/** The clocks of a breach, from the moment the organisation became aware of it. */
export interface BreachClocks {
  /** The internal notice is due (24 hours). */
  internalDue: Date;
  /** The authority's notification is due (72 hours, art. 33(1)). */
  authorityDue: Date;
}

/** The clocks of a breach the organisation became aware of at `awareAt`. */
export function breachClocks(awareAt: Date): BreachClocks {
  return { internalDue: new Date(awareAt.getTime() + 24 * HOUR), authorityDue: new Date(awareAt.getTime() + 72 * HOUR) };
}

/** A reminder step of a breach whose authority notification is still open. */
export type BreachReminderStep = 'h24' | 'overdue';

/** `h24` once less than 24 hours remain before the 72-hour deadline, `overdue` after it. */
export function dueBreachStep(awareAt: Date, now: Date): BreachReminderStep | null {
  const due = breachClocks(awareAt).authorityDue.getTime();
  if (now.getTime() >= due) return 'overdue';
  if (now.getTime() >= due - 24 * HOUR) return 'h24';
  return null;
}
