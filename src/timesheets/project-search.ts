import type { Actor } from '../identity/policy.js';
import type { TimesheetDeps } from './context.js';
import { listMyDays } from './days.js';
import { listFavourites } from './favourites.js';
import { listProjects, type ProjectView } from './master-data.js';
import { timeZoneOf } from './settings.js';
import { addDays, localDate } from './tz.js';
import { keyOf, recentRows, type RowKey } from './week-grid.js';

/**
 * The project picker's search: every open project and each of its open tasks as one
 * choice, matched on code, project, task and customer, in a fixed order — an exact
 * code first, then names starting with the text, then names containing it; within each,
 * recently used first, then by customer (those without one last), project and task.
 */

/** A row as a picker's option value: `project/task`, or the project id alone (the value the pages always used). */
export const pickerValue = (r: RowKey): string => (r.task_id ? `${r.project_id}/${r.task_id}` : r.project_id);

/** One choice of the picker. */
export interface PickerChoice {
  /** `project/task`, or the project id alone: the form value (pickerValue). */
  value: string;
  project_id: string;
  task_id: string | null;
  code: string | null;
  customer_name: string | null;
  project_name: string;
  task_name: string | null;
  label: string;
  recent: boolean;
}

/** A choice's label: `Customer — Project › Task [code]`. */
export function choiceLabel(c: Pick<PickerChoice, 'customer_name' | 'project_name' | 'task_name' | 'code'>): string {
  return `${c.customer_name ? `${c.customer_name} — ` : ''}${c.project_name}${c.task_name ? ` › ${c.task_name}` : ''}${c.code ? ` [${c.code}]` : ''}`;
}

/** Every open project and task as choices (archived ones never). */
export function choicesOf(projects: readonly ProjectView[], recent: readonly RowKey[] = []): PickerChoice[] {
  const recentKeys = new Set(recent.map(keyOf));
  return projects.filter((p) => !p.archived).flatMap((p) => [
    { project_id: p.id, task_id: null as string | null, task_name: null as string | null },
    ...p.tasks.filter((t) => !t.archived).map((t) => ({ project_id: p.id, task_id: t.id, task_name: t.name })),
  ].map((x): PickerChoice => {
    const c = { ...x, value: pickerValue(x), code: p.code, customer_name: p.customer_name, project_name: p.name, recent: recentKeys.has(keyOf(x)) };
    return { ...c, label: choiceLabel(c) };
  }));
}

/** How well a choice matches `q` (lower case): 0 exact code, 1 prefix, 2 contains; undefined when not at all. */
export function matchRank(c: PickerChoice, q: string): number | undefined {
  if (!q) return 2;
  if (c.code?.toLowerCase() === q) return 0;
  const fields = [c.code, c.project_name, c.task_name, c.customer_name].filter((f): f is string => !!f).map((f) => f.toLowerCase());
  if (fields.some((f) => f.startsWith(q))) return 1;
  if (fields.some((f) => f.includes(q))) return 2;
  return undefined;
}

/** The choices matching `q` in the picker's order (at most `limit`); an empty `q` lists recent ones first. */
export function searchChoices(choices: readonly PickerChoice[], q: string, recent: readonly RowKey[] = [], limit = 50): PickerChoice[] {
  const needle = q.trim().toLowerCase();
  const recency = new Map(recent.map((r, i) => [keyOf(r), i]));
  const alpha = (c: PickerChoice) => `${c.customer_name ?? '\uffff'}\u0000${c.project_name}\u0000${c.task_name ?? ''}`.toLowerCase();
  return choices
    .flatMap((c) => {
      const rank = matchRank(c, needle);
      return rank === undefined ? [] : [{ c, rank, recent: recency.get(keyOf(c)) ?? Number.MAX_SAFE_INTEGER }];
    })
    .sort((a, b) => a.rank - b.rank || a.recent - b.recent || alpha(a.c).localeCompare(alpha(b.c)))
    .slice(0, limit)
    .map((x) => x.c);
}

/**
 * The picker's search for one person: their pins and the rows they used in the last
 * four weeks count as recent (pins first).
 */
export async function searchProjects(deps: TimesheetDeps, actor: Actor, q: string): Promise<PickerChoice[]> {
  const today = localDate(new Date(), await timeZoneOf(deps, actor.accountId));
  const recent = [...(await listFavourites(deps, actor)), ...recentRows(await listMyDays(deps, actor, addDays(today, -27), today))];
  return searchChoices(choicesOf(await listProjects(deps.db, false), recent), q, recent);
}
