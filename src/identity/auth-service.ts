import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { AppError, UnauthenticatedError, ValidationError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { assertEnrolmentNotHeld } from './enrolment-hold.js';
import { hashPassword, passwordFieldProblem, verifyAgainstDummy, verifyPassword, type PasswordVerifier } from './passwords.js';
import { idConflict, idProblem } from './problems.js';
import { needsSecondFactor, type Actor } from './policy.js';
import type { AccountRow, Role } from './repository.js';
import { recordEndedTokens, revokeAccess, type Revocation } from './sessions.js';
import { createSession, revokeSession, type LiveSession } from './sessions-service.js';
import { assertNotThrottled, clearFailures, recordFailure, throttleKeys, ThrottledError } from './throttle.js';
import { checkTotp, newRecoveryCodes, newTotpSecret, qrSvg, recoveryCodeHash, totpUri } from './totp.js';

/** Checks a directory user's password by binding as them (their password is never stored). */
export interface DirectoryAuthenticator {
  verify(dn: string, password: string): Promise<boolean>;
}

/** What the sign-in operations need, passed explicitly. */
export interface AuthDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
  logger: Logger;
  directory?: DirectoryAuthenticator;
  /** The bcrypt check (default `verifyPassword`); tests inject a counting one. */
  verifyPassword?: PasswordVerifier;
}

/** Where a request came from, for throttling and the audit trail. */
export interface RequestMeta {
  address: string;
  userAgent?: string;
}

/** Where a session stands after a step of the sign-in. */
export type SessionState = 'authenticated' | 'second_factor_required' | 'totp_enrolment_required';

export interface SessionGrant {
  token: string;
  sessionId: string;
  accountId: string;
  state: SessionState;
}

const totpRef = (accountId: string, column: 'secret' | 'pending_secret') => ({ table: 'totp_factors', column, rowId: accountId });

/** The roles and teams of an account, plus whether it has a confirmed second factor. */
export async function loadActor(db: Knex | Knex.Transaction, accountId: string): Promise<Actor & { hasFactor: boolean }> {
  const rows = (await db('role_assignments').where({ account_id: accountId }).select('role', 'team')) as Array<{ role: Role; team: string }>;
  const factor = await db('totp_factors').where({ account_id: accountId }).whereNotNull('confirmed_at').first('account_id');
  return {
    accountId,
    roles: new Set(rows.map((r) => r.role)),
    teams: new Set(rows.filter((r) => r.role === 'team_admin').map((r) => r.team)),
    hasFactor: factor !== undefined,
  };
}

