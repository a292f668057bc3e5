/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { buildDirectoryAccount, buildEmployee, buildOperator, buildTeamAdmin } from '../helpers/factories.js';
import { pageAs } from './browser-session.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ENGLISH = /\b(the|and|with|your|you|yes|none|reason|state|draft|submitted|approved|returned|save|delete|add|running|stopped|never|not|from|who|when|what|page|sign|local|waiting|confirm)\b/gi;
interface AxeResult { violations: Array<{ id: string; help: string; nodes: Array<{ target: string[] }> }> }

/**
 * /operator as a running site shows it (issue 16: the axe violation noted there): a
 * directory with a bookmark, runs that failed and one held back with its pending
 * changes, legal holds in force, and many people (local and directory, every role,
 * one waiting for enrolment confirmation). axe-core WCAG 2.1 A/AA, 390 px without
 * sideways scrolling, no English outside the status listings, in both languages.
 */
test('Chromium: the populated operator page has no axe violation, fits 390 px and is Dutch in Dutch', async (t) => {
  // No directory URL (a test never reaches out); the bookmark and runs below are what a synced site has.
  const a = await startTestApp(t);
  const operator = await buildOperator(a);
  const employee = await buildEmployee(a, { team: 'ward-3' });
  await buildTeamAdmin(a, { team: 'ward-3' });
  for (const [i, role] of (['employee', 'team_admin', 'auditor', 'dpo', 'reports', 'payroll'] as const).entries()) await buildDirectoryAccount(a.db.knex, { username: `m.de-vries-van-den-berg-${i}`, roles: [role], team: 'verpleegafdeling-drie-nacht' });
  await a.db.knex('accounts').where({ id: employee.id }).update({ enrolment_needs_confirmation: true });
  const now = Date.now();
  await a.db.knex('directory_sync_state').insert({ server_url: 'ldaps://dc1.corp.example.test:636', invocation_id: '2f1c7a4e-0000-4000-8000-000000000001', highest_usn: 9_876_543, last_full_at: new Date(now - 86_400_000) });
  const diff = { created: [{ username: 'j.jansen' }], updated: [{ username: 'p.pietersen', fields: ['display_name', 'mail'] }], disabled: [{ username: 'k.klaassen', reason: 'disabled in the directory' }], reEnabled: [], deactivated: [], roleChanges: [{ change: 'added', username: 'j.jansen', role: 'team_admin', team: 'ward-3', reason: 'CN=Ward 3 admins,OU=Groups,DC=corp,DC=example,DC=test' }], scopeChanges: [{ team: 'ward-3', added: 1, removed: 0 }], revokeSessions: [] };
  await a.db.knex('directory_sync_runs').insert([
    { started_at: new Date(now - 7_200_000), finished_at: new Date(now - 7_199_000), duration_ms: 1000, mode: 'full', trigger: 'schedule', outcome: 'applied', server_url: 'ldaps://dc1.corp.example.test:636', counts: { users: 1250, groups: 84, created: 3, updated: 12 } },
    { started_at: new Date(now - 3_600_000), finished_at: new Date(now - 3_590_000), duration_ms: 10_000, mode: 'incremental', trigger: 'schedule', outcome: 'failed', server_url: 'ldaps://dc1.corp.example.test:636', error_code: 'unreachable', error: 'connect ECONNREFUSED 10.0.0.1:636 after 3 attempts' },
    { started_at: new Date(now - 60_000), finished_at: new Date(now - 59_000), duration_ms: 900, mode: 'full', trigger: 'manual', outcome: 'blocked', server_url: 'ldaps://dc1.corp.example.test:636', counts: { users: 1251 }, diff: JSON.stringify(diff) },
  ]);
  const until = new Date(now + 90 * 86_400_000).toISOString().slice(0, 10);
  t.is((await operator.client.json('POST', '/api/v1/retention/holds', { person: employee.id, reason: 'Geschil met de ondernemingsraad over de nachtdiensten van afdeling drie', until })).status, 201);
  t.is((await operator.client.json('POST', '/api/v1/retention/holds', { from: '2025-01-01', to: '2025-03-31', reason: 'Accountantscontrole', until })).status, 201);

  const browser = await launchBrowser(t);
  const { page } = await pageAs(browser, a.url, operator, { width: 390, height: 844 });
  const problems: string[] = [];
  for (const lang of ['nl', 'en'] as const) {
    const res = await page.goto(`${a.url}/operator?lang=${lang}`);
    t.is(res?.status(), 200);
    await page.waitForSelector('#timer-count', { timeout: 5000 }).catch(() => undefined);
    t.regex((await page.textContent('#sync-status')) ?? '', /pending changes/, 'the held-back diff is on the page');
    t.is(await page.locator('#legal-holds li').count(), 2);
    // The status listings are the CLI's English: marked as such (WCAG 3.1.2, language of parts).
    t.is(await page.getAttribute('#sync-status', 'lang'), 'en');
    t.is(await page.getAttribute('#retention-status', 'lang'), 'en');
    t.true((await page.locator('#users tbody tr').count()) >= 9);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) problems.push(`${lang}: ${width} px wide at 390 px`);
    if (lang === 'nl') {
      const text = await page.evaluate(() => {
        const main = document.body.cloneNode(true) as HTMLElement;
        main.querySelectorAll('code, pre, .note, q, [lang="en"], [translate="no"], script, dialog:not([open])').forEach((el) => el.remove());
        return main.innerText.replace(/`[^`]*`/g, '');
      });
      for (const m of text.matchAll(ENGLISH)) problems.push(`nl: English "${text.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\s+/g, ' ')}"`);
    }
    await page.evaluate(AXE);
    const result = (await page.evaluate(() => (window as unknown as { axe: { run: (o: unknown) => Promise<unknown> } }).axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))) as AxeResult;
    for (const v of result.violations) problems.push(`${lang}: ${v.id} — ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  t.deepEqual(problems, []);
});
