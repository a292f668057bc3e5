/**
 * The retention API and the operator page through the real server: 401 for
 * anonymous callers, 403 for employees, 422 naming the field, then the status and
 * legal holds for operators (auditors read only), each hold change audited.
 */
import test from 'ava';
import { buildAuditor, buildEmployee, buildOperator, buildPerson } from '../helpers/factories.js';
import { startTestApp } from '../helpers/app.js';
import { auditEvents } from './support.js';

const DAY = 86_400_000;

test('GET /retention: anonymous 401, employee 403, operator, auditor and DPO 200 with every category', async (t) => {
  const a = await startTestApp(t);
  t.is((await a.request('/api/v1/retention')).status, 401);
  const employee = await buildEmployee(a);
  t.is((await employee.client.json('GET', '/api/v1/retention')).status, 403);
  t.is((await employee.client.json('GET', '/api/v1/retention/holds')).status, 403);
  const operator = await buildOperator(a);
  const r = await operator.client.json<{ categories: Array<{ category: string; state: string; setting: string }>; last_run: unknown }>('GET', '/api/v1/retention');
  t.is(r.status, 200);
  t.is(r.body.categories.length, 11);
  t.like(r.body.categories.find((c) => c.category === 'requests'), { state: 'active', setting: '5 years' });
  t.deepEqual(r.body.categories.filter((c) => c.state !== 'active').map((c) => c.category), [], 'every category has its handler in the running appliance');
  t.like(r.body.categories.find((c) => c.category === 'sign_in_records'), { state: 'active', setting: '30 days' });
  t.is(r.body.last_run, null);
  const auditor = await buildAuditor(a);
  t.is((await auditor.client.json('GET', '/api/v1/retention')).status, 200);
  const dpo = await buildPerson(a, ['dpo']);
  t.is((await dpo.client.json('GET', '/api/v1/retention')).status, 200);
  t.is((await dpo.client.json('GET', '/api/v1/retention/holds')).status, 200);
  t.is((await dpo.client.json('POST', '/api/v1/retention/holds', { person: employee.id, reason: 'x', until: '2099-01-01' })).status, 403, 'holds are set by operators');
});

test('legal holds over the API: anonymous 401 before the body is read, 422 naming the field, employee and auditor may not set one; operator sets, lists and releases, audited', async (t) => {
  const a = await startTestApp(t);
  const until = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10);
  t.is((await a.request('/api/v1/retention/holds', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"bad":' })).status, 401);
  const employee = await buildEmployee(a);
  t.is((await employee.client.json('POST', '/api/v1/retention/holds', { person: employee.id, reason: 'x', until })).status, 403);
  const auditor = await buildAuditor(a);
  t.is((await auditor.client.json('POST', '/api/v1/retention/holds', { person: employee.id, reason: 'x', until })).status, 403);

  const operator = await buildOperator(a);
  const none = await operator.client.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/retention/holds', { reason: 'x', until });
  t.is(none.status, 422);
  t.deepEqual(none.body.error.details.map((d) => d.field), ['person']);
  const badDate = await operator.client.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/retention/holds', { person: employee.id, reason: 'x', until: '2026-13-01' });
  t.is(badDate.status, 422);
  t.deepEqual(badDate.body.error.details.map((d) => d.field), ['until']);
  const missing = await operator.client.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/retention/holds', { project: '00000000-0000-4000-8000-000000000000', reason: 'x', until });
  t.is(missing.status, 422);
  t.deepEqual(missing.body.error.details.map((d) => d.field), ['project']);
  t.is(Number((await a.db.knex('legal_holds').count<{ n: string }[]>({ n: '*' }).first())!.n), 0, 'nothing half-written');

  const added = await operator.client.json<{ id: string; kind: string; person: string; until: string; created_by: string }>('POST', '/api/v1/retention/holds', { person: employee.id, reason: 'works council dispute', until });
  t.is(added.status, 201);
  t.like(added.body, { kind: 'person', person: employee.id, until, created_by: operator.id });
  const range = await operator.client.json<{ id: string }>('POST', '/api/v1/retention/holds', { from: '2025-01-01', to: '2025-03-31', reason: 'audit', until });
  t.is(range.status, 201);

  const list = await auditor.client.json<{ holds: Array<{ id: string }> }>('GET', '/api/v1/retention/holds');
  t.is(list.status, 200);
  t.deepEqual(list.body.holds.map((h) => h.id).sort(), [added.body.id, range.body.id].sort());
  const status = await operator.client.json<{ active_holds: number }>('GET', '/api/v1/retention');
  t.is(status.body.active_holds, 2);

  t.is((await auditor.client.json('POST', `/api/v1/retention/holds/${added.body.id}/release`, { reason: 'done' })).status, 403);
  t.is((await operator.client.json('POST', '/api/v1/retention/holds/00000000-0000-4000-8000-000000000000/release', { reason: 'done' })).status, 404);
  t.is((await operator.client.json('POST', `/api/v1/retention/holds/${added.body.id}/release`, {})).status, 422);
  t.is((await operator.client.json('POST', `/api/v1/retention/holds/${added.body.id}/release`, { reason: 'settled' })).status, 200);
  t.is((await operator.client.json('POST', `/api/v1/retention/holds/${added.body.id}/release`, { reason: 'again' })).status, 409);
  const active = await operator.client.json<{ holds: Array<{ id: string }> }>('GET', '/api/v1/retention/holds');
  t.deepEqual(active.body.holds.map((h) => h.id), [range.body.id]);
  const all = await operator.client.json<{ holds: Array<{ id: string; released_by: string | null }> }>('GET', '/api/v1/retention/holds?all=true');
  t.is(all.body.holds.find((h) => h.id === added.body.id)!.released_by, operator.id);

  const events = await auditEvents(a.db.knex, 'retention.hold_added');
  t.is(events.length, 2);
  t.is(events[0]!.actor_id, operator.id);
  t.is(events[0]!.subject_id, employee.id);
  t.is((await auditEvents(a.db.knex, 'retention.hold_released')).length, 1);
});

test('the operator page shows retention per category and the holds in force; employees get 404', async (t) => {
  const a = await startTestApp(t);
  const operator = await buildOperator(a);
  const employee = await buildEmployee(a);
  const until = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10);
  await operator.client.json('POST', '/api/v1/retention/holds', { person: employee.id, reason: 'pending claim', until });
  const page = await (await operator.client.call('GET', '/operator?lang=en', undefined, { accept: 'text/html' })).text();
  t.regex(page, /<h2 id="retention-h">Retention<\/h2>/);
  t.regex(page, /<pre id="retention-status"[^>]*>[^<]*sign_in_records: 30 days/);
  t.regex(page, /requests: 5 years\n {2}oldest held: none/);
  t.regex(page, new RegExp(`<ul id="legal-holds"><li><code>[^<]*person ${employee.id}`));
  t.is((await employee.client.call('GET', '/operator', undefined, { accept: 'text/html' })).status, 404);
});
