import { html, type SafeHtml } from './html.js';
import { LANGUAGES, t, type Lang } from './i18n.js';

/** What every page passes to the base layout. */
export interface PageOptions {
  lang: Lang;
  title: string;
  organisation: string;
  /** Path of the current page, for the language links. */
  path: string;
  main: SafeHtml;
  /** Set when someone is signed in: the CSRF token for the sign-out form. */
  signedIn?: { csrf: string };
  /** Extra /static scripts and stylesheets of this page only (paths under /static/). */
  assets?: { scripts?: string[]; styles?: string[] };
}

/**
 * The base layout: a skip link, a header with navigation and the language switch,
 * one `<main>` landmark and a footer. Only /static assets, no inline script or style.
 */
export function layout(p: PageOptions): string {
  const other = LANGUAGES.map((l) =>
    l === p.lang
      ? html`<li><span aria-current="true" lang="${l}">${l.toUpperCase()}</span></li>`
      : html`<li><a href="${p.path}?lang=${l}" lang="${l}" hreflang="${l}">${l.toUpperCase()}</a></li>`,
  );
  return '<!doctype html>\n' + html`<html lang="${p.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · ${p.organisation}</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="/static/app.js" defer></script>
${(p.assets?.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}${(p.assets?.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<a class="skip-link" href="#main">${t(p.lang, 'nav.skip')}</a>
<header class="site-header">
  <a class="brand" href="/">Uurwerk</a>
  <nav aria-label="${t(p.lang, 'nav.home')}"><ul>
    <li><a href="/">${t(p.lang, 'nav.home')}</a></li>
    ${p.signedIn
      ? html`<li><a href="/timesheets">${t(p.lang, 'ts.week_title')}</a></li>
    <li><a href="/account">${t(p.lang, 'nav.account')}</a></li>
    <li><form method="post" action="/sign-out" class="inline"><input type="hidden" name="_csrf" value="${p.signedIn.csrf}"><button type="submit" class="link">${t(p.lang, 'nav.sign_out')}</button></form></li>`
      : html`<li><a href="/sign-in">${t(p.lang, 'nav.sign_in')}</a></li>`}
  </ul></nav>
  <nav aria-label="${t(p.lang, 'nav.language')}" class="lang-switch"><ul>${other}</ul></nav>
</header>
<main id="main" tabindex="-1">
${p.main}
</main>
<footer class="site-footer"><p>${t(p.lang, 'footer.text')}</p></footer>
</body>
</html>
`.value;
}
