import Router from '@koa/router';
import type { Config } from '../platform/config.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import type { DomainModule } from '../platform/module.js';
import type { Middleware } from 'koa';
import { html, type SafeHtml } from './html.js';
import type { AppError } from '../platform/errors.js';
import { t } from './i18n.js';
import { errorPageText } from './problems.js';
import { layout, type LanguageForm, type PageOptions } from './layout.js';

/** Roles of the signed-in person of a request, found by the web module's middleware. */
const rolesOf = new WeakMap<object, ReadonlySet<string>>();

/** Extra layout options of one page. */
export interface SendPageOptions {
  /** The language switch as a form re-posting one-time content (see LanguageForm). */
  languageForm?: LanguageForm;
  /** The page's own /static scripts and stylesheets. */
  assets?: PageOptions['assets'];
}

/**
 * Where the language links of a page go: the page itself for GET (its query kept,
 * without `lang` and one-time notices); after a form post, the page the form was on (same origin, from
 * the Referer), else the start page — never back to a POST-only path.
 */
export function languagePath(ctx: AppContext): string {
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    const q = new URLSearchParams(ctx.querystring);
    // A one-time notice ("saved", "signed out") is not shown again in the other language.
    for (const once of ['lang', 'ok', 'signed_out']) q.delete(once);
    const rest = q.toString();
    return ctx.path + (rest ? `?${rest}` : '');
  }
  const ref = ctx.get('Referer');
  if (ref) {
    try {
      const u = new URL(ref);
      // Same origin: the Referer names this appliance's host (Referrer-Policy same-origin sends no other).
      if (u.host === ctx.get('Host') && (u.protocol === 'http:' || u.protocol === 'https:')) {
        u.searchParams.delete('lang');
        return u.pathname + u.search;
      }
    } catch {
      // an unreadable Referer: fall through to the start page
    }
  }
  return '/';
}

/**
 * Renders a complete page into the response. The signed-in navigation (with its
 * sign-out form) shows when the identity middleware put a CSRF token in
 * `ctx.state.csrf`: the web layer knows no sessions, so it never imports identity.
 * `opts.assets` adds a page's own /static scripts and stylesheets. The menu by role and the timer widget show once the web module's middleware found
 * the person's roles (a full session).
 */
export function sendPage(ctx: AppContext, config: Readonly<Config>, title: string, main: ReturnType<typeof html>, opts: SendPageOptions = {}): void {
  ctx.type = 'text/html; charset=utf-8';
  const signedIn = ctx.state.csrf !== undefined ? { csrf: ctx.state.csrf, roles: rolesOf.get(ctx.state) } : undefined;
  ctx.body = layout({ lang: ctx.state.lang, title, organisation: config.ui.organisation_name, path: languagePath(ctx), main, signedIn, languageForm: opts.languageForm, assets: opts.assets });
}

/** The error page used by the error middleware for browsers. */
export function errorPage(config: Readonly<Config>) {
  return (ctx: AppContext, status: number, message: string, err?: AppError): void => {
    const lang = ctx.state.lang ?? config.ui.default_language;
    const text = status === 404 ? t(lang, 'error.404') : errorPageText(lang, status, message, err);
    sendPage(ctx, config, t(lang, 'error.title'), html`
<h1>${t(lang, 'error.title')} (${status})</h1>
<p>${text}</p>
<p class="muted">${t(lang, 'error.request_id')}: <code>${ctx.state.requestId}</code></p>
<p><a href="/">${t(lang, 'error.back')}</a></p>`);
  };
}

/** What the start page and the layout ask of the rest of the appliance. */
export interface StartPageDeps {
  /** Whether any account exists yet (else the page shows how to create the first operator). */
  anyAccount: () => Promise<boolean>;
  /** The role names of a signed-in account (for the menu); absent: no menu by role. */
  roles?: (ctx: AppContext, accountId: string) => Promise<ReadonlySet<string>>;
  /** What the start page shows a signed-in person (today, the week, returned days, the inbox). */
  home?: (ctx: AppContext) => Promise<SafeHtml | undefined>;
}

/** The web layer as the HTTP app mounts it: the menu's middleware and the start page (mounted after the domains' pages). */
export function webModule(config: Readonly<Config>, deps: StartPageDeps): DomainModule {
  return { name: 'web', middleware: deps.roles ? [menuMiddleware(deps.roles)] : [], pages: pageRoutes(config, deps) };
}

/**
 * Finds the roles of a fully signed-in person (session, second factor done) on page
 * requests, so that every page's layout shows the menu they may use.
 */
function menuMiddleware(roles: (ctx: AppContext, accountId: string) => Promise<ReadonlySet<string>>): Middleware<AppState> {
  return async (ctx, next) => {
    const auth = ctx.state.auth;
    if (auth && auth.secondFactorDone && !auth.apiToken && !ctx.path.startsWith('/api/') && !ctx.path.startsWith('/static/')) {
      rolesOf.set(ctx.state, await roles(ctx as unknown as AppContext, auth.accountId));
    }
    await next();
  };
}

/** The server-rendered pages. Later domains add their own page routes beside these. */
export function pageRoutes(config: Readonly<Config>, deps: StartPageDeps): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/', async (ctx) => {
    const lang = ctx.state.lang;
    const noAccounts = !(await deps.anyAccount());
    sendPage(ctx as unknown as AppContext, config, t(lang, 'start.title'), html`
<h1>${t(lang, 'start.title')}</h1>
<p class="lead">${t(lang, 'app.tagline')}</p>
<p>${t(lang, 'start.intro')}</p>
${noAccounts
    ? html`<section class="notice" aria-labelledby="setup-title">
  <h2 id="setup-title">${t(lang, 'start.no_accounts')}</h2>
  <pre><code>uurwerk operator:create --username admin --password-file /path/to/file
# from a checkout: npm run uurwerk -- operator:create --username admin --password-file /path/to/file</code></pre>
  <p>${t(lang, 'start.setup_hint')}</p>
</section>`
    : ctx.state.auth
      ? (await deps.home?.(ctx as unknown as AppContext)) ?? html`<p><a class="button" href="/account">${t(lang, 'nav.account')}</a></p>`
      : html`<p><a class="button" href="/sign-in">${t(lang, 'nav.sign_in')}</a></p>`}
<section aria-labelledby="privacy-title">
  <h2 id="privacy-title">${t(lang, 'start.privacy_title')}</h2>
  <ul>
    <li>${t(lang, 'start.privacy_1')}</li>
    <li>${t(lang, 'start.privacy_2')}</li>
    <li>${t(lang, 'start.privacy_3')}</li>
    <li>${t(lang, 'start.privacy_4')}</li>
  </ul>
</section>`);
  });
  return router;
}