/** How many of an account's recovery codes are still unused. */
export async function recoveryCodesLeft(db: Knex | Knex.Transaction, accountId: string): Promise<number> {
  const row = await db('recovery_codes').where({ account_id: accountId }).whereNull('used_at').count<{ n: string }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** The state a session is in, given whether its second factor is done. */
export async function sessionState(db: Knex | Knex.Transaction, config: Readonly<Config>, accountId: string, secondFactorDone: boolean): Promise<SessionState> {
  if (secondFactorDone) return 'authenticated';
  const actor = await loadActor(db, accountId);
  if (!needsSecondFactor(actor.roles, actor.hasFactor, config.auth)) return 'authenticated';
  return actor.hasFactor ? 'second_factor_required' : 'totp_enrolment_required';
}

/**
 * Checks a password with the same expensive work on every path, so the time taken
 * does not tell which names exist: a local name costs one bcrypt verify (against a
 * dummy hash when the account is unknown, inactive or has no password), a directory
 * name one bind (as a DN that does not exist when the account is unknown or
 * inactive, so the connect-and-bind work is the same; the directory refuses it).
 */
async function checkPassword(deps: AuthDeps, account: AccountRow | undefined, password: string, source: AccountRow['source'] = account?.source ?? 'local'): Promise<boolean> {
  const verify = deps.verifyPassword ?? verifyPassword;
  const dummy = async (): Promise<false> => {
    if (source === 'directory' && deps.directory) {
      await deps.directory.verify(noSuchDn(deps.config), password);
      return false;
    }
    return verifyAgainstDummy(password, verify);
  };
  if (!account || account.status !== 'active') return dummy();
  if (account.source === 'local') {
    const cred = await deps.db('local_credentials').where({ account_id: account.id }).first('password_hash');
    return cred ? verify(password, cred.password_hash) : dummy();
  }
  if (!deps.directory || !account.dn) return dummy();
  return deps.directory.verify(account.dn, password);
}

/** A DN under the first base DN that no account has (for the equal-work bind). */
function noSuchDn(config: Readonly<Config>): string {
  return `CN=uurwerk-no-such-user,${config.directory.base_dns[0] ?? 'DC=invalid'}`;
}

/**
 * Step one of signing in: username and password (local bcrypt, or an LDAP bind for
 * directory accounts). Throttled per account and per address; every failure is
 * audited. Starts a new session (never reuses one); whether it is usable yet depends
 * on the second factor.
 */
export async function signIn(deps: AuthDeps, input: { username: string; password: string; source: 'local' | 'directory' }, meta: RequestMeta): Promise<SessionGrant> {
  const keys = throttleKeys(input.source, input.username, meta.address);
  const account = (await deps.db('accounts')
    .where({ source: input.source })
    .andWhereRaw('lower(username) = lower(?)', [input.username])
    .orderByRaw(`status = 'active' DESC`)
    .first()) as AccountRow | undefined;
  try {
    await assertNotThrottled(deps.db, [keys.account, keys.address]);
  } catch (err) {
    if (err instanceof ThrottledError) await auditFailure(deps, account, 'throttled', meta);
    throw err;
  }
  const ok = await checkPassword(deps, account, input.password, input.source);
  if (!ok || !account) {
    await deps.db.transaction(async (trx) => {
      await recordFailure(trx, keys.account, deps.config.auth.account_max_failures, deps.config.auth);
      await recordFailure(trx, keys.address, deps.config.auth.address_max_failures, deps.config.auth);
    });
    await auditFailure(deps, account, !account ? 'unknown_account' : account.status !== 'active' ? `account_${account.status}` : 'bad_password', meta);
    throw new UnauthenticatedError('Invalid username or password');
  }
  return deps.db.transaction(async (trx) => {
    await clearFailures(trx, keys.account);
    const state = await sessionState(trx, deps.config, account.id, false);
    const { id, token } = await createSession(trx, { accountId: account.id, secondFactorDone: state === 'authenticated', remoteAddress: meta.address, userAgent: meta.userAgent }, deps.config.auth);
    await deps.audit.record(trx, {
      action: AUDIT_ACTIONS.loginSucceeded, actorId: account.id, subjectId: account.id, object: { type: 'session', id },
      payload: { source: account.source, state }, personal: { address: meta.address },
    });
    return { token, sessionId: id, accountId: account.id, state };
  });
}

/**
 * The key subject that seals the source address of sign-in failures for names that
 * match no account: per-year data keys, so the addresses can be shredded by year once
 * the sign-in records' retention has passed.
 */
export const UNKNOWN_SIGN_IN_SUBJECT = 'system:sign-in';

async function auditFailure(deps: AuthDeps, account: AccountRow | undefined, reason: string, meta: RequestMeta): Promise<void> {
  // A refused sign-in changes nothing but the throttle counters: its event joins the
  // group commit of other such events (a password spray costs a commit per group, not per try).
  await deps.audit.append({
    action: AUDIT_ACTIONS.loginFailed,
    actorId: account?.id ?? 'anonymous',
    // The address is personal data: stored only encrypted, under the account's key or,
    // for a name that matches no account, under the sign-in records' own subject.
    subjectId: account?.id ?? UNKNOWN_SIGN_IN_SUBJECT,
    payload: { reason },
    personal: { address: meta.address },
  });
}

/**
 * Step two: a TOTP code (each accepted once, ±1 step of drift) or a single-use
 * recovery code. On success the session is replaced by a new one (new id and token).
 */
export async function completeSecondFactor(deps: AuthDeps, session: LiveSession, input: { code?: string; recoveryCode?: string }, meta: RequestMeta): Promise<SessionGrant> {
  const keys = throttleKeys('second-factor', session.accountId, meta.address);
  await assertNotThrottled(deps.db, [keys.account]);
  const accepted = await deps.db.transaction(async (trx) => {
    const factor = await trx('totp_factors').where({ account_id: session.accountId }).whereNotNull('confirmed_at').forUpdate().first();
    if (!factor) throw new AppError(409, 'totp_enrolment_required', 'No second factor is enrolled; enrol one first');
    if (input.code) {
      const secret = await deps.keys.decrypt(trx, session.accountId, totpRef(session.accountId, 'secret'), factor.secret);
      const step = await checkTotp(secret, input.code, Number(factor.last_step));
      if (step === undefined) return false;
      await trx('totp_factors').where({ account_id: session.accountId }).update({ last_step: step });
      return true;
    }
    if (input.recoveryCode) {
      const used = await trx('recovery_codes')
        .where({ account_id: session.accountId, code_hash: recoveryCodeHash(input.recoveryCode) })
        .whereNull('used_at')
        .update({ used_at: trx.fn.now() });
      if (used === 0) return false;
      await deps.audit.record(trx, { action: AUDIT_ACTIONS.recoveryCodeUsed, actorId: session.accountId, subjectId: session.accountId });
      return true;
    }
    throw new ValidationError([idProblem('code', 'code.missing')]);
  });
  if (!accepted) {
    await recordFailure(deps.db, keys.account, deps.config.auth.account_max_failures, deps.config.auth);
    await deps.audit.append({ action: AUDIT_ACTIONS.secondFactorFailed, actorId: session.accountId, subjectId: session.accountId, object: { type: 'session', id: session.id }, personal: { address: meta.address } });
    throw new UnauthenticatedError('The code is not valid (or was already used)');
  }
  await clearFailures(deps.db, keys.account);
  return rotate(deps, session, meta, AUDIT_ACTIONS.secondFactorSucceeded);
}

/** Replaces a session by a fully authenticated new one, keeping its absolute deadline. */
async function rotate(deps: AuthDeps, session: LiveSession, meta: RequestMeta, action: string): Promise<SessionGrant> {
  return deps.db.transaction(async (trx) => {
    await revokeSession(trx, session.id, 'rotated');
    const { id, token } = await createSession(trx, { accountId: session.accountId, secondFactorDone: true, remoteAddress: meta.address, userAgent: meta.userAgent, absoluteExpiresAt: session.absoluteExpiresAt }, deps.config.auth);
    await deps.audit.record(trx, { action, actorId: session.accountId, subjectId: session.accountId, object: { type: 'session', id }, personal: { address: meta.address } });
    return { token, sessionId: id, accountId: session.accountId, state: 'authenticated' as const };
  });
}

/** Re-checks the password of the signed-in person (needed before changing the second factor). */
export async function confirmPassword(deps: AuthDeps, accountId: string, password: string, meta: RequestMeta): Promise<void> {
  const keys = throttleKeys('reauth', accountId, meta.address);
  await assertNotThrottled(deps.db, [keys.account]);
  const account = (await deps.db('accounts').where({ id: accountId }).first()) as AccountRow | undefined;
  if (!(await checkPassword(deps, account, password))) {
    await recordFailure(deps.db, keys.account, deps.config.auth.account_max_failures, deps.config.auth);
    throw new AppError(403, 'password_incorrect', 'The password is not correct');
  }
  await clearFailures(deps.db, keys.account);
}

/**
 * Starts (or restarts) TOTP enrolment after a fresh password check. The new secret
 * waits as pending until confirmed with a code; an existing factor stays in force
 * until then.
 */
export async function startTotpEnrolment(deps: AuthDeps, session: LiveSession, password: string, meta: RequestMeta): Promise<{ secret: string; uri: string; qrSvg: string }> {
  await assertEnrolmentNotHeld(deps.db, session.accountId);
  await confirmPassword(deps, session.accountId, password, meta);
  const account = (await deps.db('accounts').where({ id: session.accountId }).first()) as AccountRow;
  const secret = newTotpSecret();
  await deps.db.transaction(async (trx) => {
    const sealed = await deps.keys.encrypt(trx, session.accountId, totpRef(session.accountId, 'pending_secret'), secret, { purpose: 'profile' });
    await trx('totp_factors')
      .insert({ account_id: session.accountId, pending_secret: sealed })
      .onConflict('account_id')
      .merge({ pending_secret: sealed });
  });
  const uri = totpUri(secret, deps.config.ui.organisation_name, account.username);
  return { secret, uri, qrSvg: await qrSvg(uri) };
}

/**
 * Confirms enrolment with a code from the app: the pending secret becomes the factor,
 * ten new recovery codes replace any old ones (shown once, stored hashed), and the
 * session is replaced by a fully authenticated one.
 */
export async function confirmTotpEnrolment(deps: AuthDeps, session: LiveSession, code: string, meta: RequestMeta): Promise<SessionGrant & { recoveryCodes: string[] }> {
  const codes = newRecoveryCodes();
  const ok = await deps.db.transaction(async (trx) => {
    await assertEnrolmentNotHeld(trx, session.accountId);
    const row = await trx('totp_factors').where({ account_id: session.accountId }).forUpdate().first();
    if (!row?.pending_secret) throw idConflict('no_enrolment', 'no_enrolment');
    const secret = await deps.keys.decrypt(trx, session.accountId, totpRef(session.accountId, 'pending_secret'), row.pending_secret);
    const step = await checkTotp(secret, code, 0);
    if (step === undefined) return false;
    const sealed = await deps.keys.encrypt(trx, session.accountId, totpRef(session.accountId, 'secret'), secret, { purpose: 'profile' });
    await trx('totp_factors').where({ account_id: session.accountId }).update({ secret: sealed, pending_secret: null, confirmed_at: trx.fn.now(), last_step: step });
    await trx('recovery_codes').where({ account_id: session.accountId }).delete();
    await trx('recovery_codes').insert(codes.map((c) => ({ account_id: session.accountId, code_hash: recoveryCodeHash(c) })));
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.totpEnrolled, actorId: session.accountId, subjectId: session.accountId, payload: { replaced: row.secret !== null } });
    return true;
  });
  if (!ok) throw new ValidationError([idProblem('code', 'code.mismatch')]);
  const grant = await rotate(deps, session, meta, AUDIT_ACTIONS.secondFactorSucceeded);
  return { ...grant, recoveryCodes: codes };
}

