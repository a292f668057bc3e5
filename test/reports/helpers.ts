import { randomUUID } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { foldPending, reportStoreHook } from '../../src/reports/store.js';
import type { DayFigures } from '../../src/timesheets/context.js';
import type { TestApp } from '../helpers/app.js';
import { at, daysAgo, person, timesheetApp, type Person } from '../timesheets/helpers.js';

/** A report as the API answers it. */
export interface Report {
  k: number;
  periods: Array<{ start: string; label: string }>;
  rows: Array<{ key: string; label: string; cells: Cell[]; total: Cell }>;
  totals: { cells: Cell[]; total: Cell };
}
export interface Cell {
  minutes: number | null;
  suppressed: boolean;
}

/** The app with a billable project "Ward rota" (task "Planning"), a second task and a second project. */
export async function reportsApp(t: ExecutionContext, overrides: Record<string, unknown> = {}) {
  const { a, projectId, taskId } = await timesheetApp(t, overrides);
  const [task2] = (await a.db.knex('tasks').insert({ project_id: projectId, name: 'Night shifts' }).returning('id')) as Array<{ id: string }>;
  const [p2] = (await a.db.knex('projects').insert({ name: 'Internal', billable: false, budget_hours: 100 }).returning('id')) as Array<{ id: string }>;
  return { a, projectId, taskId, taskId2: task2!.id, projectId2: p2!.id };
}

/** Folds pending submits, returns and reopens now (as the reports.fold job does, without waiting for a batch of k people). */
export function fold(a: TestApp) {
  return foldPending({ db: a.app.db, config: a.config, keys: a.app.keys }, { force: true });
}

/**
 * Seeds the report store through its own hook (what a submit records), for
 * people who need no account: `people` synthetic owners in `teams`, each with
 * `minutes` on `date` on the project/task. Returns the owner ids.
 */
export async function seedFigures(a: TestApp, opts: { people: number; teams: string[]; date: string; projectId: string; taskId: string | null; minutes: number | ((i: number) => number); owners?: string[] }): Promise<string[]> {
  const owners = opts.owners ?? Array.from({ length: opts.people }, () => randomUUID());
  const days: DayFigures[] = owners.map((ownerId, i) => ({
    ownerId, date: opts.date, teams: opts.teams,
    parts: [{ project_id: opts.projectId, task_id: opts.taskId, minutes: typeof opts.minutes === 'function' ? opts.minutes(i) : opts.minutes }],
  }));
  await a.app.db.transaction((trx) => reportStoreHook({ keys: a.app.keys, audit: a.app.services.audit }).submitted(trx, days));
  return owners;
}

/** Takes seeded figures out again, as a return of a submitted day records it (one envelope per day). */
export async function returnFigures(a: TestApp, days: DayFigures[]): Promise<void> {
  const hook = reportStoreHook({ keys: a.app.keys, audit: a.app.services.audit });
  await a.app.db.transaction(async (trx) => {
    for (const day of days) await hook.returned(trx, day);
  });
}

/** Reopens seeded figures (what a reopen records). */
export async function unseedFigures(a: TestApp, day: DayFigures): Promise<void> {
  await a.app.db.transaction((trx) => reportStoreHook({ keys: a.app.keys, audit: a.app.services.audit }).reopened(trx, day, 'system'));
}

/** A person with the reports role, signed in (second factor done). */
export function analyst(a: TestApp): Promise<Person> {
  return person(a, { roles: ['reports'] });
}

/** Records `minutes` on `date` for `who` and submits the day; returns the day id. */
export async function recordAndSubmit(who: Person, opts: { projectId: string; taskId?: string | null; date?: string; from?: string; to?: string }): Promise<{ id: string; date: string }> {
  const date = opts.date ?? daysAgo(2);
  const r = await who.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, opts.from ?? '09:00'), end: at(date, opts.to ?? '17:00'), project_id: opts.projectId, task_id: opts.taskId ?? null, note: 'secret ward note' });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  const s = await who.c.json<{ id: string }>('POST', `/api/v1/me/days/${date}/submit`);
  if (s.status !== 200) throw new Error(JSON.stringify(s.body));
  return { id: s.body.id, date };
}

/** The cell of a row (by label) in a one-period report. */
export function cellOf(r: Report, label: string, i = 0): Cell | undefined {
  return r.rows.find((x) => x.label === label)?.cells[i];
}
