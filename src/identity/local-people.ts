import { randomBytes } from 'node:crypto';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { KeyService } from '../keys/types.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../platform/errors.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { addTeamMemberIn, assertTeamExists, grantLocalRoleIn, removeTeamMemberIn, revokeLocalRoleIn, LOCAL_VIA, type LocalAdminDeps } from './local-teams.js';
import { resetTokenHash } from './password-reset.js';
import { hashPassword, passwordFieldProblem } from './passwords.js';
import { idConflict, idProblem } from './problems.js';
import { accountById, localAccountByName, otherActiveOperators } from './repository.js';
import { recordEndedTokens, revokeAccess } from './sessions.js';
import { ROLES, type AccountRow, type Role } from './types.js';

/**
 * Local people, managed by operators: create, edit, deactivate (sites without a
 * directory, or beside one). Passwords: an operator never learns one. A new person
 * gets a set-password mail (the password-reset flow, with a longer-lived link), so
 * the operator cannot sign in as them and nothing has to be "changed on first use".
 * Only the command line may set an initial password (`--password-file`), for sites
 * without mail and for the demo organisation.
 */

/** What creating and mailing people needs (the mail is sealed under the key service). */
export interface LocalPeopleDeps extends LocalAdminDeps {
  keys: KeyService;
}

/** How long a set-password link for a new person works: a welcome mail may wait over a weekend. */
export const SET_PASSWORD_LINK_HOURS = 72;

/** A new local person. `roles` are global roles; team admin comes with `adminOf`. */
export interface NewLocalPerson {
  username: string;
  displayName?: string;
  email?: string;
  /** Only from the command line; without one the person gets a set-password mail. */
  password?: string;
  roles?: string[];
  teams?: string[];
  adminOf?: string[];
}

/** Changes to a person; lists replace the local rows (directory rows stay). */
export interface LocalPersonChanges {
  displayName?: string;
  email?: string | null;
  roles?: string[];
  teams?: string[];
  adminOf?: string[];
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function fieldProblems(input: { username?: string; displayName?: string; email?: string | null; roles?: string[] }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.username !== undefined && !USERNAME.test(input.username)) problems.push(idProblem('username', 'username.form'));
  if (input.displayName !== undefined && (input.displayName.trim() === '' || input.displayName.length > 200)) problems.push(idProblem('display_name', 'display_name.length'));
  if (input.email && !EMAIL.test(input.email)) problems.push(idProblem('email', 'email.form'));
  for (const r of input.roles ?? []) {
    if (r === 'team_admin') problems.push(idProblem('roles', 'roles.team_admin'));
    else if (!ROLES.includes(r as Role)) problems.push(idProblem('roles', 'roles.unknown', { role: r, roles: ROLES.filter((x) => x !== 'team_admin').join(', ') }));
  }
  return problems;
}

async function teamProblems(db: Knex, deps: LocalAdminDeps, teams: string[] | undefined, field: string): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  for (const team of teams ?? []) {
    try {
      await assertTeamExists(db, deps.config, team, field);
    } catch (err) {
      if (err instanceof ValidationError) problems.push(...err.fields);
      else throw err;
    }
  }
  return problems;
}

/**
 * Creates a local person with roles, team memberships and team-admin grants, all
 * audited in one transaction. Without a password a set-password link is mailed (a
 * mail address is then required). Returns the id and whether a mail went out.
 */
