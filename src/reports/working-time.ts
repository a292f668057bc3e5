import type { Config } from '../platform/config.js';
import { localDate } from '../timesheets/tz.js';

/**
 * Working-time rules (defaults from the Dutch Arbeidstijdenwet, `reports.working_time`):
 * the longest shift, the most hours in an ISO week, the shortest rest between shifts,
 * and the breaks a long shift needs; and, per day, the total worked and the breaks
 * taken (EU Court C-55/18: daily working time must be recorded and visible). Pure:
 * instants are compared in UTC milliseconds, so a night shift over midnight or over a
 * daylight-saving change counts the hours that really passed. Warnings only: nothing
 * is refused, nothing is stored, and nothing of this enters a report.
 */

export type Rules = Config['reports']['working_time'];

/** An entry as the rules see it: timed (start/end) or a duration on a date. */
export interface WorkEntry {
  id: string;
  start: string | null;
  end: string | null;
  date: string | null;
  minutes: number;
}

export interface Shift {
  date: string;
  start: string;
  end: string;
  worked_minutes: number;
  break_minutes: number;
}

export interface Warning {
  code: 'long_shift' | 'long_week' | 'short_rest' | 'short_break';
  date: string;
  /** The measured value and the rule's limit, in minutes. */
  value: number;
  limit: number;
}

export interface WorkingTimeDay {
  date: string;
  total_minutes: number;
  breaks: Array<{ start: string; end: string; minutes: number }>;
}

const MIN = 60_000;

/** Shifts from timed entries: overlaps merged, gaps up to `shift_gap_hours` are breaks within a shift. */
export function shiftsOf(entries: WorkEntry[], rules: Rules, tz: string): Array<Shift & { intervals: Array<[number, number]> }> {
  const spans = entries
    .filter((e) => e.start && e.end)
    .map((e) => [Date.parse(e.start!), Date.parse(e.end!)] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([...s]);
  }
  const shifts: Array<Array<[number, number]>> = [];
  for (const s of merged) {
    const cur = shifts[shifts.length - 1];
    if (cur && s[0] - cur[cur.length - 1]![1] <= rules.shift_gap_hours * 60 * MIN) cur.push(s);
    else shifts.push([s]);
  }
  return shifts.map((iv) => {
    const start = iv[0]![0];
    const end = iv[iv.length - 1]![1];
    const worked = iv.reduce((sum, [a, b]) => sum + (b - a), 0);
    return { date: localDate(new Date(start), tz), start: new Date(start).toISOString(), end: new Date(end).toISOString(), worked_minutes: Math.round(worked / MIN), break_minutes: Math.round((end - start - worked) / MIN), intervals: iv };
  });
}

function isoWeek(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The warnings and the per-day figures for `days` (date → total minutes, as the day
 * views count them), from the entries around them (the day before included, for the
 * rest before the first shift).
 */
export function checkWorkingTime(entries: WorkEntry[], days: Array<{ date: string; total_minutes: number }>, rules: Rules, tz: string): { shifts: Shift[]; days: WorkingTimeDay[]; warnings: Warning[] } {
  const unique = [...new Map(entries.map((e) => [e.id, e])).values()];
  const shifts = shiftsOf(unique, rules, tz);
  const wanted = new Set(days.map((d) => d.date));
  const warnings: Warning[] = [];
  shifts.forEach((s, i) => {
    if (!wanted.has(s.date)) return;
    if (s.worked_minutes > rules.max_shift_hours * 60) warnings.push({ code: 'long_shift', date: s.date, value: s.worked_minutes, limit: rules.max_shift_hours * 60 });
    const need = s.worked_minutes > rules.long_break_after_hours * 60 ? rules.long_break_minutes : s.worked_minutes > rules.break_after_hours * 60 ? rules.break_minutes : 0;
    if (s.break_minutes < need) warnings.push({ code: 'short_break', date: s.date, value: s.break_minutes, limit: need });
    const prev = shifts[i - 1];
    if (prev) {
      const rest = Math.round((Date.parse(s.start) - Date.parse(prev.end)) / MIN);
      if (rest < rules.min_rest_hours * 60) warnings.push({ code: 'short_rest', date: s.date, value: rest, limit: rules.min_rest_hours * 60 });
    }
  });
  const weeks = new Map<string, { minutes: number; last: string }>();
  for (const d of days) {
    const w = weeks.get(isoWeek(d.date)) ?? { minutes: 0, last: d.date };
    w.minutes += d.total_minutes;
    w.last = d.date > w.last ? d.date : w.last;
    weeks.set(isoWeek(d.date), w);
  }
  for (const w of weeks.values()) if (w.minutes > rules.max_week_hours * 60) warnings.push({ code: 'long_week', date: w.last, value: w.minutes, limit: rules.max_week_hours * 60 });
  const breaks = shifts.flatMap((s) => s.intervals.slice(1).map((iv, j) => ({ start: s.intervals[j]![1], end: iv[0] })));
  return {
    shifts: shifts.filter((s) => wanted.has(s.date)).map(({ intervals: _i, ...s }) => s),
    days: days.map((d) => ({
      date: d.date,
      total_minutes: d.total_minutes,
      breaks: breaks.filter((b) => localDate(new Date(b.start), tz) === d.date).map((b) => ({ start: new Date(b.start).toISOString(), end: new Date(b.end).toISOString(), minutes: Math.round((b.end - b.start) / MIN) })),
    })),
    warnings: warnings.sort((a, b) => a.date.localeCompare(b.date) || a.code.localeCompare(b.code)),
  };
}
