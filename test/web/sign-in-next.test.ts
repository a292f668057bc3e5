import test from 'ava';
import { safeNext } from '../../src/web/next.js';
import { startTestApp } from '../helpers/app.js';
import { buildLocalAccount } from '../helpers/factories.js';

test('safeNext keeps same-origin relative paths and refuses every other target (no open redirect)', (t) => {
  t.is(safeNext('/timesheets?week=2026-11-30'), '/timesheets?week=2026-11-30');
  t.is(safeNext('/timesheets/day/2026-12-01#entries'), '/timesheets/day/2026-12-01#entries');
  for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', 'timesheets', '/a\nb', '/\t/evil.example', '', 42, undefined, '/' + 'x'.repeat(2000)]) {
    t.is(safeNext(bad), undefined, JSON.stringify(bad));
  }
});

test('sign-in returns to the page that was asked for; a foreign or protocol-relative next goes to the account page instead', async (t) => {
  const a = await startTestApp(t);
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit);
  const asked = await a.request('/timesheets?week=2026-11-30', { redirect: 'manual' });
  t.is(asked.status, 302);
  const location = asked.headers.get('location') ?? '';
  t.is(location, '/sign-in?next=%2Ftimesheets%3Fweek%3D2026-11-30');
  const form = await (await a.request(location)).text();
  t.regex(form, /<input type="hidden" name="next" value="\/timesheets\?week=2026-11-30">/);

  const signIn = (next: string) =>
    a.request('/sign-in', {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: u.username, password: u.password, source: 'local', next }).toString(),
    });
  const ok = await signIn('/timesheets?week=2026-11-30');
  t.is(ok.status, 302);
  t.is(ok.headers.get('location'), '/timesheets?week=2026-11-30');
  for (const evil of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
    const r = await signIn(evil);
    t.is(r.status, 302);
    t.is(r.headers.get('location'), '/account', evil);
  }
});

test('every domain’s pages send a signed-out visitor to sign-in with the page to return to', async (t) => {
  const a = await startTestApp(t);
  for (const path of ['/reports', '/privacy/requests', '/me/data', '/privacy/notice', '/audit', '/audit/export', `/capture/day/2026-11-30`, '/timesheets/inbox']) {
    const r = await a.request(path, { redirect: 'manual' });
    t.is(r.status, 302, path);
    t.is(r.headers.get('location'), `/sign-in?next=${encodeURIComponent(path)}`, path);
  }
});