export async function createLocalPerson(deps: LocalPeopleDeps, input: NewLocalPerson, actorId: string): Promise<{ id: string; mailed: boolean }> {
  const problems = fieldProblems(input);
  if (input.password !== undefined) {
    const pw = passwordFieldProblem('password', input.password, input.username);
    if (pw) problems.push(pw);
  } else if (!input.email) {
    problems.push(idProblem('email', 'email.needed'));
  }
  problems.push(...(await teamProblems(deps.db, deps, input.teams, 'teams')), ...(await teamProblems(deps.db, deps, input.adminOf, 'admin_of')));
  if (problems.length) throw new ValidationError(problems);
  // Without a password the stored hash is of a random secret nobody knows: the account
  // cannot be signed into until the link is used.
  const hash = await hashPassword(input.password ?? randomBytes(32).toString('base64url'));
  const roles = [...new Set(input.roles?.length ? input.roles : ['employee'])];
  return deps.db.transaction(async (trx) => {
    if (await localAccountByName(trx, input.username)) throw idConflict('already_exists', 'account.exists', { username: input.username });
    const [row] = (await trx('accounts')
      .insert({ source: 'local', username: input.username, display_name: input.displayName ?? input.username, email: input.email ?? null })
      .returning('id')) as Array<{ id: string }>;
    const id = row!.id;
    await trx('local_credentials').insert({ account_id: id, password_hash: hash });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.accountCreated, actorId, subjectId: id, object: { type: 'account', id }, payload: { source: 'local', roles, password: input.password === undefined ? 'mailed link' : 'set by operator' } });
    for (const role of roles) await grantLocalRoleIn(trx, deps, id, role, undefined, actorId);
    for (const team of new Set(input.teams ?? [])) await addTeamMemberIn(trx, deps, team, id, actorId);
    for (const team of new Set(input.adminOf ?? [])) await grantLocalRoleIn(trx, deps, id, 'team_admin', team, actorId);
    if (input.password === undefined) await mailSetPasswordLink(trx, deps, { id, username: input.username, email: input.email! }, actorId);
    return { id, mailed: input.password === undefined };
  });
}

/**
 * Queues a set-password mail (sealed in the outbox: the link is a secret) with a
 * reset token the existing /password-reset page accepts.
 */
async function mailSetPasswordLink(trx: Knex.Transaction, deps: LocalPeopleDeps, who: { id: string; username: string; email: string }, actorId: string): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const base = (deps.config.server.public_url ?? `http://${deps.config.server.host}:${deps.config.server.port}`).replace(/\/$/, '');
  await trx('password_resets').where({ account_id: who.id }).whereNull('used_at').update({ used_at: trx.fn.now() });
  await trx('password_resets').insert({ token_hash: resetTokenHash(token), account_id: who.id, expires_at: trx.raw(`now() + make_interval(hours => ?)`, [SET_PASSWORD_LINK_HOURS]) });
  await enqueueMail(trx, {
    to: [who.email],
    subject: 'Uurwerk: choose your password / kies uw wachtwoord',
    text: [
      `An account ${who.username} was made for you in Uurwerk. Choose your password with this link (it works once, for ${SET_PASSWORD_LINK_HOURS} hours):`,
      `${base}/password-reset?token=${token}`,
      '',
      `Er is een account ${who.username} voor u aangemaakt in Uurwerk. Kies uw wachtwoord met deze link (één keer te gebruiken, ${SET_PASSWORD_LINK_HOURS} uur geldig).`,
    ].join('\n'),
  }, { cipher: deps.keys });
  await deps.audit.record(trx, { action: AUDIT_ACTIONS.setPasswordMailed, actorId, subjectId: who.id, object: { type: 'account', id: who.id } });
}

/** Sends a new set-password mail to a local person (lost or expired link). */
export async function resendSetPasswordMail(deps: LocalPeopleDeps, accountId: string, actorId: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const a = await accountById(trx, accountId);
    if (!a) throw new NotFoundError('No such account');
    if (a.source !== 'local') throw idConflict('directory_account', 'directory.password');
    if (!a.email) throw new ValidationError([idProblem('email', 'email.none')]);
    await mailSetPasswordLink(trx, deps, { id: a.id, username: a.username, email: a.email }, actorId);
  });
}

/** Makes `want` the set of local rows, given the local rows held now; returns whether anything changed. */
async function reconcile(held: string[], want: string[], add: (x: string) => Promise<unknown>, remove: (x: string) => Promise<unknown>): Promise<boolean> {
  const w = new Set(want);
  const h = new Set(held);
  for (const x of h) if (!w.has(x)) await remove(x);
  for (const x of w) if (!h.has(x)) await add(x);
  return [...w].some((x) => !h.has(x)) || [...h].some((x) => !w.has(x));
}

/**
 * Edits a person. Name and mail only of local accounts (the directory owns a directory
 * person's fields); roles, teams and team-admin grants of anyone, as local rows beside
 * whatever the directory grants. Audited per change, in one transaction.
 */
