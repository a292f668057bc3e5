/**
 * Test factories in the style of Outline's `buildUser` / `buildAdmin` /
 * `buildDraftDocument`: one call gives a valid person, session, project or day, made
 * through the appliance's own services and HTTP API (never raw inserts into
 * encrypted tables), so what a factory builds stays what the product would build.
 *
 *   const a = await startTestApp(t);
 *   const admin = await buildTeamAdmin(a, { team: 'ward-3' });
 *   const nurse = await buildEmployee(a, { team: 'ward-3' });
 *   const { projectId } = await buildProject(a);
 *   const day = await buildDay(a, nurse, { state: 'returned', admin });
 */
import { createHash, randomUUID } from 'node:crypto';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { createLocalAccount, sessionState, type SessionState } from '../../src/identity/auth-service.js';
import { cookiePolicy } from '../../src/identity/http.js';
import { createSession, csrfTokenFor } from '../../src/identity/sessions-service.js';
import { currentTotp } from '../../src/identity/totp.js';
import type { Role } from '../../src/identity/repository.js';
import type { AuditLog } from '../../src/audit/service.js';
import type { Knex } from '../../src/platform/db.js';
import type { TestApp } from './app.js';
import { ApiClient } from './client.js';

/** A password that passes the policy (long, not on the common list). */
export const GOOD_PASSWORD = 'plum-orbit-canal-47-lantern';

/**
 * bcrypt cost of the factories' fixture hashes. The product hashes at cost 12 (about
 * 0.3 s of CPU here), and a sign-in check costs what the stored hash's cost says: at
 * 12, each factory person (create, sign in, confirm the password for TOTP) spent
 * ~0.9 s of CPU, most of the suite's time. Cost 4 is the same bcrypt code path at
 * 1/256 of the work. Hashes made by the product itself (API, CLI, password change)
 * stay at cost 12, and test/identity/passwords.test.ts and test/cli/operator.test.ts
 * check that they do.
 */
const FIXTURE_BCRYPT_COST = 4;
const fixtureHashes = new Map<string, Promise<string>>();

/** bcrypt at FIXTURE_BCRYPT_COST over the same SHA-256 pre-hash as src/identity/passwords.ts; one per password per file. */
function fixtureHash(password: string): Promise<string> {
  let h = fixtureHashes.get(password);
  if (!h) {
    h = bcryptHash(createHash('sha256').update(password.normalize('NFKC'), 'utf8').digest('base64'), FIXTURE_BCRYPT_COST);
    fixtureHashes.set(password, h);
  }
  return h;
}

/** Builds a local account with the given roles (fixture hash, see FIXTURE_BCRYPT_COST); returns its id. */
export async function buildLocalAccount(db: Knex, audit: AuditLog, opts: { username?: string; password?: string; roles?: Role[]; email?: string } = {}): Promise<{ id: string; username: string; password: string }> {
  const username = opts.username ?? `user${randomUUID().slice(0, 8)}`;
  const password = opts.password ?? GOOD_PASSWORD;
  const id = await createLocalAccount({ db, audit, hash: fixtureHash }, { username, password, roles: opts.roles ?? ['employee'], email: opts.email }, 'test');
  await audit.flush(); // chained, as after the request that would have created it
  return { id, username, password };
}

/** Builds a directory account row as the sync would have made it. */
export async function buildDirectoryAccount(db: Knex, opts: { username: string; roles?: Role[]; team?: string }): Promise<string> {
  const [row] = await db('accounts')
    .insert({ source: 'directory', username: opts.username, directory_id: randomUUID(), dn: `CN=${opts.username},OU=Staff,DC=corp,DC=example,DC=test`, display_name: opts.username })
    .returning('id');
  const id = (row as { id: string }).id;
  for (const role of opts.roles ?? ['employee']) {
    await db('role_assignments').insert({ account_id: id, role, team: role === 'team_admin' ? (opts.team ?? 'team-a') : '', reason: `CN=${role},OU=Groups,DC=corp,DC=example,DC=test`, source: 'directory' });
  }
  return id;
}

/** How far a factory-made session got: both factors, or the password step only. */
export type SignInStep = 'complete' | 'password-only';

/** A person the factories made, with a client signed in as them. */
export interface BuiltPerson {
  id: string;
  username: string;
  /** Only local accounts have one; directory passwords live in the directory. */
  password?: string;
  source: 'local' | 'directory';
  /** A cookie client with the session's CSRF token, like a page in a browser. */
  client: ApiClient;
  /** What the session may do: 'authenticated', or which second-factor step is missing. */
  state: SessionState;
  /** The TOTP secret, when the person enrolled. */
  totpSecret?: string;
}

/** Options every person factory takes. */
export interface PersonOptions {
  /** 'directory': an account as the directory sync makes it (session from the session service). */
  source?: 'local' | 'directory';
  /** The team whose admins' scope holds this person. */
  team?: string;
  email?: string;
  /** 'password-only' stops before the second factor (default 'complete'). */
  signIn?: SignInStep;
}

