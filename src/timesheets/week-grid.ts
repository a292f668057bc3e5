import type { DayState } from './policy.js';
import type { DayView } from './presenter.js';

/**
 * The week grid as a model, apart from any page: rows are project/task pairs, columns
 * the seven days, each cell the minutes of that row on that day, with totals per day,
 * per row and for the week. Pure: the page, the API and the tests share it.
 */

/** A row of the grid: a project, optionally a task of it. */
export interface RowKey {
  project_id: string;
  task_id: string | null;
}

/** The key of a row as text (`project/task`, the picker's option value). */
export const keyOf = (r: RowKey): string => `${r.project_id}/${r.task_id ?? ''}`;

/**
 * How a cell may change. `edit`: empty or made only of duration entries, so typing a
 * number replaces them. `timed`: holds start–end entries; a number cannot say which
 * interval to shorten or move without inventing times of day, so it is read-only here
 * and changed on the day page. `locked`: the day is submitted or approved.
 */
export type CellMode = 'edit' | 'timed' | 'locked';

/** One cell of the grid. */
export interface GridCell {
  date: string;
  minutes: number;
  mode: CellMode;
}

/** One row of the grid with its cells and total. */
export interface GridRow extends RowKey {
  key: string;
  favourite: boolean;
  cells: GridCell[];
  total: number;
}

/** The whole week. */
export interface WeekGrid {
  dates: string[];
  states: DayState[];
  rows: GridRow[];
  dayTotals: number[];
  total: number;
}

/** Whether a day in this state takes changes from its owner. */
export const isOpen = (state: DayState): boolean => state === 'draft' || state === 'returned';

/** The entries of a day view booked on a row. */
export function entriesOfRow(day: DayView, row: RowKey): DayView['entries'] {
  return day.entries.filter((e) => e.project_id === row.project_id && (e.task_id ?? null) === row.task_id);
}

/** A cell from a day and a row. */
export function cellOf(day: DayView, row: RowKey): GridCell {
  const mine = entriesOfRow(day, row);
  const minutes = mine.reduce((s, e) => s + e.minutes_on_day, 0);
  const mode: CellMode = !isOpen(day.state) ? 'locked' : mine.some((e) => e.start !== null) ? 'timed' : 'edit';
  return { date: day.date, minutes, mode };
}

/**
 * Rows last used by the person, most recent first, from their days (any range): the
 * recency order of the grid and the picker.
 */
export function recentRows(days: readonly DayView[]): RowKey[] {
  const last = new Map<string, { row: RowKey; date: string }>();
  for (const d of days) {
    for (const e of d.entries) {
      const row = { project_id: e.project_id, task_id: e.task_id ?? null };
      const seen = last.get(keyOf(row));
      if (!seen || seen.date < d.date) last.set(keyOf(row), { row, date: d.date });
    }
  }
  return [...last.values()].sort((a, b) => b.date.localeCompare(a.date)).map((x) => x.row);
}

/**
 * Builds the grid of one week (`week`: its seven day views, Monday first). Rows, in
 * order: pinned favourites, then the rows booked this week or used recently (most
 * recent first), at most `recentLimit` of those that hold no time this week.
 */
export function buildGrid(week: readonly DayView[], favourites: readonly RowKey[], recent: readonly RowKey[], recentLimit = 5): WeekGrid {
  const rows: RowKey[] = [];
  const seen = new Set<string>();
  const add = (r: RowKey) => {
    if (seen.has(keyOf(r))) return;
    seen.add(keyOf(r));
    rows.push(r);
  };
  favourites.forEach(add);
  const booked = recentRows(week);
  booked.forEach(add);
  recent.filter((r) => !seen.has(keyOf(r))).slice(0, recentLimit).forEach(add);
  const favs = new Set(favourites.map(keyOf));
  const gridRows = rows.map((r): GridRow => {
    const cells = week.map((d) => cellOf(d, r));
    return { project_id: r.project_id, task_id: r.task_id, key: keyOf(r), favourite: favs.has(keyOf(r)), cells, total: cells.reduce((s, c) => s + c.minutes, 0) };
  });
  const dayTotals = week.map((d) => d.total_minutes);
  return { dates: week.map((d) => d.date), states: week.map((d) => d.state), rows: gridRows, dayTotals, total: dayTotals.reduce((s, m) => s + m, 0) };
}
