import type { AuditLog } from '../audit/service.js';
import type { Actor } from '../identity/policy.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import type { DayFacts } from './policy.js';
import type { DayRow, DayWarningCode, Wall } from './repository.js';

/**
 * Plumbing shared by the timesheet operations (entries, days, workflow, timer,
 * settings): what they are given, and where each encrypted column's ciphertext is
 * bound. The wall transaction itself lives in repository.ts (`inWall`).
 */

/** What the timesheet operations need, passed explicitly. */
export interface TimesheetDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
  /** Told of every submit, return and reopen, inside its transaction (the report store; injected by src/app). */
  dayFigures?: DayFiguresHook;
  /** Working-time warnings shown at submit and on review (the reports domain's rules; injected by src/app). */
  workingTimeWarnings?: WorkingTimeWarnings;
  /**
   * The actor's own captured activity of a day, shown on their own day page beside the
   * entries (the capture domain's; injected by src/app). Called only for the signed-in
   * person's own day, never on a page about someone else.
   */
  dayActivity?: (actor: Actor, date: string, lang: Lang) => Promise<SafeHtml>;
}

/** A working-time warning of a day (minutes measured against the rule's limit): a warning, never a block. */
export interface DayWarning {
  code: DayWarningCode;
  date: string;
  value: number;
  limit: number;
}

/** The working-time check as the timesheet pages and the submit API call it. */
export interface WorkingTimeWarnings {
  /** The warnings the actor's own day carries, from their own days of that week (drafts included). */
  mine(actor: Actor, date: string): Promise<DayWarning[]>;
  /** The warnings the actor's own day carries, read in the submit's own transaction (their codes are stored on the day). */
  atSubmit(w: Wall, actor: Actor, date: string, tz: string): Promise<DayWarning[]>;
  /** The warnings of a day the actor reviews, from that person's week they may see (audited reads). */
  ofDay(actor: Actor, day: { owner_id: string; date: string; time_zone: string }): Promise<DayWarning[]>;
  /** The warnings as a list on a page (nothing when there are none). */
  list(lang: Lang, warnings: DayWarning[]): SafeHtml;
  /** Stored warning codes as flags in a table cell (the inbox; nothing when there are none). */
  flags(lang: Lang, codes: readonly DayWarningCode[]): SafeHtml;
}

/** A day's figures as aggregates need them: no entry, no note, no time of day. */
export interface DayFigures {
  ownerId: string;
  date: string;
  /** The teams recorded at submission. */
  teams: string[];
  parts: Array<{ project_id: string; task_id: string | null; minutes: number }>;
}

/**
 * Counts a day's figures while it is submitted or approved, in the workflow's transaction:
 * added at submit, removed when a submitted day is returned or an approved day reopened
 * (approval changes nothing: the day already counts).
 */
export interface DayFiguresHook {
  submitted(trx: Knex.Transaction, days: DayFigures[]): Promise<void>;
  returned(trx: Knex.Transaction, day: DayFigures): Promise<void>;
  reopened(trx: Knex.Transaction, day: DayFigures, actorId: string): Promise<void>;
}

/** The figures of a day view (its totals per project and task). */
export const figuresOf = (d: DayRow, totals: ReadonlyArray<{ project_id: string; task_id: string | null; minutes: number }>): DayFigures => ({
  ownerId: d.owner_id, date: d.date, teams: [...d.scope_teams].sort(), parts: totals.map((x) => ({ project_id: x.project_id, task_id: x.task_id, minutes: x.minutes })),
});

/** The AES-GCM binding of an entry's encrypted details. */
export const entryRef = (id: string) => ({ table: 'time_entries', column: 'details', rowId: id });
/** The AES-GCM binding of a running timer's encrypted details. */
export const timerRef = (ownerId: string) => ({ table: 'running_timers', column: 'details', rowId: ownerId });
/** The AES-GCM binding of a day's return/reopen comment. */
export const commentRef = (dayId: string) => ({ table: 'timesheet_days', column: 'comment', rowId: dayId });

/** The facts of a day row the policy predicates decide on. */
export const facts = (d: DayRow): DayFacts => ({ ownerId: d.owner_id, state: d.state, scopeTeams: d.scope_teams, date: d.date });

/** Display names of projects, tasks or accounts by id (one query). */
export async function names(db: Knex | Knex.Transaction, table: 'projects' | 'tasks' | 'accounts', ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const col = table === 'accounts' ? db.raw('coalesce(display_name, username) as name') : 'name';
  const rows = (await db(table).whereIn('id', [...new Set(ids)]).select('id', col)) as Array<{ id: string; name: string }>;
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Display names of projects, tasks and accounts at once: one query for all three. */
export async function allNames(db: Knex | Knex.Transaction, ids: { projects: string[]; tasks: string[]; accounts: string[] }): Promise<{ projects: Map<string, string>; tasks: Map<string, string>; accounts: Map<string, string> }> {
  const out = { projects: new Map<string, string>(), tasks: new Map<string, string>(), accounts: new Map<string, string>() };
  const uniq = (a: string[]) => [...new Set(a)];
  if (!ids.projects.length && !ids.tasks.length && !ids.accounts.length) return out;
  // A hot statement: the pool sends it prepared (src/platform/prepared.ts).
  const { rows } = await db.raw<{ rows: Array<{ kind: keyof typeof out; id: string; name: string }> }>(
    `SELECT 'projects' AS kind, id, name FROM projects WHERE id = ANY (?::uuid[])
     UNION ALL SELECT 'tasks', id, name FROM tasks WHERE id = ANY (?::uuid[])
     UNION ALL SELECT 'accounts', id, coalesce(display_name, username) FROM accounts WHERE id = ANY (?::uuid[])`,
    [uniq(ids.projects), uniq(ids.tasks), uniq(ids.accounts)],
  );
  for (const r of rows) out[r.kind].set(r.id, r.name);
  return out;
}
