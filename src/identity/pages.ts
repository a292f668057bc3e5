import Router from '@koa/router';
import { AppError, NotFoundError, UnauthenticatedError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { canOpenOperatorConsole } from './policy.js';
import { html, SafeHtml } from '../web/html.js';
import { t, type MessageKey } from '../web/i18n.js';
import { z } from 'zod';
import { safeNext, signInUrl, withNext } from '../web/next.js';
import { ui } from '../web/ui-strings.js';
import { sendPage } from '../web/routes.js';
import { problemMessage } from '../web/problems.js';
import {
  completePasswordReset, completeSecondFactor, confirmTotpEnrolment, loadActor, recoveryCodesLeft, requestPasswordReset, revokeAllSessions,
  signIn, signOut, startTotpEnrolment, type AuthDeps,
} from './auth-service.js';
import { clearSessionCookie, csrfToken, requireAuth, SecondFactorRequiredError, setSessionCookie, type CookiePolicy } from './http.js';
import { enrolmentHeld, EnrolmentNeedsOperatorError } from './enrolment-hold.js';
import { createApiToken, endedApiTokens, listApiTokens, revokeApiToken } from './api-tokens.js';
import { rolesOf } from './repository.js';
import { defaultSource, requestMeta, requireEnrolmentAllowed, toLive } from './routes.js';
import { idParams, passwordBody, passwordResetCompleteBody, passwordResetRequestBody, secondFactorBody, signInBody, tokenCreateBody, totpConfirmBody } from './schema.js';
import { liveSessionsOf } from './sessions-service.js';
import { ThrottledError } from './throttle.js';

type Form = Record<string, unknown>;
const field = (body: Form, name: string): string => (typeof body[name] === 'string' ? (body[name] as string) : '');
const formBody = (ctx: AppContext): Form => ((ctx.request as { body?: Form }).body ?? {});

function csrfInput(ctx: AppContext): SafeHtml {
  const token = csrfToken(ctx);
  return token ? html`<input type="hidden" name="_csrf" value="${token}">` : html``;
}

function message(ctx: AppContext, kind: 'error' | 'ok', key: MessageKey | undefined): SafeHtml {
  return key ? html`<p class="${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${t(ctx.state.lang, key)}</p>` : html``;
}

/** Sends the browser to the step a half-finished sign-in must take next. */
function redirectForState(ctx: AppContext, state: string, next?: string): void {
  ctx.redirect(state === 'second_factor_required' ? withNext('/second-factor', next) : state === 'totp_enrolment_required' ? '/account/totp' : (next ?? '/account'));
}

/**
 * Runs a page that needs a full session; sends others to sign-in or their missing
 * step. Who you are before what you sent: the form and URL are checked (unreadable
 * body, NUL bytes, over-long strings) only after authentication; each handler then
 * holds the form to the API's schema.
 */
async function withAuth(ctx: AppContext, deps: AuthDeps, fn: () => Promise<void>): Promise<void> {
  try {
    await requireAuth(ctx, deps.db, deps.config);
  } catch (err) {
    if (err instanceof SecondFactorRequiredError) return redirectForState(ctx, err.state);
    if (err instanceof UnauthenticatedError) return ctx.redirect(signInUrl(ctx));
    throw err;
  }
  assertCleanInput(ctx);
  await fn();
}

/** Recovery codes posted back by their page's language switch (shown again, never stored). */
const recoveryCodesEcho = z.strictObject({ codes: z.array(z.string().regex(/^[A-Za-z0-9-]{4,64}$/, 'a recovery code')).min(1).max(20) });

/** The sign-in, second-factor, enrolment, account and password-reset pages. */
export function identityPages(deps: AuthDeps, policy: CookiePolicy): Router<AppState> {
  const router = new Router<AppState>();
  const hasDirectory = deps.config.directory.urls.length > 0;

  const signInPage = (ctx: AppContext, error?: MessageKey, notice?: MessageKey) => {
    const l = ctx.state.lang;
    sendPage(ctx, deps.config, t(l, 'signin.title'), html`
<h1>${t(l, 'signin.title')}</h1>
${message(ctx, 'error', error)}${message(ctx, 'ok', notice)}
<form method="post" action="/sign-in" class="form">
  ${safeNext(ctx.query.next ?? formBody(ctx).next) ? html`<input type="hidden" name="next" value="${safeNext(ctx.query.next ?? formBody(ctx).next)}">` : ''}
  <label>${t(l, 'signin.username')}<input type="text" name="username" autocomplete="username" required autofocus></label>
  <label>${t(l, 'signin.password')}<input type="password" name="password" autocomplete="current-password" required></label>
  ${hasDirectory ? html`<label>${t(l, 'signin.source')}<select name="source">
    <option value="directory">${t(l, 'signin.source_directory')}</option>
    <option value="local">${t(l, 'signin.source_local')}</option></select></label>` : html`<input type="hidden" name="source" value="local">`}
  <button type="submit">${t(l, 'signin.submit')}</button>
</form>
<p><a href="/password-reset">${t(l, 'signin.forgot')}</a></p>`);
  };

  router.get('/sign-in', (ctx) => {
    const c = ctx as unknown as AppContext;
    signInPage(c, undefined, ctx.query.signed_out ? 'signin.signed_out' : undefined);
  });

  router.post('/sign-in', async (ctx) => {
    const c = ctx as unknown as AppContext;
    assertCleanInput(c);
    const body = formBody(c);
    const input = validate(signInBody, { username: field(body, 'username'), password: field(body, 'password'), source: field(body, 'source') || undefined });
    try {
      const grant = await signIn(deps, { username: input.username, password: input.password, source: input.source ?? defaultSource(deps) }, requestMeta(c));
      setSessionCookie(c, policy, grant.token);
      redirectForState(c, grant.state, safeNext(body.next));
    } catch (err) {
      if (err instanceof ThrottledError) {
        ctx.status = 429;
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        return signInPage(c, 'signin.throttled');
      }
      if (err instanceof UnauthenticatedError) {
        ctx.status = 401;
        return signInPage(c, 'signin.failed');
      }
      throw err;
    }
  });

  const secondFactorPage = (ctx: AppContext, error?: MessageKey) => {
    const l = ctx.state.lang;
    sendPage(ctx, deps.config, t(l, 'twofa.title'), html`
<h1>${t(l, 'twofa.title')}</h1>
${message(ctx, 'error', error)}
<p>${t(l, 'twofa.intro')}</p>
<form method="post" action="/second-factor" class="form">
  ${csrfInput(ctx)}${safeNext(ctx.query.next ?? formBody(ctx).next) ? html`<input type="hidden" name="next" value="${safeNext(ctx.query.next ?? formBody(ctx).next)}">` : ''}
  <label>${t(l, 'twofa.code')}<input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" autofocus></label>
  <label>${t(l, 'twofa.recovery')}<input type="text" name="recovery_code" autocomplete="off"></label>
  <button type="submit">${t(l, 'twofa.submit')}</button>
</form>`);
  };

  router.get('/second-factor', (ctx) => {
    if (!ctx.state.auth) return ctx.redirect('/sign-in');
    secondFactorPage(ctx as unknown as AppContext);
  });

  router.post('/second-factor', async (ctx) => {
    const c = ctx as unknown as AppContext;
    if (!c.state.auth) return ctx.redirect('/sign-in');
    assertCleanInput(c);
    const body = formBody(c);
    const code = field(body, 'code').trim();
    const recovery = field(body, 'recovery_code').trim();
    try {
      const input = validate(secondFactorBody, code ? { code } : { recovery_code: recovery });
      const grant = await completeSecondFactor(deps, toLive(c.state.auth), { code: input.code, recoveryCode: input.recovery_code }, requestMeta(c));
      setSessionCookie(c, policy, grant.token);
      ctx.redirect(safeNext(body.next) ?? '/account');
    } catch (err) {
      if (err instanceof ThrottledError) {
        ctx.status = 429;
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        return secondFactorPage(c, 'signin.throttled');
      }
      if (err instanceof UnauthenticatedError || err instanceof ValidationError) {
        ctx.status = 401;
        return secondFactorPage(c, 'twofa.failed');
      }
      throw err;
    }
  });

  const enrolPasswordPage = async (ctx: AppContext, error?: MessageKey) => {
    const l = ctx.state.lang;
    if (ctx.state.auth && (await enrolmentHeld(deps.db, ctx.state.auth.accountId))) {
      // Reset before any second factor: say why there is no form, and who can help.
      sendPage(ctx, deps.config, t(l, 'enrol.title'), html`<h1>${t(l, 'enrol.title')}</h1>
<p class="notice" id="enrolment-held" role="status">${t(l, 'enrol.needs_operator')}</p>`);
      return;
    }
    const required = ctx.state.auth && !ctx.state.auth.secondFactorDone;
    sendPage(ctx, deps.config, t(l, 'enrol.title'), html`
<h1>${t(l, 'enrol.title')}</h1>
${required ? html`<p class="notice">${t(l, 'enrol.required')}</p>` : html``}
${message(ctx, 'error', error)}
<p>${t(l, 'enrol.password_intro')}</p>
<form method="post" action="/account/totp" class="form">
  ${csrfInput(ctx)}
  <label>${t(l, 'signin.password')}<input type="password" name="password" autocomplete="current-password" required autofocus></label>
  <button type="submit">${t(l, 'signin.submit')}</button>
</form>`);
  };

  const enrolGuard = async (ctx: AppContext): Promise<boolean> => {
    try {
      await requireEnrolmentAllowed(ctx, deps);
      assertCleanInput(ctx);
      return true;
    } catch (err) {
      if (err instanceof SecondFactorRequiredError) redirectForState(ctx, err.state);
      else if (err instanceof UnauthenticatedError) ctx.redirect('/sign-in');
      else throw err;
      return false;
    }
  };

  router.get('/account/totp', async (ctx) => {
    const c = ctx as unknown as AppContext;
    if (await enrolGuard(c)) await enrolPasswordPage(c);
  });

  router.post('/account/totp', async (ctx) => {
    const c = ctx as unknown as AppContext;
    if (!(await enrolGuard(c))) return;
    try {
      const { password } = validate(passwordBody, { password: field(formBody(c), 'password') });
      const e = await startTotpEnrolment(deps, toLive(c.state.auth!), password, requestMeta(c));
      const l = c.state.lang;
      sendPage(c, deps.config, t(l, 'enrol.title'), html`
<h1>${t(l, 'enrol.title')}</h1>
<p>${t(l, 'enrol.scan')}</p>
<div class="qr" role="img" aria-label="QR">${new SafeHtml(e.qrSvg)}</div>
<p>${t(l, 'enrol.key')}: <code id="totp-secret">${e.secret}</code></p>
<form method="post" action="/account/totp/confirm" class="form">
  ${csrfInput(c)}
  <label>${t(l, 'twofa.code')}<input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required autofocus></label>
  <button type="submit">${t(l, 'enrol.confirm')}</button>
</form>`);
    } catch (err) {
      if (err instanceof EnrolmentNeedsOperatorError) {
        ctx.status = 403;
        return enrolPasswordPage(c);
      }
      if (err instanceof AppError && (err.code === 'password_incorrect' || err.status === 429)) {
        ctx.status = err.status;
        return enrolPasswordPage(c, err.status === 429 ? 'signin.throttled' : 'enrol.wrong_password');
      }
      throw err;
    }
  });

  /**
   * The recovery codes, shown once. The language switch on this page is a form that
   * posts the codes back to /account/totp/codes, which shows the same codes in the
   * other language: a link would lose them.
   */
  const recoveryCodesPage = (c: AppContext, codes: readonly string[]) => {
    const l = c.state.lang;
    sendPage(c, deps.config, t(l, 'enrol.title'), html`
<h1>${t(l, 'enrol.done')}</h1>
<p>${t(l, 'enrol.recovery_intro')}</p>
<ul class="codes" id="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p class="muted">${ui(l, 'lang.keep_codes')}</p>
<p><a class="button" href="/account">${t(l, 'nav.account')}</a></p>`, { languageForm: { action: '/account/totp/codes', fields: codes.map((code) => ['code', code] as const) } });
  };

  router.post('/account/totp/codes', (ctx) =>
    withAuth(ctx as unknown as AppContext, deps, async () => {
      const c = ctx as unknown as AppContext;
      const raw = formBody(c).code;
      const codes = validate(recoveryCodesEcho, { codes: Array.isArray(raw) ? raw : [raw] });
      recoveryCodesPage(c, codes.codes);
    }),
  );

  router.post('/account/totp/confirm', async (ctx) => {
    const c = ctx as unknown as AppContext;
    if (!(await enrolGuard(c))) return;
    try {
      const { code } = validate(totpConfirmBody, { code: field(formBody(c), 'code').trim() });
      const grant = await confirmTotpEnrolment(deps, toLive(c.state.auth!), code, requestMeta(c));
      setSessionCookie(c, policy, grant.token);
      recoveryCodesPage(c, grant.recoveryCodes);
    } catch (err) {
      if (err instanceof ValidationError) {
        ctx.status = 422;
        return enrolPasswordPage(c, 'enrol.wrong_code');
      }
      throw err;
    }
  });

  router.get('/account', async (ctx) => {
    const c = ctx as unknown as AppContext;
    await withAuth(c, deps, async () => {
      const auth = c.state.auth!;
      const l = c.state.lang;
      const roles = await rolesOf(deps.db, auth.accountId);
      const actor = await loadActor(deps.db, auth.accountId);
      const account = await deps.db('accounts').where({ id: auth.accountId }).first('username', 'display_name');
      const sessions = await liveSessionsOf(deps.db, auth.accountId);
      const left = await recoveryCodesLeft(deps.db, auth.accountId);
      const tokens = await listApiTokens(deps.db, auth.accountId);
      const ended = await endedApiTokens(deps.db, auth.accountId);
      const when = (d: Date) => new Date(d).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
      sendPage(c, deps.config, t(l, 'account.title'), html`
<h1>${t(l, 'account.title')}: ${account.display_name ?? account.username}</h1>
<section aria-labelledby="roles-h"><h2 id="roles-h">${t(l, 'account.roles')}</h2>
${roles.length ? html`<ul>${roles.map((r) => html`<li>${t(l, `account.role.${r.role}` as MessageKey)}${r.team ? html` (${r.team})` : html``} — ${t(l, 'account.via')} <code>${r.reason}</code></li>`)}</ul>` : html`<p>${t(l, 'account.no_roles')}</p>`}
${canOpenOperatorConsole(actor) ? html`<p><a href="/operator">${t(l, 'nav.operator')}: ${t(l, 'operator.title')}</a></p>` : html``}
</section>
<section aria-labelledby="tf-h"><h2 id="tf-h">${t(l, 'account.second_factor')}</h2>
<p>${actor.hasFactor ? t(l, 'account.totp_on') : t(l, 'account.totp_off')}${actor.hasFactor ? html` ${t(l, 'account.recovery_left')}: ${left}.` : html``}</p>
<p><a href="/account/totp">${actor.hasFactor ? t(l, 'account.totp_change') : t(l, 'account.totp_setup')}</a></p>
</section>
<section aria-labelledby="s-h"><h2 id="s-h">${t(l, 'account.sessions')}</h2>
<table class="list"><tbody>${sessions.map((s) => html`<tr><td>${s.user_agent ?? '—'}${s.id === auth.sessionId ? html` <strong>(${t(l, 'account.session_current')})</strong>` : html``}</td><td>${t(l, 'account.signed_in_at')} ${when(s.created_at)}</td><td>${t(l, 'account.last_seen')} ${when(s.last_seen_at)}</td></tr>`)}</tbody></table>
<form method="post" action="/account/sign-out-everywhere" class="form">${csrfInput(c)}<button type="submit">${t(l, 'account.sign_out_everywhere')}</button></form>
</section>
<section aria-labelledby="tok-h"><h2 id="tok-h">${t(l, 'tokens.title')}</h2>
<p>${t(l, 'tokens.intro')}</p>
${tokens.length ? html`<table class="list" id="tokens"><tbody>${tokens.map((tk) => html`<tr><td>${tk.name}</td><td><code>${tk.scopes.join(', ')}</code></td><td>${t(l, 'tokens.expires_at')} ${when(tk.expires_at)}</td><td>${t(l, 'tokens.last_used')} ${tk.last_used_at ? when(tk.last_used_at) : t(l, 'tokens.never')}</td>
<td><form method="post" action="/account/tokens/${tk.id}/revoke" class="inline">${csrfInput(c)}<button type="submit" class="link">${t(l, 'tokens.revoke')}</button></form></td></tr>`)}</tbody></table>` : html`<p>${t(l, 'tokens.none')}</p>`}
${ended.length ? html`<h3>${t(l, 'tokens.ended')}</h3><table class="list" id="ended-tokens"><tbody>${ended.map((tk) => html`<tr><td>${tk.name}</td><td>${t(l, 'tokens.revoked_at')} ${when(tk.revoked_at)}${tk.revoke_reason === 'revoked by owner' ? html`` : html` (${t(l, 'tokens.revoked_with_sessions')})`}</td></tr>`)}</tbody></table>` : html``}
<form method="post" action="/account/tokens" class="form">${csrfInput(c)}
  <label>${t(l, 'tokens.name')}<input type="text" name="name" maxlength="100" required></label>
  <label><span><input type="checkbox" name="scope_read" value="1" checked> ${t(l, 'tokens.scope_read')}</span></label>
  <label><span><input type="checkbox" name="scope_write" value="1" checked> ${t(l, 'tokens.scope_write')}</span></label>
  <label><span><input type="checkbox" name="scope_capture" value="1"> ${t(l, 'tokens.scope_capture')}</span></label>
  <label>${t(l, 'tokens.expires')}<input type="text" name="expires_in_days" inputmode="numeric" pattern="[0-9]{1,3}" value="90"></label>
  <button type="submit">${t(l, 'tokens.create')}</button>
</form>
</section>`);
    });
  });

  router.post('/account/tokens', async (ctx) => {
    const c = ctx as unknown as AppContext;
    await withAuth(c, deps, async () => {
      const body = formBody(c);
      const scopes = [...(field(body, 'scope_read') ? ['entries:read' as const] : []), ...(field(body, 'scope_write') ? ['entries:write' as const] : []), ...(field(body, 'scope_capture') ? ['capture' as const] : [])];
      const input = validate(tokenCreateBody, { name: field(body, 'name'), scopes, expires_in_days: Number(field(body, 'expires_in_days') || '90') });
      const created = await createApiToken(deps.db, deps.audit, c.state.auth!.accountId, { name: input.name, scopes: input.scopes, expiresInDays: input.expires_in_days });
      const l = c.state.lang;
      sendPage(c, deps.config, t(l, 'tokens.title'), html`
<h1>${t(l, 'tokens.title')}</h1>
<p class="ok" role="status">${t(l, 'tokens.created')}</p>
<p><code id="new-token">${created.token}</code></p>
<p><a class="button" href="/account">${t(l, 'nav.account')}</a></p>`);
    });
  });

  router.post('/account/tokens/:id/revoke', async (ctx) => {
    const c = ctx as unknown as AppContext;
    await withAuth(c, deps, async () => {
      const { id } = validate(idParams, { id: ctx.params.id }, { prefix: 'path' });
      if (!(await revokeApiToken(deps.db, deps.audit, c.state.auth!.accountId, id))) throw new NotFoundError('No such token');
      ctx.redirect('/account');
    });
  });

  router.post('/account/sign-out-everywhere', async (ctx) => {
    const c = ctx as unknown as AppContext;
    await withAuth(c, deps, async () => {
      await revokeAllSessions(deps, c.state.auth!.accountId, c.state.auth!.accountId, 'signed out everywhere');
      clearSessionCookie(c, policy);
      ctx.redirect('/sign-in?signed_out=1');
    });
  });

  router.post('/sign-out', async (ctx) => {
    const c = ctx as unknown as AppContext;
    // Like every form post: unreadable input is refused before anything happens.
    assertCleanInput(c);
    if (c.state.auth) await signOut(deps, toLive(c.state.auth));
    clearSessionCookie(c, policy);
    ctx.redirect('/sign-in?signed_out=1');
  });

  const resetPage = (ctx: AppContext, opts: { token?: string; error?: MessageKey; notice?: MessageKey; detail?: string }) => {
    const l = ctx.state.lang;
    const form = opts.token
      ? html`<form method="post" action="/password-reset/complete" class="form">
  <input type="hidden" name="token" value="${opts.token}">
  <label>${t(l, 'reset.new_password')}<input type="password" name="new_password" autocomplete="new-password" minlength="12" required autofocus></label>
  <button type="submit">${t(l, 'reset.set')}</button></form>`
      : html`<p>${t(l, 'reset.intro')}</p><form method="post" action="/password-reset" class="form">
  <label>${t(l, 'signin.username')}<input type="text" name="username" autocomplete="username" required autofocus></label>
  <button type="submit">${t(l, 'reset.submit')}</button></form>`;
    sendPage(ctx, deps.config, t(l, 'reset.title'), html`
<h1>${t(l, 'reset.title')}</h1>
${message(ctx, 'error', opts.error)}${opts.detail ? html`<p class="error">${opts.detail}</p>` : html``}${message(ctx, 'ok', opts.notice)}
${opts.notice ? html`<p><a href="/sign-in">${t(l, 'nav.sign_in')}</a></p>` : form}`);
  };

  router.get('/password-reset', (ctx) => {
    assertCleanInput(ctx as unknown as AppContext);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
    resetPage(ctx as unknown as AppContext, { token });
  });
  router.post('/password-reset', async (ctx) => {
    const c = ctx as unknown as AppContext;
    assertCleanInput(c);
    const { username } = validate(passwordResetRequestBody, { username: field(formBody(c), 'username') });
    try {
      await requestPasswordReset(deps, username, requestMeta(c));
    } catch (err) {
      if (!(err instanceof ThrottledError)) throw err;
    }
    resetPage(c, { notice: 'reset.sent' });
  });
  router.post('/password-reset/complete', async (ctx) => {
    const c = ctx as unknown as AppContext;
    assertCleanInput(c);
    const token = field(formBody(c), 'token');
    try {
      const input = validate(passwordResetCompleteBody, { token, new_password: field(formBody(c), 'new_password') });
      await completePasswordReset(deps, input.token, input.new_password);
      resetPage(c, { notice: 'reset.done' });
    } catch (err) {
      if (err instanceof ValidationError) {
        ctx.status = 422;
        return resetPage(c, { token, detail: err.fields.map((f) => problemMessage(c.state.lang, f)).join('; ') });
      }
      if (err instanceof AppError && err.code === 'invalid_token') {
        ctx.status = 400;
        return resetPage(c, { error: 'reset.invalid' });
      }
      throw err;
    }
  });
  return router;
}
