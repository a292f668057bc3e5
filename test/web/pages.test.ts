import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { catalogue, negotiateLanguage } from '../../src/web/i18n.js';
import { html } from '../../src/web/html.js';
import { startTestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount } from '../helpers/factories.js';
import { repoRoot } from '../helpers/env.js';

const staticDir = path.join(repoRoot, 'src', 'web', 'static');

test('the start page speaks Dutch by default and English on request, and remembers the choice', async (t) => {
  const { request } = await startTestApp(t);
  const nl = await request('/', { headers: { accept: 'text/html' } });
  t.is(nl.status, 200);
  const nlText = await nl.text();
  t.regex(nlText, /<html lang="nl">/);
  t.true(nlText.includes(catalogue('nl')['start.title']));
  t.true(nlText.includes('operator:create'), 'the start page says how the first account is made');

  const en = await request('/?lang=en');
  t.regex(await en.text(), /<html lang="en">/);
  const cookie = en.headers.get('set-cookie') ?? '';
  t.regex(cookie, /lang=en/);
  t.regex(cookie, /httponly/i);
  t.regex(cookie, /samesite=strict/i);
  const again = await request('/', { headers: { cookie: 'lang=en' } });
  t.true((await again.text()).includes(catalogue('en')['start.title']));
  const browserPref = await request('/', { headers: { 'accept-language': 'en-GB,en;q=0.9,nl;q=0.5' } });
  t.regex(await browserPref.text(), /<html lang="en">/);
});

test('Accept-Language negotiation honours quality values and falls back to the default', (t) => {
  t.is(negotiateLanguage({ acceptLanguage: 'de-DE, en;q=0.2, nl;q=0.8' }, 'en'), 'nl');
  t.is(negotiateLanguage({ acceptLanguage: 'fr' }, 'nl'), 'nl');
  t.is(negotiateLanguage({ query: 'xx', cookie: 'en' }, 'nl'), 'en');
});

test('Dutch and English catalogues have the same keys and no empty strings', (t) => {
  const nl = catalogue('nl');
  const en = catalogue('en');
  t.deepEqual(Object.keys(nl).sort(), Object.keys(en).sort());
  for (const [k, v] of [...Object.entries(nl), ...Object.entries(en)]) t.true(v.trim().length > 0, k);
});

test('pages and assets reference nothing outside the appliance and use no inline script or style', async (t) => {
  const { request } = await startTestApp(t);
  const page = await (await request('/')).text();
  const assets = readdirSync(staticDir).map((f) => readFileSync(path.join(staticDir, f), 'utf8'));
  for (const text of [page, ...assets]) {
    const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi)].map((m) => m[0]).filter((u) => !u.includes('www.w3.org'));
    t.deepEqual(urls, []);
    t.false(/@import|url\(\s*['"]?https?:/i.test(text));
  }
  t.false(/<script(?![^>]*\bsrc=)[^>]*>/i.test(page), 'no inline <script>');
  t.false(/<style\b|\sstyle="/i.test(page), 'no inline style');
  t.false(/\son[a-z]+="/i.test(page), 'no inline event handlers');
  const css = await request('/static/app.css');
  t.is(css.status, 200);
  t.regex(css.headers.get('content-type') ?? '', /text\/css/);
  t.is((await request('/static/../package.json')).status, 404);
  t.is((await request('/static/nope.css')).status, 404);
});

test('the html tag escapes interpolated values', (t) => {
  const evil = '<script>alert("x")</script>&\'';
  t.is(html`<p title="${evil}">${evil}</p>`.value, '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
  t.is(html`<ul>${['a', '<b>'].map((x) => html`<li>${x}</li>`)}</ul>`.value, '<ul><li>a</li><li>&lt;b&gt;</li></ul>');
});

test('page URLs and forms are held to the API schemas after authentication: impossible dates and NUL bytes are 4xx naming the field', async (t) => {
  const a = await startTestApp(t);
  const html = { accept: 'text/html' };
  // Anonymous: the sign-in page first, whatever the URL holds.
  const anon = await a.request('/timesheets/day/9999-99-99', { headers: html, redirect: 'manual' });
  t.true(anon.status >= 300 && anon.status < 400);
  t.regex(anon.headers.get('location') ?? '', /\/sign-in/);

  const u = await buildLocalAccount(a.db.knex, a.app.services.audit);
  const c = new ApiClient(a.url);
  t.is((await c.json('POST', '/api/v1/session', { username: u.username, password: u.password, source: 'local' })).status, 200);
  // English pages name fields as the API does; the Dutch default words them by label (test/web/problems-nl.test.ts).
  const headers = { ...html, 'accept-language': 'en', cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': c.csrf ?? '' };
  const dutch = await a.request('/timesheets/day/9999-99-99', { headers: { ...headers, 'accept-language': 'nl' } });
  t.is(dutch.status, 422);
  t.regex(await dutch.text(), /Datum: is geen datum/, 'the Dutch page names the field by its label');
  for (const date of ['9999-99-99', '2026-02-30', 'yesterday']) {
    const res = await a.request(`/timesheets/day/${date}`, { headers });
    t.is(res.status, 422, date);
    t.regex(res.headers.get('content-type') ?? '', /text\/html/);
    t.regex(await res.text(), /path\.date/, `${date}: the page names the field`);
  }
  const week = await a.request('/timesheets?week=9999-99-99', { headers });
  t.is(week.status, 422);
  t.regex(await week.text(), /query\.week/);

  const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  // The entry form is checked with the API's entryCreateBody; its field is named as the form names it.
  const entry = await a.request('/timesheets/day/2026-01-05/entries', form({ project: 'not-a-project', start: '09:00', end: '10:00', note: '' }));
  t.is(entry.status, 422);
  t.regex(await entry.text(), /project:/);
  const nul = await a.request('/timesheets/timer/start', form({ project: 'x', note: 'a\u0000b' }));
  t.is(nul.status, 422);
  t.regex(await nul.text(), /note/);
  // The anonymous sign-in form too: a NUL byte is named, never a 500.
  const signIn = await a.request('/sign-in', { method: 'POST', headers: { ...html, 'accept-language': 'en', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'ad\u0000min', password: 'x' }).toString() });
  t.is(signIn.status, 422);
  t.regex(await signIn.text(), /username/);
  const signInNl = await a.request('/sign-in', { method: 'POST', headers: { ...html, 'accept-language': 'nl', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'ad\u0000min', password: 'x' }).toString() });
  t.is(signInNl.status, 422);
  t.regex(await signInNl.text(), /Aanmeldnaam: mag geen NUL-tekens/, 'the Dutch page names the field by its label');
});
