import test from 'ava';
import { compliancePages } from '../../src/compliance/pages.js';
import type { ComplianceDeps } from '../../src/compliance/context.js';
import { COMPLIANCE_STRINGS } from '../../src/compliance/strings.js';
import { startTestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildAuditor, buildDpo, buildEmployee, buildOperator, buildTeamAdmin } from '../helpers/factories.js';

/** The module's page paths, read off its own router (a new page is walked without editing this test). */
const PAGES = compliancePages({} as ComplianceDeps).stack.flatMap((l) => (l.methods.includes('GET') ? [String(l.path)] : []));

const html = { accept: 'text/html' };
const readEvents = (a: Awaited<ReturnType<typeof startTestApp>>) => a.db.knex('audit.events').where({ action: 'compliance.auditor.read' }).orderBy('seq');

test('every route of the auditor’s view: anonymous 401 / sign-in, employee, team admin, operator and privacy officer 403, auditor 200 — and each auditor read is audited once', async (t) => {
  const a = await startTestApp(t);
  const doc = (await (await a.request('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, { tags?: string[]; operationId: string }>> };
  const api = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).filter(([, op]) => op.tags?.includes('compliance')).map(([m]) => ({ method: m.toUpperCase(), path: `/api/v1${p.replace(/^\/api\/v1/, '')}` })));
  t.true(api.length >= 5, `the compliance API routes were found (${api.length})`);
  t.true(PAGES.length >= 6, `the pages were found (${PAGES.join(', ')})`);
  t.true(api.every((r) => r.method === 'GET'), 'the view only reads');

  const anon = new ApiClient(a.url);
  for (const r of api) t.is((await anon.call(r.method, r.path)).status, 401, `${r.path}: anonymous`);
  for (const p of PAGES) {
    const res = await anon.call('GET', p, undefined, html);
    t.true(res.status === 302 && /\/sign-in/.test(res.headers.get('location') ?? ''), `${p}: anonymous goes to sign-in (${res.status})`);
  }

  const others = {
    employee: await buildEmployee(a),
    'team admin': await buildTeamAdmin(a, { team: 'ward-1' }),
    operator: await buildOperator(a),
    'privacy officer': await buildDpo(a),
  };
  for (const [who, p] of Object.entries(others)) {
    for (const r of api) t.is((await p.client.call(r.method, r.path)).status, 403, `${r.path}: ${who}`);
    for (const path of PAGES) {
      const res = await p.client.call('GET', path, undefined, html);
      t.is(res.status, 403, `${path}: ${who}`);
      t.regex(await res.text(), /(for|voor) auditors/, `${path}: ${who} reads why`);
    }
  }
  t.is((await readEvents(a)).length, 0, 'refused calls read nothing and record no auditor read');

  const auditor = await buildAuditor(a);
  for (const r of api) {
    const res = await auditor.client.call(r.method, r.path);
    t.is(res.status, 200, `${r.path}: auditor`);
  }
  for (const path of PAGES) {
    const res = await auditor.client.call('GET', path, undefined, html);
    t.is(res.status, 200, `${path}: auditor`);
  }
  const reads = await readEvents(a);
  t.is(reads.length, api.length + PAGES.length, 'one audited read per API call and per page');
  t.true(reads.every((e) => e.actor_id === auditor.id && e.subject_id === null && e.personal === null));
  t.deepEqual([...new Set(reads.map((e) => (e.payload as { view: string }).view))].sort(), ['access_review', 'configuration', 'events', 'home', 'retention', 'verification']);

  // The start page ties the views together, with the registers and the export.
  const home = await (await auditor.client.call('GET', '/audit', undefined, html)).text();
  for (const href of ['/audit/log', '/audit/verification', '/audit/access-review', '/audit/retention', '/audit/configuration', '/privacy/requests', '/privacy/breaches', '/audit/export']) t.true(home.includes(`href="${href}"`), href);
  // The registers it links to are readable by the auditor (the privacy module's own pages).
  for (const p of ['/privacy/requests', '/privacy/breaches']) t.is((await auditor.client.call('GET', p, undefined, html)).status, 200, p);

  // The retention state is the operator console's, read-only.
  const retention = await auditor.client.json<{ categories: Array<{ category: string; setting: string }> }>('GET', '/api/v1/audit/retention');
  t.like(retention.body.categories.find((c) => c.category === 'submitted_days'), { setting: '7 years' });
  t.regex(await (await auditor.client.call('GET', '/audit/retention', undefined, html)).text(), /<pre id="retention-status">[^<]*submitted_days: 7 years/);

  // The layout's language switch (?lang=en) is not a filter.
  for (const path of PAGES) t.is((await auditor.client.call('GET', `${path}?lang=en`, undefined, html)).status, 200, `${path}?lang=en`);

  // Hostile input from the auditor: 4xx, never 500.
  t.is((await auditor.client.call('GET', '/api/v1/audit/events?actor=a%00b')).status, 422);
  t.is((await auditor.client.call('GET', '/audit/log?actor=a%00b', undefined, html)).status, 422);
  t.is((await auditor.client.call('GET', '/api/v1/audit/events?colour=red')).status, 422, 'an unknown filter is refused, not ignored');
});

test('the auditor’s strings are complete in Dutch and English', (t) => {
  t.deepEqual(Object.keys(COMPLIANCE_STRINGS.nl).sort(), Object.keys(COMPLIANCE_STRINGS.en).sort());
  t.true(Object.values(COMPLIANCE_STRINGS.nl).every((v) => v.trim().length > 0));
});
