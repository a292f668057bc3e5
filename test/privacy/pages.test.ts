import test from 'ava';
import type { RequestView } from '../../src/privacy/schema.js';
import { startTestApp } from '../helpers/app.js';
import type { ApiClient } from '../helpers/client.js';
import { buildAuditor, buildDpo, buildEmployee, buildOperator, buildTeamAdmin } from '../helpers/factories.js';

/** A page as a browser gets it. */
async function get(c: ApiClient, path: string): Promise<{ status: number; text: string }> {
  const res = await c.call('GET', path);
  return { status: res.status, text: await res.text() };
}

/** A form post as a browser sends it (urlencoded, with the page's CSRF token). */
async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

test('"My requests": an employee files by form and sees only their own; Dutch and English', async (t) => {
  const a = await startTestApp(t);
  const emp = await buildEmployee(a);
  const other = await buildEmployee(a);
  await other.client.json('POST', '/api/v1/me/privacy-requests', { kind: 'restriction', text: 'OTHER-PERSON-TEXT' });
  const page = await get(emp.client, '/privacy/my-requests?lang=en');
  t.is(page.status, 200);
  t.regex(page.text, /<label for="kind">What do you ask\?<\/label>/);
  t.regex(page.text, /<label for="text">/);
  const filed = await postForm(emp.client, '/privacy/my-requests', { kind: 'objection', text: 'I object to MY-OWN-TEXT' });
  t.is(filed.status, 302);
  t.is(filed.location, '/privacy/my-requests?ok=1');
  const after = await get(emp.client, '/privacy/my-requests?ok=1&lang=en');
  t.regex(after.text, /Your request was received/);
  t.regex(after.text, /Objection/);
  t.false(after.text.includes('OTHER-PERSON-TEXT'));
  t.false(after.text.includes('Restriction of processing</td>'));
  const nl = await get(emp.client, '/privacy/my-requests?lang=nl');
  t.regex(nl.text, /Mijn verzoeken over mijn gegevens/);
  t.regex(nl.text, /Bezwaar/);
  const bad = await postForm(emp.client, '/privacy/my-requests', { kind: 'access' });
  t.is(bad.status, 422);
  t.regex(bad.text, /role="alert">Verzoek: is geen van de keuzes/, 'the field by its label, in Dutch');
  t.is((await a.db.knex('privacy_requests').where({ subject_id: emp.id })).length, 1, 'nothing half-written');
});

test('the registers as pages: dpo with forms and overdue first, auditor read-only, operator, team admin and employee get 404', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const auditor = await buildAuditor(a);
  const emp = await buildEmployee(a);
  const recent = await dpo.client.json<RequestView>('POST', '/api/v1/privacy/requests', { subject_reference: 'letter A', kind: 'access', channel: 'letter', received_at: new Date(Date.now() - 2 * 86_400_000).toISOString() });
  const old = await dpo.client.json<RequestView>('POST', '/api/v1/privacy/requests', { subject_reference: 'letter B', kind: 'erasure', channel: 'letter', received_at: new Date(Date.now() - 40 * 86_400_000).toISOString() });
  t.true(old.body.overdue);
  const breach = await dpo.client.json<{ id: string }>('POST', '/api/v1/privacy/breaches', { detected_at: new Date(Date.now() - 3_600_000).toISOString(), aware_at: new Date(Date.now() - 3_600_000).toISOString(), what_happened: 'misdirected mail', data_categories: 'hours' });

  const list = await get(dpo.client, '/privacy/requests?lang=en');
  t.is(list.status, 200);
  t.true(list.text.indexOf(`/privacy/requests/${old.body.id}`) < list.text.indexOf(`/privacy/requests/${recent.body.id}`), 'overdue first');
  t.regex(list.text, /<tr class="overdue">/);
  t.regex(list.text, /action="\/privacy\/requests"/, 'the dpo records requests here');
  const detail = await get(dpo.client, `/privacy/requests/${recent.body.id}?lang=en`);
  t.regex(detail.text, new RegExp(`action="/privacy/requests/${recent.body.id}/decision"`));
  const decided = await postForm(dpo.client, `/privacy/requests/${recent.body.id}/decision`, { decision: 'refuse', ground: 'manifestly unfounded (art. 12(5))' });
  t.is(decided.status, 302);
  t.regex((await get(dpo.client, `/privacy/requests/${recent.body.id}?lang=en`)).text, /manifestly unfounded/);
  const noGround = await postForm(dpo.client, `/privacy/requests/${old.body.id}/decision`, { decision: 'refuse' });
  t.is(noGround.status, 422);
  t.regex(noGround.text, /ground:/);
  t.regex((await get(dpo.client, `/privacy/breaches/${breach.body.id}?lang=nl`)).text, /Een aanvulling toevoegen/);
  const breaches = await get(dpo.client, '/privacy/breaches?lang=en');
  t.regex(breaches.text, /<th>Internal notice \(by, or made at\)<\/th><th>Authority by<\/th>/, 'both clocks at a glance');
  const amended = await postForm(dpo.client, `/privacy/breaches/${breach.body.id}/amendments`, { status: 'confirmed', authority: 'pending', people_informed: 'pending', note: 'confirmed by the mail log' });
  t.is(amended.status, 302);
  t.is((await a.db.knex('privacy_breach_versions').where({ breach_id: breach.body.id })).length, 2);

  for (const path of ['/privacy/requests', `/privacy/requests/${old.body.id}`, '/privacy/breaches', `/privacy/breaches/${breach.body.id}`]) {
    const r = await get(auditor.client, `${path}?lang=en`);
    t.is(r.status, 200, path);
    t.false(r.text.includes('<form method="post" action="/privacy/'), `no forms for auditors: ${path}`);
    t.false(/\[object |undefined|NaN/.test(r.text), `rendered cleanly: ${path}`);
  }
  t.is((await postForm(auditor.client, `/privacy/requests/${old.body.id}/identity-check`, { note: 'x' })).status, 403);
  for (const outsider of [await buildOperator(a), await buildTeamAdmin(a), emp]) {
    for (const path of ['/privacy/requests', `/privacy/requests/${old.body.id}`, '/privacy/breaches', `/privacy/breaches/${breach.body.id}`]) t.is((await get(outsider.client, path)).status, 404, path);
    t.is((await postForm(outsider.client, `/privacy/requests/${old.body.id}/identity-check`, { note: 'x' })).status, 404);
  }
  t.is((await a.db.knex('privacy_requests').whereNotNull('identity_checked_at')).length, 0, 'nobody but the dpo noted a check');
});
