/**
 * Times and durations as people type them, read by one parser for every page (the day
 * page's start, end and duration, the week grid's hours). Pure: no I/O, no time zone.
 *
 * A time of day: `9:00`, `09:00`, `0900`, `900`, `9.30`, `9` (00:00 to 23:59).
 * A duration in hours: `8`, `10,5`, `10.5`, `1:30`, `0:45` (up to 24 hours).
 */

/** What a parse gives: minutes, or a message saying what to type instead. */
export type Parsed = { ok: true; minutes: number } | { ok: false; message: string };

const fail = (message: string): Parsed => ({ ok: false, message });

/** The longest duration one field takes, in hours (longer ones are split over entries). */
export const MAX_DURATION_HOURS = 24;

/** A time of day as minutes after midnight. */
export function parseTimeOfDay(raw: string): Parsed {
  const s = raw.trim();
  if (!s) return fail('is required (hh:mm)');
  // 9:00, 09:00, 9.30 — hours and minutes with a separator.
  let m = /^(\d{1,2})[:.](\d{2})$/.exec(s);
  // 0900, 900 — hours and minutes run together; 9, 17 — whole hours.
  m ??= /^(\d{1,2})(\d{2})$/.exec(s);
  const whole = /^(\d{1,2})$/.exec(s);
  const h = m ? Number(m[1]) : whole ? Number(whole[1]) : NaN;
  const min = m ? Number(m[2]) : whole ? 0 : NaN;
  if (!Number.isFinite(h)) return fail('is not a time; type it as 9:00, 0900 or 9.30');
  if (h > 23 || min > 59) return fail('is not a time of day (00:00 to 23:59)');
  return { ok: true, minutes: h * 60 + min };
}

/** A duration in hours (`10,5`, `10.5`, `1:30`, `8`) as minutes. */
export function parseDuration(raw: string): Parsed {
  const s = raw.trim();
  if (!s) return fail('is required (hours, as 1:30 or 1,5)');
  const hm = /^(\d{1,2}):(\d{2})$/.exec(s);
  let minutes: number;
  if (hm) {
    if (Number(hm[2]) > 59) return fail('has more than 59 minutes; type 1:30 or 1,5');
    minutes = Number(hm[1]) * 60 + Number(hm[2]);
  } else if (/^\d{1,2}([.,]\d{1,2})?$/.test(s) || /^[.,]\d{1,2}$/.test(s)) {
    minutes = Math.round(Number(s.replace(',', '.')) * 60);
  } else {
    return fail('is not a duration; type hours as 1:30, 1,5 or 1.5');
  }
  if (minutes > MAX_DURATION_HOURS * 60) return fail(`must be at most ${MAX_DURATION_HOURS} hours`);
  return { ok: true, minutes };
}

/** Minutes after midnight as `HH:MM` (the form the pages show times back in). */
export function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
