import test from 'ava';
import { loadActor } from '../../src/identity/auth-service.js';
import { fixedClock } from '../../src/platform/clock.js';
import { decideRequest } from '../../src/privacy/requests.js';
import type { PrivacyDeps } from '../../src/privacy/context.js';
import type { RequestView } from '../../src/privacy/schema.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildAuditor, buildDpo, buildEmployee, buildOperator, buildTeamAdmin } from '../helpers/factories.js';

type Req = RequestView & { error?: { details?: Array<{ field: string }> } };

/** The changes audited on a request (its reads, `privacy.register.viewed`, are tested in register-reads.test.ts). */
async function actions(a: TestApp, objectId: string): Promise<string[]> {
  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const rows = (await a.db.knex('audit.events').where({ object_type: 'privacy_request', object_id: objectId }).whereNot({ action: 'privacy.register.viewed' }).orderBy('seq').select('action')) as Array<{ action: string }>;
  return rows.map((r) => r.action);
}

test('an employee files an erasure request with text: sealed at rest, listed for them only, audited; others get 404', async (t) => {
  const a = await startTestApp(t);
  const emp = await buildEmployee(a);
  const other = await buildEmployee(a);
  const filed = await emp.client.json<Req>('POST', '/api/v1/me/privacy-requests', { kind: 'erasure', text: 'Please erase my drafts MARKER-7731' });
  t.is(filed.status, 201);
  t.is(filed.body.kind, 'erasure');
  t.is(filed.body.status, 'open');
  t.is(filed.body.text, 'Please erase my drafts MARKER-7731');
  const stored = (await a.db.knex('privacy_requests').where({ id: filed.body.id }).first()) as Record<string, unknown>;
  t.false(JSON.stringify(stored).includes('MARKER-7731'), 'the text rests sealed');
  t.is(stored.subject_id, emp.id);
  const mine = await emp.client.json<{ requests: Req[] }>('GET', '/api/v1/me/privacy-requests');
  t.deepEqual(mine.body.requests.map((r) => r.id), [filed.body.id]);
  t.is((await other.client.json('GET', `/api/v1/me/privacy-requests/${filed.body.id}`)).status, 404);
  t.deepEqual((await other.client.json<{ requests: Req[] }>('GET', '/api/v1/me/privacy-requests')).body.requests, []);
  t.deepEqual(await actions(a, filed.body.id), ['privacy.request.filed']);
  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const ev = (await a.db.knex('audit.events').where({ object_id: filed.body.id }).first()) as { subject_id: string; payload: Record<string, unknown> };
  t.is(ev.subject_id, emp.id);
  t.false(JSON.stringify(ev.payload).includes('MARKER'), 'the payload names fields, not text');
  // A person may not file access or portability requests here (those are self-service) nor set fields the API does not take.
  const bad = await emp.client.json<Req>('POST', '/api/v1/me/privacy-requests', { kind: 'access', status: 'closed' });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error?.details?.map((d) => d.field).sort(), ['kind', 'status']);
  t.is(await a.db.knex('privacy_requests').count<Array<{ count: string }>>('* as n').then((r) => Number((r[0] as unknown as { n: string }).n)), 1, 'nothing half-written');
});

test('who sees the request register: dpo all, auditor read-only, operator, team admin and employee nothing', async (t) => {
  const a = await startTestApp(t);
  const emp = await buildEmployee(a);
  const dpo = await buildDpo(a);
  const auditor = await buildAuditor(a);
  const operator = await buildOperator(a);
  const admin = await buildTeamAdmin(a, { team: 'ward-1' });
  const filed = await emp.client.json<Req>('POST', '/api/v1/me/privacy-requests', { kind: 'objection' });
  const id = filed.body.id;
  for (const reader of [dpo, auditor]) {
    const list = await reader.client.json<{ requests: Req[] }>('GET', '/api/v1/privacy/requests');
    t.is(list.status, 200);
    t.deepEqual(list.body.requests.map((r) => r.id), [id]);
    t.is((await reader.client.json('GET', `/api/v1/privacy/requests/${id}`)).status, 200);
  }
  t.is((await auditor.client.json('POST', `/api/v1/privacy/requests/${id}/identity-check`, { note: 'seen badge' })).status, 403, 'auditors read only');
  t.is((await auditor.client.json('POST', `/api/v1/privacy/requests/${id}/decision`, { decision: 'grant' })).status, 403);
  for (const outsider of [operator, admin, emp]) {
    t.is((await outsider.client.json('GET', '/api/v1/privacy/requests')).status, 403);
    t.is((await outsider.client.json('GET', `/api/v1/privacy/requests/${id}`)).status, 403);
    t.is((await outsider.client.json('POST', `/api/v1/privacy/requests/${id}/decision`, { decision: 'grant' })).status, 403);
    t.is((await outsider.client.json('GET', '/api/v1/privacy/breaches')).status, 403);
  }
  t.is((await dpo.client.json('POST', `/api/v1/privacy/requests/${id}/identity-check`, { note: 'seen badge' })).status, 200);
});

