/**
 * Seeds the load benchmark's data set through the appliance's own API, as the test
 * factories do: people (directory-shaped accounts, sessions from the session
 * service), a project, entries in batches of 200 (`POST /me/entries/batch`) and
 * submitted days (`POST /me/days/:date/submit`).
 */
import type { Appliance } from '../../src/app/appliance.js';
import type { Config } from '../../src/platform/config.js';
import type { TestApp } from '../helpers/app.js';
import type { ApiClient } from '../helpers/client.js';
import { buildEmployee, buildOperator, buildProject, buildTeamAdmin, localDate, type BuiltPerson } from '../helpers/factories.js';

/** How big the data set is. */
export interface SeedSize {
  employees: number;
  entries: number;
  days: number;
}

/** What the scenarios need: the people with their sessions, and what to book on. */
export interface Seeded {
  admin: BuiltPerson;
  employees: BuiltPerson[];
  projectId: string;
  taskId: string;
}

/** Entries spread over this many past days; submitted days are taken from the oldest. */
export const SPAN_DAYS = 360;
const TEAM = 'bench';

/** The appliance seen as the factories' TestApp. */
export function asTestApp(app: Appliance, config: Readonly<Config>, dbUrl: string): TestApp {
  return {
    app, config, url: app.url,
    db: { name: 'bench', url: dbUrl, knex: app.db, drop: async () => undefined },
    request: (p, init) => fetch(app.url + p, init),
  };
}

/** Headers that make a raw request carry `client`'s session (cookie and CSRF token). */
export function sessionHeaders(client: ApiClient): Record<string, string> {
  const h: Record<string, string> = { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  if (client.csrf) h['x-csrf-token'] = client.csrf;
  return h;
}

async function inParallel<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
  }));
}

/** Builds the data set; prints progress to stderr (the table goes to stdout). */
export async function seed(a: TestApp, size: SeedSize): Promise<Seeded> {
  const operator = await buildOperator(a, { source: 'directory' });
  const { projectId, taskId } = await buildProject(a, { by: operator });
  const admin = await buildTeamAdmin(a, { source: 'directory', team: TEAM });
  // A team admin agrees to the confidentiality statement once before opening other people's days.
  const ack = await admin.client.json('POST', '/api/v1/privacy/confidentiality/acknowledgements', {});
  if (ack.status !== 201) throw new Error(`the confidentiality statement answered ${ack.status}: ${JSON.stringify(ack.body)}`);
  const employees: BuiltPerson[] = [];
  for (let i = 0; i < size.employees; i++) employees.push(await buildEmployee(a, { source: 'directory', team: TEAM }));

  const perEmployee = Math.ceil(size.entries / size.employees);
  const daysPerEmployee = Math.ceil(size.days / size.employees);
  await inParallel(employees, 4, async (person, n) => {
    const mine = Math.min(perEmployee, size.entries - n * perEmployee);
    for (let done = 0; done < mine; done += 200) {
      // Days 2.. back, cycling, so every day holds a few entries and today stays free for creates.
      const entries = Array.from({ length: Math.min(200, mine - done) }, (_, k) => ({
        date: localDate(2 + ((done + k) % SPAN_DAYS)), duration_minutes: 15, project_id: projectId, task_id: taskId,
      }));
      const r = await person.client.json('POST', '/api/v1/me/entries/batch', { entries });
      if (r.status !== 201) throw new Error(`batch of entries answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    const filled = Math.min(mine, SPAN_DAYS); // days 2 .. filled+1 back hold entries
    const submit = Math.min(daysPerEmployee, size.days - n * daysPerEmployee, filled);
    for (let d = 0; d < submit; d++) {
      const r = await person.client.json('POST', `/api/v1/me/days/${localDate(1 + filled - d)}/submit`);
      if (r.status !== 200) throw new Error(`submitting a day answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    if ((n + 1) % 10 === 0) process.stderr.write(`seeded ${n + 1}/${employees.length} employees\n`);
  });
  return { admin, employees, projectId, taskId };
}
