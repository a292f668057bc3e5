import type { ApiRegistry } from '../platform/http/api.js';
import type { AppContext } from '../platform/http/context.js';
import { NotFoundError } from '../platform/errors.js';
import {
  changePassword, completePasswordReset, completeSecondFactor, confirmTotpEnrolment, loadActor, recoveryCodesLeft, requestPasswordReset,
  revokeAllSessions, sessionState, signIn, signOut, startTotpEnrolment, type AuthDeps, type RequestMeta,
} from './auth-service.js';
import { authenticator, clearSessionCookie, currentActor, requirePartialAuth, SecondFactorRequiredError, setSessionCookie, signedIn, type CookiePolicy } from './http.js';
import { authorize, needsSecondFactor } from './policy.js';
import { rolesOf } from './repository.js';
import {
  acceptedResponse, idParams, meResponse, okResponse, passwordBody, passwordChangeBody, passwordResetCompleteBody,
  passwordResetRequestBody, revokedResponse, accessRevokedResponse, enrolmentAllowedResponse, secondFactorBody, sessionListResponse, sessionResponse, signInBody,
  tokenCreateBody, tokenCreatedResponse, tokenListResponse, totpConfirmBody, totpConfirmResponse, totpEnrolmentResponse,
} from './schema.js';
import { allowEnrolment } from './enrolment-hold.js';
import { createApiToken, listApiTokens, revokeApiToken, type TokenRow } from './api-tokens.js';
import { csrfTokenFor, liveSessionsOf, revokeSession } from './sessions-service.js';
import { z } from 'zod';
import { registerLocalPeopleApi } from './local-people-routes.js';

/** Where the request came from. */
export function requestMeta(ctx: AppContext): RequestMeta {
  return { address: ctx.ip || 'unknown', userAgent: ctx.get('User-Agent') || undefined };
}

/** The default namespace for a bare username: the directory when one is configured. */
export function defaultSource(deps: AuthDeps): 'directory' | 'local' {
  return deps.config.directory.urls.length > 0 ? 'directory' : 'local';
}

/**
 * A partial session may enrol a first factor, but changing an existing factor needs a
 * session that has passed it.
 */
export async function requireEnrolmentAllowed(ctx: AppContext, deps: AuthDeps) {
  const auth = requirePartialAuth(ctx);
  if (!auth.secondFactorDone) {
    const state = await sessionState(deps.db, deps.config, auth.accountId, false);
    if (state === 'second_factor_required') throw new SecondFactorRequiredError(state);
  }
  return auth;
}

const session = (ctx: AppContext) => requirePartialAuth(ctx);