/**
 * A code the appliance will accept now: each 30 s step's code works once, so a second
 * sign-in within the step of the last one uses the next step's code (±1 step is allowed),
 * waiting only when even that one is used up.
 */
export async function unusedTotp(a: TestApp, username: string, secret: string): Promise<string> {
  for (;;) {
    const row = await a.db.knex('totp_factors').join('accounts', 'accounts.id', 'totp_factors.account_id').where('accounts.username', username).first<{ last_step: string | null } | undefined>('totp_factors.last_step');
    const last = Number(row?.last_step ?? 0);
    const now = Math.floor(Date.now() / 30_000);
    const step = Math.max(now, last + 1);
    if (step <= now + 1) return currentTotp(secret, step * 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/**
 * Signs in through the real API (`POST /api/v1/session`) and, with `step`
 * 'complete', finishes the second factor: enrols TOTP when the account has none,
 * or answers with a code from `totpSecret`.
 */
export async function signIn(a: TestApp, who: { username: string; password: string; totpSecret?: string }, step: SignInStep = 'complete'): Promise<{ client: ApiClient; state: SessionState; totpSecret?: string }> {
  const client = new ApiClient(a.url);
  const r = await client.json<{ state: SessionState }>('POST', '/api/v1/session', { username: who.username, password: who.password, source: 'local' });
  if (r.status !== 200) throw new Error(`sign-in answered ${r.status}: ${JSON.stringify(r.body)}`);
  if (step === 'password-only' || r.body.state === 'authenticated') return { client, state: r.body.state, totpSecret: who.totpSecret };
  if (r.body.state === 'second_factor_required') {
    if (!who.totpSecret) throw new Error('a second factor is required but no TOTP secret is known');
    const done = await client.json<{ state: SessionState }>('POST', '/api/v1/session/second-factor', { code: await unusedTotp(a, who.username, who.totpSecret) });
    if (done.status !== 200) throw new Error(`second factor answered ${done.status}: ${JSON.stringify(done.body)}`);
    return { client, state: done.body.state, totpSecret: who.totpSecret };
  }
  const start = await client.json<{ secret: string }>('POST', '/api/v1/me/totp/enrolment', { password: who.password });
  const confirm = await client.json<{ state?: SessionState }>('POST', '/api/v1/me/totp/confirm', { code: await currentTotp(start.body.secret) });
  if (confirm.status !== 200) throw new Error(`TOTP enrolment answered ${confirm.status}: ${JSON.stringify(confirm.body)}`);
  return { client, state: confirm.body.state ?? 'authenticated', totpSecret: start.body.secret };
}

/**
 * A session for any account straight from the session service, as if it had signed
 * in: for directory accounts, whose password check needs a directory server.
 */
export async function sessionFor(a: TestApp, accountId: string, opts: { secondFactorDone?: boolean } = {}): Promise<ApiClient> {
  const { token } = await createSession(a.db.knex, { accountId, secondFactorDone: opts.secondFactorDone ?? true, userAgent: 'test factory' }, a.config.auth);
  const client = new ApiClient(a.url);
  client.cookies.set(cookiePolicy(a.config, a.url.startsWith('https:')).name, token);
  client.csrf = csrfTokenFor(token);
  return client;
}

async function joinTeam(a: TestApp, accountId: string, team: string | undefined): Promise<void> {
  if (team) await a.db.knex('team_scope_members').insert({ team, account_id: accountId, via: 'test factory' });
}

/** Builds a person with `roles` (plus team admin of `adminOf`) and signs them in. */
export async function buildPerson(a: TestApp, roles: Role[], opts: PersonOptions & { adminOf?: string } = {}): Promise<BuiltPerson> {
  const username = `${opts.adminOf ? 'team-admin' : (roles[0] ?? 'person')}-${randomUUID().slice(0, 8)}`;
  if (opts.source === 'directory') {
    const all: Role[] = opts.adminOf ? [...roles, 'team_admin'] : roles;
    const id = await buildDirectoryAccount(a.db.knex, { username, roles: all, team: opts.adminOf });
    await joinTeam(a, id, opts.team);
    const done = (opts.signIn ?? 'complete') === 'complete';
    const client = await sessionFor(a, id, { secondFactorDone: done });
    return { id, username, source: 'directory', client, state: await sessionState(a.db.knex, a.config, id, done) };
  }
  const account = await buildLocalAccount(a.db.knex, a.app.services.audit, { username, roles: roles.filter((r) => r !== 'team_admin'), email: opts.email });
  // Team admins come from directory groups in production; a local one is a test shortcut.
  if (opts.adminOf) await a.db.knex('role_assignments').insert({ account_id: account.id, role: 'team_admin', team: opts.adminOf, reason: 'test factory', source: 'local' });
  await joinTeam(a, account.id, opts.team);
  const s = await signIn(a, account, opts.signIn);
  return { id: account.id, username, password: account.password, source: 'local', ...s };
}

/** An employee, in the scope of `team` when given. */
export function buildEmployee(a: TestApp, opts: PersonOptions = {}): Promise<BuiltPerson> {
  return buildPerson(a, ['employee'], opts);
}

/** A team admin whose scope is `team` (default 'team-a'); enrolled in TOTP. */
export function buildTeamAdmin(a: TestApp, opts: PersonOptions & { team?: string } = {}): Promise<BuiltPerson> {
  return buildPerson(a, ['employee'], { ...opts, team: undefined, adminOf: opts.team ?? 'team-a' });
}

/** An operator; enrolled in TOTP. */
export function buildOperator(a: TestApp, opts: PersonOptions = {}): Promise<BuiltPerson> {
  return buildPerson(a, ['operator'], opts);
}

/** An auditor; enrolled in TOTP when the configuration asks it of auditors. */
export function buildAuditor(a: TestApp, opts: PersonOptions = {}): Promise<BuiltPerson> {
  return buildPerson(a, ['auditor'], opts);
}

/** A privacy officer (`dpo`); enrolled in TOTP. */
export function buildDpo(a: TestApp, opts: PersonOptions = {}): Promise<BuiltPerson> {
  return buildPerson(a, ['dpo'], opts);
}

/** The local date `daysBack` days before today in `timeZone` (entries must lie in the allowed window). */
export function localDate(daysBack = 1, timeZone = 'Europe/Amsterdam'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() - daysBack * 86_400_000));
}

async function expect<T>(p: Promise<{ status: number; body: T }>, status: number, what: string): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * A project with one task, made through the master-data API by `by` (an operator,
 * or a team admin of `team`); builds an operator when none is given.
 */
export async function buildProject(a: TestApp, opts: { by?: BuiltPerson; team?: string; name?: string } = {}): Promise<{ projectId: string; taskId: string }> {
  const by = opts.by ?? (await buildOperator(a));
  const name = opts.name ?? `Project ${randomUUID().slice(0, 6)}`;
  const project = await expect(by.client.json<{ id: string }>('POST', '/api/v1/projects', { name, billable: true, ...(opts.team ? { team: opts.team } : {}) }), 201, 'creating a project');
  const task = await expect(by.client.json<{ id: string }>('POST', `/api/v1/projects/${project.id}/tasks`, { name: 'Planning' }), 201, 'creating a task');
  return { projectId: project.id, taskId: task.id };
}

/** An entry of `owner` on `date` (default yesterday) lasting `minutes` (default 480), through the API. */
export async function buildEntry(owner: BuiltPerson, opts: { projectId: string; taskId?: string; date?: string; minutes?: number; note?: string }): Promise<{ id: string; date: string }> {
  const date = opts.date ?? localDate(1);
  const body = { date, duration_minutes: opts.minutes ?? 480, project_id: opts.projectId, task_id: opts.taskId ?? null, ...(opts.note === undefined ? {} : { note: opts.note }) };
  const entry = await expect(owner.client.json<{ id: string }>('POST', '/api/v1/me/entries', body), 201, 'creating an entry');
  return { id: entry.id, date };
}

/** Where a day is in its workflow. */
export type DayState = 'draft' | 'submitted' | 'returned' | 'approved';

/**
 * A day of `owner` with one entry, taken through the real workflow to `state`:
 * 'draft' (recorded), 'submitted', 'returned' (by `admin`, with a comment) or
 * 'approved' (by `admin`). `admin` must be a team admin whose scope holds the owner.
 */
export async function buildDay(
  owner: BuiltPerson,
  opts: { projectId: string; taskId?: string; state: DayState; date?: string; admin?: BuiltPerson; comment?: string },
): Promise<{ id: string | null; date: string; entryId: string; state: DayState }> {
  const entry = await buildEntry(owner, { projectId: opts.projectId, taskId: opts.taskId, date: opts.date });
  if (opts.state === 'draft') {
    const day = await expect(owner.client.json<{ id: string | null }>('GET', `/api/v1/me/days/${entry.date}`), 200, 'reading the day');
    return { id: day.id ?? null, date: entry.date, entryId: entry.id, state: 'draft' };
  }
  const day = await expect(owner.client.json<{ id: string; state: string }>('POST', `/api/v1/me/days/${entry.date}/submit`), 200, 'submitting the day');
  if (opts.state !== 'submitted') {
    if (!opts.admin) throw new Error(`a ${opts.state} day needs an admin whose scope holds its owner`);
    const action = opts.state === 'returned' ? 'return' : 'approve';
    const body = opts.state === 'returned' ? { comment: opts.comment ?? 'please check the hours' } : undefined;
    await expect(opts.admin.client.json('POST', `/api/v1/days/${day.id}/${action}`, body), 200, `${action} of the day`);
  }
  return { id: day.id, date: entry.date, entryId: entry.id, state: opts.state };
}
