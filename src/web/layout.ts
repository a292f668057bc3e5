import { html, type SafeHtml } from './html.js';
import { LANGUAGES, t, type Lang } from './i18n.js';
import { ui, type UiKey } from './ui-strings.js';

/** The menu entries a signed-in person may get, each shown only to the roles that can open it. */
export const MENU = [
  { key: 'menu.week', href: '/timesheets', roles: null },
  { key: 'menu.inbox', href: '/timesheets/inbox', roles: ['team_admin'] },
  { key: 'menu.reports', href: '/reports', roles: ['reports', 'team_admin'] },
  { key: 'menu.privacy', href: '/privacy/requests', roles: ['dpo'] },
  { key: 'menu.audit', href: '/audit', roles: ['auditor'] },
  { key: 'menu.operator', href: '/operator', roles: ['operator'] },
] as const satisfies ReadonlyArray<{ key: UiKey; href: string; roles: readonly string[] | null }>;

/** The menu entries for a set of role names (everyone signed in gets "My week"). */
export function menuFor(roles: ReadonlySet<string>): Array<(typeof MENU)[number]> {
  return MENU.filter((m) => m.roles === null || m.roles.some((r) => roles.has(r)));
}

/**
 * A language switch that posts the page's one-time content back instead of a link
 * (recovery codes: a link would lose them). Each button posts to `action?lang=xx`.
 */
export interface LanguageForm {
  action: string;
  fields: ReadonlyArray<readonly [string, string]>;
}

/** What every page passes to the base layout. */
export interface PageOptions {
  lang: Lang;
  title: string;
  organisation: string;
  /** Where the language links go (a GET page: the current one, or the page a form was posted from). */
  path: string;
  main: SafeHtml;
  /** Set when someone is signed in: the CSRF token, and their roles once the second factor is done. */
  signedIn?: { csrf: string; roles?: ReadonlySet<string> };
  /** Replaces the language links by a form (see LanguageForm). */
  languageForm?: LanguageForm;
  /** Extra /static scripts and stylesheets of this page only (paths under /static/). */
  assets?: { scripts?: string[]; styles?: string[] };
}

function languageSwitch(p: PageOptions): SafeHtml {
  const sep = p.path.includes('?') ? '&' : '?';
  if (p.languageForm && p.signedIn) {
    const f = p.languageForm;
    return html`<form method="post" action="${f.action}" class="inline"><input type="hidden" name="_csrf" value="${p.signedIn.csrf}">${f.fields.map(([n, v]) => html`<input type="hidden" name="${n}" value="${v}">`)}<ul>${LANGUAGES.map((l) =>
      l === p.lang
        ? html`<li><span aria-current="true" lang="${l}">${l.toUpperCase()}</span></li>`
        : html`<li><button type="submit" class="link" formaction="${f.action}?lang=${l}" lang="${l}">${l.toUpperCase()}</button></li>`)}</ul></form>`;
  }
  return html`<ul>${LANGUAGES.map((l) =>
    l === p.lang
      ? html`<li><span aria-current="true" lang="${l}">${l.toUpperCase()}</span></li>`
      : html`<li><a href="${p.path}${sep}lang=${l}" lang="${l}" hreflang="${l}">${l.toUpperCase()}</a></li>`)}</ul>`;
}

/** The strings the timer widget's script shows, as data attributes (no inline script under the CSP). */
const WIDGET_STRINGS: UiKey[] = ['timer.idle', 'timer.running', 'timer.project', 'timer.note', 'timer.start', 'timer.stop', 'timer.switch', 'timer.save', 'timer.recorded', 'timer.on_day', 'timer.failed'];

function timerWidget(l: Lang): SafeHtml {
  return html`<section id="timer-widget" class="timer-widget" aria-label="${ui(l, 'timer.label')}" ${WIDGET_STRINGS.map((k) => html`data-${k.replace('.', '-')}="${ui(l, k)}" `)}>
  <a href="/timesheets/timer" id="timer-link">${ui(l, 'timer.open')}</a>
</section>`;
}

function shortcutsDialog(l: Lang): SafeHtml {
  const rows: Array<[string, UiKey]> = [['t', 'keys.timer'], ['n', 'keys.new'], ['w', 'keys.week'], ['[', 'keys.prev'], [']', 'keys.next'], ['?', 'keys.help']];
  return html`<dialog id="shortcuts" aria-labelledby="shortcuts-title">
  <h2 id="shortcuts-title">${ui(l, 'keys.title')}</h2>
  <dl class="keys">${rows.map(([k, d]) => html`<div><dt><kbd>${k}</kbd></dt><dd>${ui(l, d)}</dd></div>`)}</dl>
  <form method="dialog"><button type="submit" class="button">${ui(l, 'keys.close')}</button></form>
</dialog>`;
}

/**
 * The base layout: a skip link, a header with the menu (by role), the timer widget and
 * the language switch, one `<main>` landmark and a footer. Only /static assets, no
 * inline script or style. Without JavaScript the timer widget is a link to the timer page.
 */
export function layout(p: PageOptions): string {
  const l = p.lang;
  const full = p.signedIn?.roles !== undefined;
  const current = p.path.split('?')[0];
  const menu = p.signedIn?.roles
    ? menuFor(p.signedIn.roles).map((m) => html`<li><a href="${m.href}"${current === m.href ? html` aria-current="page"` : ''}>${ui(l, m.key)}</a></li>`)
    : [];
  return '<!doctype html>\n' + html`<html lang="${l}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · ${p.organisation}</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
${p.signedIn ? html`<meta name="csrf-token" content="${p.signedIn.csrf}">` : ''}
<script src="/static/app.js" defer></script>
${full ? html`<script src="/static/timer.js" defer></script>
<script src="/static/shortcuts.js" defer></script>` : ''}
${(p.assets?.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}${(p.assets?.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<a class="skip-link" href="#main">${t(l, 'nav.skip')}</a>
<header class="site-header">
  <a class="brand" href="/">Uurwerk</a>
  <nav aria-label="${ui(l, 'menu.main')}"><ul>
    <li><a href="/"${current === '/' ? html` aria-current="page"` : ''}>${t(l, 'nav.home')}</a></li>
    ${menu}
    ${p.signedIn
      ? html`<li><a href="/account"${current === '/account' ? html` aria-current="page"` : ''}>${t(l, 'nav.account')}</a></li>
    <li><form method="post" action="/sign-out" class="inline"><input type="hidden" name="_csrf" value="${p.signedIn.csrf}"><button type="submit" class="link">${t(l, 'nav.sign_out')}</button></form></li>`
      : html`<li><a href="/sign-in">${t(l, 'nav.sign_in')}</a></li>`}
  </ul></nav>
  ${full ? timerWidget(l) : ''}
  <nav aria-label="${t(l, 'nav.language')}" class="lang-switch">${languageSwitch(p)}</nav>
</header>
<main id="main" tabindex="-1">
${p.main}
</main>
<footer class="site-footer"><p>${t(l, 'footer.text')}</p>${full ? html`<p><button type="button" class="link" id="shortcuts-open" hidden>${ui(l, 'keys.hint')}</button></p>${shortcutsDialog(l)}` : ''}</footer>
</body>
</html>
`.value;
}