test("a leaver's request by letter: recorded, identity checked, extended, refused in part with the ground, told; every change audited", async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const leaver = await buildEmployee(a);
  await a.db.knex('accounts').where({ id: leaver.id }).update({ status: 'deactivated' });
  const received = new Date(Date.now() - 3 * 86_400_000).toISOString();
  const rec = await dpo.client.json<Req>('POST', '/api/v1/privacy/requests', { subject_id: leaver.id, kind: 'access', channel: 'letter', received_at: received, text: 'letter of 3 days ago' });
  t.is(rec.status, 201);
  t.is(rec.body.identity_checked_at, null);
  t.is(rec.body.deadlines.effective, rec.body.deadlines.legal);
  const id = rec.body.id;
  t.is((await dpo.client.json<Req>('POST', `/api/v1/privacy/requests/${id}/identity-check`, { note: 'signature compared with the personnel file' })).body.identity_note, 'signature compared with the personnel file');
  const ext = await dpo.client.json<Req>('POST', `/api/v1/privacy/requests/${id}/extension`, { reason: 'archive boxes to be searched' });
  t.is(ext.body.deadlines.effective, ext.body.deadlines.extended);
  t.is((await dpo.client.json('POST', `/api/v1/privacy/requests/${id}/extension`, { reason: 'again' })).status, 409, 'one extension only');
  t.is((await dpo.client.json('POST', `/api/v1/privacy/requests/${id}/told`, {})).status, 409, 'decide first');
  const noGround = await dpo.client.json<Req>('POST', `/api/v1/privacy/requests/${id}/decision`, { decision: 'partly' });
  t.is(noGround.status, 422);
  t.deepEqual(noGround.body.error?.details?.map((d) => d.field), ['ground']);
  const decided = await dpo.client.json<Req>('POST', `/api/v1/privacy/requests/${id}/decision`, { decision: 'partly', ground: 'third parties named in the same file (art. 15(4))', actions: 'copy sent without the names of colleagues' });
  t.is(decided.status, 200);
  t.is(decided.body.status, 'decided');
  t.is(decided.body.execution, null, 'only erasure runs the erase service');
  const told = await dpo.client.json<Req>('POST', `/api/v1/privacy/requests/${id}/told`, {});
  t.is(told.body.status, 'closed');
  t.truthy(told.body.closed_at);
  t.is((await dpo.client.json('POST', `/api/v1/privacy/requests/${id}/identity-check`, { note: 'late' })).status, 409, 'closed requests do not change');
  t.deepEqual(await actions(a, id), ['privacy.request.recorded', 'privacy.request.identity_checked', 'privacy.request.extended', 'privacy.request.decided', 'privacy.request.closed']);
  const byLeaver = (await a.db.knex('privacy_requests').where({ subject_id: leaver.id }).first()) as { recorded_by: string; channel: string };
  t.is(byLeaver.recorded_by, dpo.id);
  t.is(byLeaver.channel, 'letter');
  const unknown = await dpo.client.json<Req>('POST', '/api/v1/privacy/requests', { subject_id: '00000000-0000-4000-8000-000000000000', kind: 'access', channel: 'letter', received_at: received });
  t.is(unknown.status, 422);
  t.deepEqual(unknown.body.error?.details?.map((d) => d.field), ['subject_id']);
  const byReference = await dpo.client.json<Req>('POST', '/api/v1/privacy/requests', { subject_reference: 'letter 2026-014', kind: 'erasure', channel: 'letter', received_at: received });
  t.is(byReference.status, 201, 'someone without an account is recorded by case reference');
});

test('granting an erasure through the API runs the retention erase: the person is restricted, their own text goes with their note key, the erasure is audited', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const emp = await buildEmployee(a);
  const filed = await emp.client.json<Req>('POST', '/api/v1/me/privacy-requests', { kind: 'erasure', text: 'erase what you may' });
  const decided = await dpo.client.json<Req>('POST', `/api/v1/privacy/requests/${filed.body.id}/decision`, { decision: 'grant' });
  t.is(decided.status, 200);
  t.is(decided.body.decision, 'grant');
  t.is(decided.body.execution, 'done');
  t.truthy(((await a.db.knex('accounts').where({ id: emp.id }).first('restricted_at')) as { restricted_at: Date | null }).restricted_at, 'what the fiscal duty keeps is restricted');
  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const erased = await a.db.knex('audit.events').where({ action: 'retention.erased', subject_id: emp.id }).count<Array<{ count: string }>>('* as count');
  t.is(Number(erased[0]!.count), 1);
  const seen = await dpo.client.json<Req>('GET', `/api/v1/privacy/requests/${filed.body.id}`);
  t.is(seen.body.text, null, "the person's own text went with their note key");
  t.deepEqual(await actions(a, filed.body.id), ['privacy.request.filed', 'privacy.request.decided', 'privacy.request.executed']);
});

test('a leaver\'s granted erasure calls the erase service it is given and records the execution (erase service stubbed to observe the call)', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const emp = await buildEmployee(a);
  const filed = await emp.client.json<Req>('POST', '/api/v1/me/privacy-requests', { kind: 'erasure', text: 'all my drafts' });
  await a.db.knex('accounts').where({ id: emp.id }).update({ status: 'deactivated' }); // has left since
  const calls: Array<[string, string]> = [];
  const deps: PrivacyDeps = {
    db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, clock: fixedClock(new Date()),
    erasePerson: async (personId, reason) => {
      calls.push([personId, reason]);
      await a.app.keys.shred(a.db.knex, personId); // what an erasure does to the person's keys
    },
  };
  const view = await decideRequest(deps, await loadActor(a.db.knex, dpo.id), filed.body.id, { decision: 'grant', actions: 'drafts and notes erased' });
  t.deepEqual(calls.map((c) => c[0]), [emp.id]);
  t.false(calls[0]![1].includes('all my drafts'), 'the reason names the request, not its text');
  t.is(view.execution, 'done');
  t.is(view.text, null, "the person's own text went with their keys");
  t.is(view.actions, 'drafts and notes erased', "the officer's record of it stays (sealed under the register's subject)");
  t.is((await dpo.client.json<Req>('GET', `/api/v1/privacy/requests/${filed.body.id}`)).status, 200);
  t.deepEqual(await actions(a, filed.body.id), ['privacy.request.filed', 'privacy.request.decided', 'privacy.request.executed']);
});
