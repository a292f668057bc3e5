import type { ExecutionContext } from 'ava';
import { currentTotp } from '../../src/identity/totp.js';
import type { Role } from '../../src/identity/repository.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';

/** A signed-in person for timesheet tests. */
export interface Person {
  id: string;
  username: string;
  c: ApiClient;
  /** The TOTP secret, when the person had to enrol. */
  secret?: string;
}

/** Starts the app with a project and a task to book on. */
export async function timesheetApp(t: ExecutionContext, overrides: Record<string, unknown> = {}): Promise<{ a: TestApp; projectId: string; taskId: string }> {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 30 }, ...overrides });
  const [p] = (await a.db.knex('projects').insert({ name: 'Ward rota', billable: true }).returning('id')) as Array<{ id: string }>;
  const [task] = (await a.db.knex('tasks').insert({ project_id: p!.id, name: 'Planning' }).returning('id')) as Array<{ id: string }>;
  return { a, projectId: p!.id, taskId: task!.id };
}

/**
 * Builds a local account, gives it roles (team_admin of `adminOf`; in the scope of
 * `inTeam`), signs in through the real API and enrols TOTP when the role needs it.
 */
export async function person(a: TestApp, opts: { roles?: Role[]; adminOf?: string; inTeam?: string; email?: string } = {}): Promise<Person> {
  const roles = (opts.roles ?? ['employee']).filter((r) => r !== 'team_admin');
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles, email: opts.email });
  if (opts.adminOf) await a.db.knex('role_assignments').insert({ account_id: u.id, role: 'team_admin', team: opts.adminOf, reason: 'test', source: 'local' });
  if (opts.inTeam) await a.db.knex('team_scope_members').insert({ team: opts.inTeam, account_id: u.id, via: 'test' });
  const c = new ApiClient(a.url);
  const r = await c.json<{ state: string }>('POST', '/api/v1/session', { username: u.username, password: GOOD_PASSWORD, source: 'local' });
  if (r.status !== 200) throw new Error(`sign-in: ${r.status} ${JSON.stringify(r.body)}`);
  let secret: string | undefined;
  if (r.body.state === 'totp_enrolment_required') {
    const start = await c.json<{ secret: string }>('POST', '/api/v1/me/totp/enrolment', { password: GOOD_PASSWORD });
    const confirm = await c.json('POST', '/api/v1/me/totp/confirm', { code: await currentTotp(start.body.secret) });
    if (confirm.status !== 200) throw new Error(`enrolment: ${confirm.status} ${JSON.stringify(confirm.body)}`);
    secret = start.body.secret;
  }
  return { id: u.id, username: u.username, c, secret };
}

/** Today's date in Europe/Amsterdam minus n days (entries must lie within the allowed window). */
export function daysAgo(n: number, tz = 'Europe/Amsterdam'): string {
  const d = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() - n * 86400_000));
  return d;
}

/** An instant on a local Amsterdam date at hh:mm (CET/CEST offset worked out by Intl). */
export function at(date: string, hhmm: string): string {
  // Amsterdam is UTC+1 or UTC+2; find the offset for that wall time.
  for (const off of ['+01:00', '+02:00']) {
    const iso = `${date}T${hhmm}:00${off}`;
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
    if (local === hhmm) return iso;
  }
  throw new Error(`no such local time ${date} ${hhmm}`);
}
