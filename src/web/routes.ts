import Router from '@koa/router';
import type { Config } from '../platform/config.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import type { DomainModule } from '../platform/module.js';
import { html } from './html.js';
import { t } from './i18n.js';
import { layout, type PageOptions } from './layout.js';

/**
 * Renders a complete page into the response. The signed-in navigation (with its
 * sign-out form) shows when the identity middleware put a CSRF token in
 * `ctx.state.csrf`: the web layer knows no sessions, so it never imports identity.
 * `assets` adds a page's own /static scripts and stylesheets.
 */
export function sendPage(ctx: AppContext, config: Readonly<Config>, title: string, main: ReturnType<typeof html>, assets?: PageOptions['assets']): void {
  ctx.type = 'text/html; charset=utf-8';
  const signedIn = ctx.state.csrf !== undefined ? { csrf: ctx.state.csrf } : undefined;
  ctx.body = layout({ lang: ctx.state.lang, title, organisation: config.ui.organisation_name, path: ctx.path, main, signedIn, assets });
}

/** The error page used by the error middleware for browsers. */
export function errorPage(config: Readonly<Config>) {
  return (ctx: AppContext, status: number, message: string): void => {
    const lang = ctx.state.lang ?? config.ui.default_language;
    const text = status === 404 ? t(lang, 'error.404') : message;
    sendPage(ctx, config, t(lang, 'error.title'), html`
<h1>${t(lang, 'error.title')} (${status})</h1>
<p>${text}</p>
<p class="muted">${t(lang, 'error.request_id')}: <code>${ctx.state.requestId}</code></p>
<p><a href="/">${t(lang, 'error.back')}</a></p>`);
  };
}

/** What the start page asks of the rest of the appliance. */
export interface StartPageDeps {
  /** Whether any account exists yet (else the page shows how to create the first operator). */
  anyAccount: () => Promise<boolean>;
}

/** The web layer as the HTTP app mounts it: the start page (mounted after the domains' pages). */
export function webModule(config: Readonly<Config>, deps: StartPageDeps): DomainModule {
  return { name: 'web', pages: pageRoutes(config, deps) };
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
      ? html`<p><a class="button" href="/account">${t(lang, 'nav.account')}</a></p>`
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