/** Ends the current session. */
export async function signOut(deps: AuthDeps, session: LiveSession): Promise<void> {
  await deps.db.transaction(async (trx) => {
    await revokeSession(trx, session.id, 'logout');
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.logout, actorId: session.accountId, subjectId: session.accountId, object: { type: 'session', id: session.id } });
  });
}

/**
 * Revokes every session and every personal API token of an account (sign out
 * everywhere, or an operator's action). The audit trail names the ended tokens by id.
 */
export async function revokeAllSessions(deps: AuthDeps, actorId: string, accountId: string, reason: string): Promise<Revocation> {
  return deps.db.transaction(async (trx) => {
    const r = await revokeAccess(trx, accountId, reason);
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.sessionRevoked, actorId, subjectId: accountId, object: { type: 'account', id: accountId }, payload: { reason, count: r.sessions } });
    await recordEndedTokens(deps.audit, trx, actorId, accountId, reason, r);
    return r;
  });
}

/**
 * Creates a local account (operator:create, sites without a directory). `deps.hash`
 * (default `hashPassword`, cost 12) lets the test factories store a cheaper bcrypt
 * hash for their fixture people; nothing in the product passes one.
 */
export async function createLocalAccount(deps: Pick<AuthDeps, 'db' | 'audit'> & { hash?: (password: string) => Promise<string> }, input: { username: string; password: string; displayName?: string; email?: string; roles: Role[] }, actorId: string): Promise<string> {
  const problems = [];
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/i.test(input.username)) problems.push(idProblem('username', 'username.form'));
  // A team admin needs a team scope, which comes from the directory's group mapping.
  if (input.roles.includes('team_admin')) problems.push(idProblem('roles', 'roles.local_team_admin'));
  const pw = passwordFieldProblem('password', input.password, input.username);
  if (pw) problems.push(pw);
  if (problems.length) throw new ValidationError(problems);
  const hash = await (deps.hash ?? hashPassword)(input.password);
  return deps.db.transaction(async (trx) => {
    const exists = await trx('accounts').where({ source: 'local' }).andWhereRaw('lower(username) = lower(?)', [input.username]).first('id');
    if (exists) throw idConflict('already_exists', 'account.exists', { username: input.username });
    const [row] = await trx('accounts')
      .insert({ source: 'local', username: input.username, display_name: input.displayName ?? input.username, email: input.email ?? null })
      .returning('id');
    const id = (row as { id: string }).id;
    await trx('local_credentials').insert({ account_id: id, password_hash: hash });
    if (input.roles.length) {
      await trx('role_assignments').insert(input.roles.map((role) => ({ account_id: id, role, team: '', reason: 'local account', source: 'local' })));
    }
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.accountCreated, actorId, subjectId: id, object: { type: 'account', id }, payload: { source: 'local', roles: input.roles } });
    return id;
  });
}

export { completePasswordReset, requestPasswordReset } from './password-reset.js';

/** Changes a local account's password after checking the current one; other sessions end. */
export async function changePassword(deps: AuthDeps, session: LiveSession, current: string, next: string, meta: RequestMeta): Promise<void> {
  await confirmPassword(deps, session.accountId, current, meta);
  const account = (await deps.db('accounts').where({ id: session.accountId }).first()) as AccountRow;
  if (account.source !== 'local') throw idConflict('directory_account', 'directory.change_there');
  const problem = passwordFieldProblem('new_password', next, account.username);
  if (problem) throw new ValidationError([problem]);
  const hash = await hashPassword(next);
  await deps.db.transaction(async (trx) => {
    await trx('local_credentials').where({ account_id: account.id }).update({ password_hash: hash, password_changed_at: trx.fn.now() });
    await trx('sessions').where({ account_id: account.id }).whereNot({ id: session.id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now(), revoke_reason: 'password changed' });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.passwordChanged, actorId: account.id, subjectId: account.id });
  });
}
