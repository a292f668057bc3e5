import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/service.js';
import { loadActor } from '../identity/auth-service.js';
import { createLocalPerson } from '../identity/local-people.js';
import { createLocalTeam } from '../identity/local-teams.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { AppError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { reportsHook } from '../reports/module.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { approveDays, returnDay, submitDay } from '../timesheets/day-workflow.js';
import { createEntry } from '../timesheets/entries.js';
import { createCustomer, createProject, createTask } from '../timesheets/master-data.js';

/**
 * `uurwerk demo:seed`: a small organisation for an evaluation install, made through
 * the real services (so entries are encrypted, every step is audited and the report
 * store counts the days): three teams with an admin each, employees, an auditor, a
 * privacy officer and an operator; customers, projects and tasks; four weeks of days
 * in every state (approved, returned, submitted, draft). People get random passwords
 * that the caller writes to a 0600 file, never to the terminal or a log.
 */

/** What the seed needs: the database and the services the appliance itself uses. */
export interface DemoSeedDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
  logger: Logger;
}

/** A seeded person: sign-in name, role in the demo, and the password for the 0600 file. */
export interface DemoPerson {
  username: string;
  displayName: string;
  what: string;
  password: string;
}

/** What the seed made. */
export interface DemoSeedResult {
  people: DemoPerson[];
  teams: string[];
  days: Record<'draft' | 'submitted' | 'returned' | 'approved', number>;
}

/** Thrown when the install is not a fresh one without a directory; the message says why. */
export class DemoSeedRefused extends AppError {
  constructor(message: string) {
    super(409, 'demo_seed_refused', message);
  }
}

const TEAMS = ['Support', 'Development', 'Sales'] as const;

interface Plan { username: string; displayName: string; what: string; roles: string[]; teams?: string[]; adminOf?: string[] }

const PEOPLE: Plan[] = [
  { username: 'olga', displayName: 'Olga Operator', what: 'operator', roles: ['operator'] },
  { username: 'sanne', displayName: 'Sanne de Boer', what: 'team admin of Support', roles: ['employee'], adminOf: ['Support'] },
  { username: 'daan', displayName: 'Daan Visser', what: 'team admin of Development', roles: ['employee'], adminOf: ['Development'] },
  { username: 'lotte', displayName: 'Lotte Smit', what: 'team admin of Sales', roles: ['employee'], adminOf: ['Sales'] },
  { username: 'bram', displayName: 'Bram Jansen', what: 'employee in Support', roles: ['employee'], teams: ['Support'] },
  { username: 'emma', displayName: 'Emma Bakker', what: 'employee in Support', roles: ['employee'], teams: ['Support'] },
  { username: 'finn', displayName: 'Finn Mulder', what: 'employee in Development', roles: ['employee'], teams: ['Development'] },
  { username: 'julia', displayName: 'Julia de Vries', what: 'employee in Development', roles: ['employee'], teams: ['Development'] },
  { username: 'noah', displayName: 'Noah Meijer', what: 'employee in Development', roles: ['employee'], teams: ['Development'] },
  { username: 'sophie', displayName: 'Sophie Dekker', what: 'employee in Sales', roles: ['employee'], teams: ['Sales'] },
  { username: 'ruben', displayName: 'Ruben Peters', what: 'employee in Sales', roles: ['employee'], teams: ['Sales'] },
  { username: 'ingrid', displayName: 'Ingrid Audit', what: 'auditor', roles: ['auditor'] },
  { username: 'pieter', displayName: 'Pieter Privacy', what: 'privacy officer', roles: ['dpo'] },
];

const PROJECTS: Array<{ customer: string | null; name: string; code: string; billable: boolean; tasks: string[] }> = [
  { customer: 'Bakkerij Brood & Co', name: 'Webshop', code: 'BRD-01', billable: true, tasks: ['Design', 'Development', 'Meetings'] },
  { customer: 'Gemeente Voorbeeld', name: 'Service desk', code: 'GMV-02', billable: true, tasks: ['Tickets', 'On-call'] },
  { customer: 'Fietsfabriek Noord', name: 'Sales pilot', code: 'FFN-03', billable: true, tasks: ['Demo', 'Proposal'] },
  { customer: null, name: 'Internal', code: 'INT', billable: false, tasks: ['Training', 'Team meeting'] },
];

