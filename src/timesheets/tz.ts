/**
 * Calendar arithmetic in a named time zone with the runtime's own tz database (Intl),
 * so no date library is needed. A "date" is a local calendar date `YYYY-MM-DD`; an
 * "instant" is a JS Date. Days are half-open [start, next start): 23 or 25 hours long
 * on daylight-saving changes.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** True when the runtime knows the IANA time zone name. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function parts(instant: Date, tz: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour!, min: p.minute!, s: p.second! };
}

/** Offset of local wall time from UTC at an instant, in milliseconds. */
function offsetAt(instant: Date, tz: string): number {
  const p = parts(instant, tz);
  const wall = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The local calendar date of an instant. */
export function localDate(instant: Date, tz: string): string {
  const p = parts(instant, tz);
  return `${String(p.y).padStart(4, '0')}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

/** The number of dates from `from` to `to`, both included (0 or less when `to` comes first), without walking them. */
export function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** Adds whole calendar days to a date. */
export function addDays(date: string, n: number): string {
  if (n === 1) {
    // The next day is asked for on every view (each day's span, each date of a range): remembered.
    const known = nextDays.get(date);
    if (known !== undefined) return known;
  }
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const out = new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
  if (n === 1) {
    if (nextDays.size >= 20_000) nextDays.clear();
    nextDays.set(date, out);
  }
  return out;
}
const nextDays = new Map<string, string>();

/**
 * Start instants already worked out, by zone and date: an inbox of 500 days asks for
 * the same few hundred spans on every request, and each costs four Intl
 * `formatToParts` calls (a profile of the inbox showed a quarter of its CPU there).
 * The answer depends only on the runtime's tz database; the map is emptied when full.
 */
const starts = new Map<string, number>();
const STARTS_MAX = 50_000;

/** The first instant of a local date (midnight, or the first existing moment after it). */
export function startOfDay(date: string, tz: string): Date {
  const key = `${tz}|${date}`;
  const known = starts.get(key);
  if (known !== undefined) return new Date(known);
  const t = computeStartOfDay(date, tz);
  if (starts.size >= STARTS_MAX) starts.clear();
  starts.set(key, t);
  return new Date(t);
}

function computeStartOfDay(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // Two passes: the offset at the guess may differ from the one at the answer when a
  // transition lies between them.
  let t = wall - offsetAt(new Date(wall), tz);
  t = wall - offsetAt(new Date(t), tz);
  // Where midnight does not exist (a transition at 00:00), the day starts at the gap's end.
  if (localDate(new Date(t), tz) !== date) t += 3600_000;
  return t;
}

/** The half-open span of a local date and its length in minutes (1380, 1440 or 1500). */
export function daySpan(date: string, tz: string): { start: Date; end: Date; minutes: number } {
  const start = startOfDay(date, tz);
  const end = startOfDay(addDays(date, 1), tz);
  return { start, end, minutes: Math.round((end.getTime() - start.getTime()) / 60000) };
}

/** Every local date from `from` to `to` inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** The instant of a local wall time `HH:MM` on a date (a time in a DST gap moves forward). */
export function localInstant(date: string, hhmm: string, tz: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [h, min] = hhmm.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, m - 1, d, h, min);
  let t = wall - offsetAt(new Date(wall), tz);
  t = wall - offsetAt(new Date(t), tz);
  return new Date(t);
}

/** The local wall time `HH:MM` of an instant. */
export function localTime(instant: Date, tz: string): string {
  const p = parts(instant, tz);
  return `${String(p.h).padStart(2, '0')}:${String(p.min).padStart(2, '0')}`;
}