export async function updateLocalPerson(deps: LocalPeopleDeps, accountId: string, changes: LocalPersonChanges, actorId: string): Promise<AccountRow> {
  const problems = fieldProblems(changes);
  problems.push(...(await teamProblems(deps.db, deps, changes.teams, 'teams')), ...(await teamProblems(deps.db, deps, changes.adminOf, 'admin_of')));
  if (problems.length) throw new ValidationError(problems);
  return deps.db.transaction(async (trx) => {
    const a = await accountById(trx, accountId);
    if (!a) throw new NotFoundError('No such account');
    const fields: Record<string, string | null> = {};
    if (changes.displayName !== undefined && changes.displayName !== a.display_name) fields.display_name = changes.displayName;
    if (changes.email !== undefined && (changes.email || null) !== a.email) fields.email = changes.email || null;
    if (Object.keys(fields).length) {
      if (a.source !== 'local') throw new ValidationError(Object.keys(fields).map((field) => idProblem(field, 'field.directory')));
      await trx('accounts').where({ id: a.id }).update({ ...fields, updated_at: trx.fn.now() });
      await deps.audit.record(trx, { action: AUDIT_ACTIONS.accountUpdated, actorId, subjectId: a.id, object: { type: 'account', id: a.id }, payload: { fields: Object.keys(fields) } });
    }
    const local = (await trx('role_assignments').where({ account_id: a.id, source: 'local' }).select('role', 'team')) as Array<{ role: Role; team: string }>;
    if (changes.roles) {
      await reconcile(local.filter((r) => r.role !== 'team_admin').map((r) => r.role), changes.roles,
        (r) => grantLocalRoleIn(trx, deps, a.id, r, undefined, actorId), (r) => revokeLocalRoleIn(trx, deps, a.id, r, undefined, actorId));
    }
    if (changes.adminOf) {
      await reconcile(local.filter((r) => r.role === 'team_admin').map((r) => r.team), changes.adminOf,
        (t) => grantLocalRoleIn(trx, deps, a.id, 'team_admin', t, actorId), (t) => revokeLocalRoleIn(trx, deps, a.id, 'team_admin', t, actorId));
    }
    if (changes.teams) {
      const held = ((await trx('team_scope_members').where({ account_id: a.id, source: 'local', via: LOCAL_VIA }).select('team')) as Array<{ team: string }>).map((r) => r.team);
      await reconcile(held, changes.teams, (t) => addTeamMemberIn(trx, deps, t, a.id, actorId), (t) => removeTeamMemberIn(trx, deps, t, a.id, actorId));
    }
    return (await accountById(trx, a.id))!;
  });
}

/**
 * Deactivates a local person: they cannot sign in (status 'disabled'), every session
 * and personal API token ends, audited. Their time data stays for retention. The last
 * active operator cannot be deactivated.
 */
export async function deactivateLocalPerson(deps: LocalPeopleDeps, accountId: string, actorId: string): Promise<{ sessions: number }> {
  return deps.db.transaction(async (trx) => {
    const a = await trx('accounts').where({ id: accountId }).forUpdate().first() as AccountRow | undefined;
    if (!a) throw new NotFoundError('No such account');
    if (a.source !== 'local') throw idConflict('directory_account', 'directory.disable');
    if (a.status !== 'active') return { sessions: 0 };
    const isOperator = await trx('role_assignments').where({ account_id: a.id, role: 'operator' }).first('role');
    if (isOperator && (await otherActiveOperators(trx, a.id)) === 0) throw new ConflictError('This is the last active operator; name another operator first', 'last_operator');
    await trx('accounts').where({ id: a.id }).update({ status: 'disabled', status_reason: 'deactivated by an operator', status_changed_at: trx.fn.now(), updated_at: trx.fn.now() });
    const ended = await revokeAccess(trx, a.id, 'account deactivated');
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.accountDeactivatedByOperator, actorId, subjectId: a.id, object: { type: 'account', id: a.id }, payload: { sessions: ended.sessions } });
    await recordEndedTokens(deps.audit, trx, actorId, a.id, 'account deactivated', ended);
    return { sessions: ended.sessions };
  });
}

/** Lets a deactivated local person sign in again (audited). */
export async function reactivateLocalPerson(deps: LocalPeopleDeps, accountId: string, actorId: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const a = await accountById(trx, accountId);
    if (!a) throw new NotFoundError('No such account');
    if (a.source !== 'local') throw idConflict('directory_account', 'directory.enable');
    if (a.status === 'active') return;
    await trx('accounts').where({ id: a.id }).update({ status: 'active', status_reason: null, status_changed_at: trx.fn.now(), updated_at: trx.fn.now() });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.accountReactivatedByOperator, actorId, subjectId: a.id, object: { type: 'account', id: a.id } });
  });
}
