/**
 * Calendar periods of the report store, on local dates (YYYY-MM-DD, as days are
 * stored). Weeks are ISO weeks (Monday first); in the store a week is split at a
 * month end, so every week slice lies inside one month, quarter and year.
 */

/** The grains a report can show. */
export type PeriodKind = 'week' | 'month' | 'quarter' | 'year';

/** The store's one-letter grain for each kind. */
export const GRAIN: Record<PeriodKind, 'w' | 'm' | 'q' | 'y'> = { week: 'w', month: 'm', quarter: 'q', year: 'y' };

const iso = (d: Date) => d.toISOString().slice(0, 10);
const utc = (date: string) => new Date(`${date}T00:00:00Z`);

/** The first day of the period of `kind` holding `date`. */
export function periodStart(kind: PeriodKind, date: string): string {
  const d = utc(date);
  switch (kind) {
    case 'week': {
      const back = (d.getUTCDay() + 6) % 7;
      return iso(new Date(d.getTime() - back * 86_400_000));
    }
    case 'month':
      return `${date.slice(0, 7)}-01`;
    case 'quarter': {
      const m = Math.floor(d.getUTCMonth() / 3) * 3 + 1;
      return `${date.slice(0, 4)}-${String(m).padStart(2, '0')}-01`;
    }
    case 'year':
      return `${date.slice(0, 4)}-01-01`;
  }
}

/** The first day of the period after the one starting at `start`. */
export function nextPeriod(kind: PeriodKind, start: string): string {
  const d = utc(start);
  if (kind === 'week') return iso(new Date(d.getTime() + 7 * 86_400_000));
  const months = kind === 'month' ? 1 : kind === 'quarter' ? 3 : 12;
  return iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1)));
}

/** The starts of every period of `kind` touching [from, to], in order. */
export function periodsBetween(kind: PeriodKind, from: string, to: string): string[] {
  const out: string[] = [];
  for (let p = periodStart(kind, from); p <= to; p = nextPeriod(kind, p)) out.push(p);
  return out;
}

/** The last day of the period starting at `start`. */
export function periodEnd(kind: PeriodKind, start: string): string {
  return iso(new Date(utc(nextPeriod(kind, start)).getTime() - 86_400_000));
}

/** A period's label: 2026-W05, 2026-03, 2026-Q1, 2026. */
export function periodLabel(kind: PeriodKind, start: string): string {
  if (kind === 'month') return start.slice(0, 7);
  if (kind === 'year') return start.slice(0, 4);
  if (kind === 'quarter') return `${start.slice(0, 4)}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`;
  // ISO week number: the week's Thursday decides the year.
  const thu = new Date(utc(start).getTime() + 3 * 86_400_000);
  const jan1 = Date.UTC(thu.getUTCFullYear(), 0, 1);
  const week = Math.floor((thu.getTime() - jan1) / (7 * 86_400_000)) + 1;
  return `${thu.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
