import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { catalogue, negotiateLanguage } from '../../src/web/i18n.js';
import { html } from '../../src/web/html.js';
import { startTestApp } from '../helpers/app.js';
import { buildAuditor, buildDay, buildEmployee, buildOperator, buildProject, buildTeamAdmin } from '../helpers/factories.js';

const staticDir = path.resolve(import.meta.dirname, '..', '..', 'src', 'web', 'static');

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

test('a submitted day\'s page: its owner and the team admin in scope see it; other admins, operators, auditors and strangers do not', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'ward-3' });
  const owner = await buildEmployee(a, { team: 'ward-3' });
  const { projectId } = await buildProject(a, { by: admin, team: 'ward-3' });
  const day = await buildDay(owner, { projectId, state: 'submitted' });
  const page = `/timesheets/days/${day.id}`;

  const anonymous = await a.request(page, { redirect: 'manual' });
  t.not(anonymous.status, 200);
  t.false((await anonymous.text()).includes(day.date), 'nothing of the day reaches an anonymous caller');
  t.is((await owner.client.call('GET', page)).status, 200);
  const inbox = await (await admin.client.call('GET', '/timesheets/inbox')).text();
  t.true(inbox.includes(page), 'the day is in the inbox of the admin whose scope holds its owner');
  t.is((await admin.client.call('GET', page)).status, 200);
  for (const other of [await buildTeamAdmin(a, { team: 'ward-9' }), await buildOperator(a), await buildAuditor(a), await buildEmployee(a, { team: 'ward-3' })]) {
    t.is((await other.client.call('GET', page)).status, 404, `${other.username} gets 404, as if the day did not exist`);
  }
});

test('the operator page opens for operators only, others are refused', async (t) => {
  const a = await startTestApp(t);
  t.is((await (await buildOperator(a)).client.call('GET', '/operator')).status, 200);
  t.is((await (await buildOperator(a, { source: 'directory' })).client.call('GET', '/operator')).status, 200);
  for (const p of [await buildEmployee(a), await buildTeamAdmin(a), await buildAuditor(a)]) {
    const status = (await p.client.call('GET', '/operator')).status;
    t.true(status === 403 || status === 404, `${p.username}: ${status}`);
  }
});
