/**
 * Times and durations as people type them, read by one parser for every page (the day
 * page's start, end and duration, the week grid's hours). Pure: no I/O, no time zone.
 *
 * A time of day: `9:00`, `09:00`, `0900`, `900`, `9.30`, `9` (00:00 to 23:59).
 * A duration in hours: `8`, `10,5`, `10.5`, `1:30`, `0:45` (up to 24 hours).
 */
import type { FieldProblem } from '../platform/errors.js';
import { tsProblem, type TsProblemCode } from './problems.js';

/** What a parse gives: minutes, or a problem (message, code, values) saying what to type instead. */
export type Parsed = { ok: true; minutes: number } | ({ ok: false } & Omit<FieldProblem, 'field'>);

const fail = (code: TsProblemCode, params?: Record<string, number>): Parsed => {
  const { field: _field, ...rest } = tsProblem('', code, params);
  return { ok: false, ...rest };
};

/** The longest duration one field takes, in hours (longer ones are split over entries). */
export const MAX_DURATION_HOURS = 24;

/** A time of day as minutes after midnight. */
export function parseTimeOfDay(raw: string): Parsed {
  const s = raw.trim();
  if (!s) return fail('time.required');
  // 9:00, 09:00, 9.30 — hours and minutes with a separator.
  let m = /^(\d{1,2})[:.](\d{2})$/.exec(s);
  // 0900, 900 — hours and minutes run together; 9, 17 — whole hours.
  m ??= /^(\d{1,2})(\d{2})$/.exec(s);
  const whole = /^(\d{1,2})$/.exec(s);
  const h = m ? Number(m[1]) : whole ? Number(whole[1]) : NaN;
  const min = m ? Number(m[2]) : whole ? 0 : NaN;
  if (!Number.isFinite(h)) return fail('time.unreadable');
  if (h > 23 || min > 59) return fail('time.out_of_day');
  return { ok: true, minutes: h * 60 + min };
}

/** A duration in hours (`10,5`, `10.5`, `1:30`, `8`) as minutes. */
export function parseDuration(raw: string): Parsed {
  const s = raw.trim();
  if (!s) return fail('duration.required');
  const hm = /^(\d{1,2}):(\d{2})$/.exec(s);
  let minutes: number;
  if (hm) {
    if (Number(hm[2]) > 59) return fail('duration.minutes');
    minutes = Number(hm[1]) * 60 + Number(hm[2]);
  } else if (/^\d{1,2}([.,]\d{1,2})?$/.test(s) || /^[.,]\d{1,2}$/.test(s)) {
    minutes = Math.round(Number(s.replace(',', '.')) * 60);
  } else {
    return fail('duration.unreadable');
  }
  if (minutes > MAX_DURATION_HOURS * 60) return fail('duration.max', { max: MAX_DURATION_HOURS });
  return { ok: true, minutes };
}

/** Minutes after midnight as `HH:MM` (the form the pages show times back in). */
export function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