/** Registers the sign-in, session, second-factor and account API. */
export function registerIdentityApi(api: ApiRegistry, deps: AuthDeps, policy: CookiePolicy): void {
  // Identity enforces every route's auth declaration, its own and the other domains'.
  api.useAuthenticator(authenticator(deps.db, deps.config));
  const tags = ['identity'];
  api.add({
    method: 'post', path: '/session', operationId: 'signIn', summary: 'Sign in with username and password (step one)', tags, auth: 'anonymous',
    body: signInBody, response: sessionResponse,
    handler: async (ctx, { body }) => {
      const grant = await signIn(deps, { username: body.username, password: body.password, source: body.source ?? defaultSource(deps) }, requestMeta(ctx));
      setSessionCookie(ctx, policy, grant.token);
      return { state: grant.state, csrf_token: csrfTokenFor(grant.token) };
    },
  });
  api.add({
    method: 'delete', path: '/session', operationId: 'signOut', summary: 'Sign out (revokes this session on the server)', tags, auth: 'partial-session',
    response: z.null(), status: 204,
    handler: async (ctx) => {
      const auth = session(ctx);
      await signOut(deps, toLive(auth));
      clearSessionCookie(ctx, policy);
      return null;
    },
  });
  api.add({
    method: 'post', path: '/session/second-factor', operationId: 'secondFactor', summary: 'Pass the second factor (TOTP or recovery code); rotates the session', tags, auth: 'partial-session',
    body: secondFactorBody, response: sessionResponse,
    handler: async (ctx, { body }) => {
      const auth = session(ctx);
      const grant = await completeSecondFactor(deps, toLive(auth), { code: body.code, recoveryCode: body.recovery_code }, requestMeta(ctx));
      setSessionCookie(ctx, policy, grant.token);
      return { state: grant.state, csrf_token: csrfTokenFor(grant.token) };
    },
  });
  api.add({
    method: 'get', path: '/me', operationId: 'me', summary: 'The signed-in account, its roles and why it has them', tags, auth: { session: true },
    response: meResponse,
    handler: async (ctx) => {
      const auth = signedIn(ctx);
      const account = await deps.db('accounts').where({ id: auth.accountId }).first();
      const actor = await loadActor(deps.db, auth.accountId);
      const roles = await rolesOf(deps.db, auth.accountId);
      const left = await recoveryCodesLeft(deps.db, auth.accountId);
      return {
        id: account.id, source: account.source, username: account.username, display_name: account.display_name, email: account.email,
        roles: roles.map((r) => ({ role: r.role, team: r.team || null, reason: r.reason })),
        second_factor: { enrolled: actor.hasFactor, required: needsSecondFactor(actor.roles, actor.hasFactor, deps.config.auth), recovery_codes_left: left },
      };
    },
  });
  api.add({
    method: 'get', path: '/me/sessions', operationId: 'mySessions', summary: 'My live sessions', tags, auth: { session: true },
    response: sessionListResponse,
    handler: async (ctx) => {
      const auth = signedIn(ctx);
      const rows = await liveSessionsOf(deps.db, auth.accountId);
      return { sessions: rows.map((r) => ({ id: r.id, current: r.id === auth.sessionId, created_at: new Date(r.created_at).toISOString(), last_seen_at: new Date(r.last_seen_at).toISOString(), user_agent: r.user_agent })) };
    },
  });
  api.add({
    method: 'delete', path: '/me/sessions', operationId: 'signOutEverywhere', summary: 'Sign out everywhere (revokes every session, this one included, and every personal API token)', tags, auth: { session: true },
    response: accessRevokedResponse,
    handler: async (ctx) => {
      const auth = signedIn(ctx);
      const r = await revokeAllSessions(deps, auth.accountId, auth.accountId, 'signed out everywhere');
      clearSessionCookie(ctx, policy);
      return { revoked: r.sessions, revoked_tokens: r.tokens };
    },
  });
  api.add({
    method: 'delete', path: '/me/sessions/:id', operationId: 'revokeMySession', summary: 'End one of my sessions', tags, auth: { session: true },
    params: idParams, response: revokedResponse,
    handler: async (ctx, { params }) => {
      const auth = signedIn(ctx);
      const mine = await deps.db('sessions').where({ id: params.id, account_id: auth.accountId }).first('id');
      if (!mine) throw new NotFoundError('No such session');
      return { revoked: (await revokeSession(deps.db, params.id, 'revoked by owner')) ? 1 : 0 };
    },
  });
  api.add({
    method: 'post', path: '/me/totp/enrolment', operationId: 'startTotpEnrolment', summary: 'Start (or change) TOTP enrolment; needs the password again', tags, auth: 'partial-session',
    body: passwordBody, response: totpEnrolmentResponse,
    handler: async (ctx, { body }) => {
      const auth = await requireEnrolmentAllowed(ctx, deps);
      const e = await startTotpEnrolment(deps, toLive(auth), body.password, requestMeta(ctx));
      return { secret: e.secret, otpauth_uri: e.uri, qr_svg: e.qrSvg };
    },
  });
  api.add({
    method: 'post', path: '/me/totp/confirm', operationId: 'confirmTotpEnrolment', summary: 'Confirm TOTP enrolment with a code; returns 10 recovery codes once', tags, auth: 'partial-session',
    body: totpConfirmBody, response: totpConfirmResponse,
    handler: async (ctx, { body }) => {
      const auth = await requireEnrolmentAllowed(ctx, deps);
      const grant = await confirmTotpEnrolment(deps, toLive(auth), body.code, requestMeta(ctx));
      setSessionCookie(ctx, policy, grant.token);
      return { recovery_codes: grant.recoveryCodes, csrf_token: csrfTokenFor(grant.token) };
    },
  });
  api.add({
    method: 'post', path: '/me/password', operationId: 'changePassword', summary: 'Change my (local) password; my other sessions end', tags, auth: { session: true },
    body: passwordChangeBody, response: okResponse,
    handler: async (ctx, { body }) => {
      const auth = signedIn(ctx);
      await changePassword(deps, toLive(auth), body.current_password, body.new_password, requestMeta(ctx));
      return { status: 'ok' as const };
    },
  });
  const presentToken = (r: TokenRow) => ({
    id: r.id, name: r.name, scopes: r.scopes, created_at: new Date(r.created_at).toISOString(),
    expires_at: new Date(r.expires_at).toISOString(), last_used_at: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
  });
  api.add({
    method: 'post', path: '/me/tokens', operationId: 'createApiToken', summary: 'Create a personal API token for scripts and capture agents (shown once)', tags, auth: { session: true },
    body: tokenCreateBody, response: tokenCreatedResponse, status: 201,
    handler: async (ctx, { body }) => {
      const auth = signedIn(ctx);
      const created = await createApiToken(deps.db, deps.audit, auth.accountId, { name: body.name, scopes: body.scopes, expiresInDays: body.expires_in_days });
      return { ...presentToken(created), token: created.token };
    },
  });
  api.add({
    method: 'get', path: '/me/tokens', operationId: 'listApiTokens', summary: 'My live personal API tokens (never the tokens themselves)', tags, auth: { session: true },
    response: tokenListResponse,
    handler: async (ctx) => {
      const auth = signedIn(ctx);
      return { tokens: (await listApiTokens(deps.db, auth.accountId)).map(presentToken) };
    },
  });
  api.add({
    method: 'delete', path: '/me/tokens/:id', operationId: 'revokeApiToken', summary: 'Revoke one of my personal API tokens', tags, auth: { session: true },
    params: idParams, response: z.null(), status: 204,
    handler: async (ctx, { params }) => {
      const auth = signedIn(ctx);
      if (!(await revokeApiToken(deps.db, deps.audit, auth.accountId, params.id))) throw new NotFoundError('No such token');
      return null;
    },
  });
  api.add({
    method: 'post', path: '/password-reset', operationId: 'requestPasswordReset', summary: 'Mail a reset link to a local account (same answer whether it exists or not)', tags, auth: 'anonymous',
    body: passwordResetRequestBody, response: acceptedResponse, status: 202,
    handler: async (ctx, { body }) => {
      await requestPasswordReset(deps, body.username, requestMeta(ctx));
      return { status: 'accepted' as const };
    },
  });
  api.add({
    method: 'post', path: '/password-reset/complete', operationId: 'completePasswordReset', summary: 'Set a new password with a reset token; sign in again afterwards (second factor included)', tags, auth: 'anonymous',
    body: passwordResetCompleteBody, response: okResponse,
    handler: async (_ctx, { body }) => {
      await completePasswordReset(deps, body.token, body.new_password);
      return { status: 'ok' as const };
    },
  });
  api.add({
    method: 'post', path: '/accounts/:id/sessions/revoke', operationId: 'revokeAccountSessions', summary: 'Operator: revoke every session and personal API token of an account', tags: ['operator'], auth: { session: true, roles: ['operator'] },
    params: idParams, response: accessRevokedResponse,
    handler: async (ctx, { params }) => {
      const auth = signedIn(ctx);
      authorize(currentActor(ctx), 'revoke_sessions', { accountId: params.id });
      const exists = await deps.db('accounts').where({ id: params.id }).first('id');
      if (!exists) throw new NotFoundError('No such account');
      const r = await revokeAllSessions(deps, auth.accountId, params.id, 'revoked by an operator');
      return { revoked: r.sessions, revoked_tokens: r.tokens };
    },
  });
  api.add({
    method: 'post', path: '/accounts/:id/totp-enrolment/allow', operationId: 'allowTotpEnrolment', summary: 'Operator: let a person whose password was reset before any second factor enrol one', tags: ['operator'], auth: { session: true, roles: ['operator'] },
    params: idParams, response: enrolmentAllowedResponse,
    handler: async (ctx, { params }) => {
      const auth = signedIn(ctx);
      authorize(currentActor(ctx), 'allow_enrolment', { accountId: params.id });
      return { status: 'ok' as const, lifted: await allowEnrolment(deps.db, deps.audit, auth.accountId, params.id) };
    },
  });
  // Operators: local people, teams and role grants (sites without a directory, or beside one).
  registerLocalPeopleApi(api, deps);
}

/** The session fields the services take. */
export function toLive(auth: { sessionId: string; accountId: string; secondFactorDone: boolean; createdAt: Date; absoluteExpiresAt: Date }) {
  return { id: auth.sessionId, accountId: auth.accountId, secondFactorDone: auth.secondFactorDone, createdAt: auth.createdAt, absoluteExpiresAt: auth.absoluteExpiresAt };
}