/** Why the seed may not run here, or undefined when it may (no directory, no people, no time data). */
export async function demoSeedObstacle(db: Knex, config: Readonly<Config>): Promise<string | undefined> {
  if (config.directory.urls.length > 0) return 'a directory is configured (directory.urls): the demo organisation is for an evaluation install without one';
  const counts = await db.transaction(async (trx) => {
    // Row security hides time data from a connection without an actor; this check must see every row.
    await trx.raw(`SET LOCAL uurwerk.bypass = 'on'`);
    const n = async (table: string) => Number(((await trx(table).count<{ n: string }[]>({ n: '*' }))[0]?.n) ?? 0);
    return { accounts: await n('accounts'), days: await n('timesheet_days'), entries: await n('time_entries'), projects: await n('projects') };
  });
  if (counts.accounts) return `this install has ${counts.accounts} account(s) already: demo:seed only fills an empty one`;
  if (counts.days || counts.entries || counts.projects) return 'this install has time data or projects already: demo:seed only fills an empty one';
  return undefined;
}

/** Weekdays (Monday–Friday) from `weeks` weeks ago up to yesterday, oldest first, in `timeZone`. */
export function demoWorkdays(weeks: number, timeZone: string, now = new Date()): string[] {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const out: string[] = [];
  for (let back = weeks * 7; back >= 1; back--) {
    const date = fmt.format(new Date(now.getTime() - back * 86_400_000));
    const dow = new Date(`${date}T12:00:00Z`).getUTCDay();
    if (dow !== 0 && dow !== 6) out.push(date);
  }
  return out;
}

/**
 * Fills an empty install with the demo organisation. Refuses (DemoSeedRefused) when a
 * directory is configured or anything exists. Returns the people with their passwords.
 */
export async function seedDemo(deps: DemoSeedDeps, actorId: string, opts: { weeks?: number; now?: Date } = {}): Promise<DemoSeedResult> {
  const obstacle = await demoSeedObstacle(deps.db, deps.config);
  if (obstacle) throw new DemoSeedRefused(obstacle);
  const log = deps.logger.child({ module: 'demo' });
  for (const team of TEAMS) await createLocalTeam(deps, team, actorId);
  const people: DemoPerson[] = [];
  const ids = new Map<string, string>();
  for (const p of PEOPLE) {
    const password = `demo-${randomBytes(12).toString('base64url')}`;
    const r = await createLocalPerson(deps, { username: p.username, displayName: p.displayName, password, roles: p.roles, teams: p.teams, adminOf: p.adminOf }, actorId);
    ids.set(p.username, r.id);
    people.push({ username: p.username, displayName: p.displayName, what: p.what, password });
  }
  log.info({ people: people.length, teams: TEAMS.length }, 'demo people and teams created');

  const operator = await loadActor(deps.db, ids.get('olga')!);
  const work: Array<{ projectId: string; taskId: string }> = [];
  for (const pr of PROJECTS) {
    const customer = pr.customer ? await createCustomer(deps.db, operator, { name: pr.customer }) : undefined;
    const project = await createProject(deps.db, operator, { name: pr.name, code: pr.code, billable: pr.billable, customer_id: customer?.id ?? null });
    for (const task of pr.tasks) work.push({ projectId: project.id, taskId: (await createTask(deps.db, operator, project.id, { name: task })).id });
  }

  const ts: TimesheetDeps = { db: deps.db, config: deps.config, keys: deps.keys, audit: deps.audit, dayFigures: reportsHook(deps) };
  const days: DemoSeedResult['days'] = { draft: 0, submitted: 0, returned: 0, approved: 0 };
  const dates = demoWorkdays(opts.weeks ?? 4, deps.config.timesheets.time_zone, opts.now);
  const employees = PEOPLE.filter((p) => p.teams?.length);
  for (const [i, p] of employees.entries()) {
    const actor = await loadActor(deps.db, ids.get(p.username)!);
    const admin = await loadActor(deps.db, ids.get(PEOPLE.find((x) => x.adminOf?.includes(p.teams![0]!))!.username)!);
    for (const [d, date] of dates.entries()) {
      const age = dates.length - d; // 1 = yesterday
      const a = work[(i + d) % work.length]!;
      const b = work[(i + d + 3) % work.length]!;
      await createEntry(ts, actor, { date, duration_minutes: 300 + ((i * 15 + d * 30) % 120), project_id: a.projectId, task_id: a.taskId, note: 'Demo entry' });
      await createEntry(ts, actor, { date, duration_minutes: 150, project_id: b.projectId, task_id: b.taskId });
      if (age <= 3) { days.draft++; continue; }
      const view = await submitDay(ts, actor, date);
      if (age <= 8) { days.submitted++; continue; }
      // One returned day per person, in the third week back: the others are approved.
      if (age === 11 + (i % 3)) {
        await returnDay(ts, admin, view.id!, 'Please check the hours on the webshop task.');
        days.returned++;
      } else {
        await approveDays(ts, admin, [view.id!]);
        days.approved++;
      }
    }
  }
  log.info(days, 'demo days recorded');
  return { people, teams: [...TEAMS], days };
}
