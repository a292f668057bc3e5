import test from 'ava';
import type { BreachView } from '../../src/privacy/schema.js';
import { startTestApp } from '../helpers/app.js';
import { buildAuditor, buildDpo, buildEmployee, buildOperator, buildTeamAdmin } from '../helpers/factories.js';

type Breach = BreachView & { error?: { details?: Array<{ field: string }> } };

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

test('a breach is recorded with its 24/72-hour clocks; amendments append versions, each audited; the database refuses edits in place', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const rec = await dpo.client.json<Breach>('POST', '/api/v1/privacy/breaches', {
    detected_at: hoursAgo(80), aware_at: hoursAgo(75), what_happened: 'A laptop with an export was left on a train', data_categories: 'names, worked hours', people_count: 40, records_count: 1200,
  });
  t.is(rec.status, 201);
  t.is(rec.body.status, 'suspected');
  t.is(rec.body.version, 1);
  t.true(rec.body.clocks.authority_overdue, 'aware 75 hours ago and not notified');
  t.true(rec.body.clocks.internal_overdue);
  t.is(Date.parse(rec.body.clocks.authority_due) - Date.parse(rec.body.aware_at), 72 * 3_600_000);
  const id = rec.body.id;
  t.false(JSON.stringify(await a.db.knex('privacy_breach_versions').where({ breach_id: id })).includes('laptop'), 'the text rests sealed');

  const noReason = await dpo.client.json<Breach>('POST', `/api/v1/privacy/breaches/${id}/amendments`, { people_informed: 'not_informed', note: 'decided' });
  t.is(noReason.status, 422);
  t.deepEqual(noReason.body.error?.details?.map((d) => d.field), ['people_informed_reason']);
  t.is((await dpo.client.json<Breach>('POST', `/api/v1/privacy/breaches/${id}/amendments`, { status: 'confirmed' })).status, 422, 'an amendment says why');

  const amended = await dpo.client.json<Breach>('POST', `/api/v1/privacy/breaches/${id}/amendments`, {
    status: 'confirmed', authority: 'notified', authority_at: hoursAgo(1), internal_notice_at: hoursAgo(74), measures: 'remote wipe; disk was encrypted',
    people_informed: 'not_informed', people_informed_reason: 'the disk was encrypted: no high risk (art. 34(3)(a))', note: 'after the wipe report',
  });
  t.is(amended.status, 201);
  t.is(amended.body.version, 2);
  t.is(amended.body.what_happened, 'A laptop with an export was left on a train', 'unchanged fields carry over');
  t.false(amended.body.clocks.authority_overdue);
  t.deepEqual(amended.body.history?.map((v) => v.version), [1, 2]);
  t.is(amended.body.history?.[0]?.status, 'suspected', 'the first version stays as it was');

  const events = (await a.db.knex('audit.events').where({ object_type: 'privacy_breach', object_id: id }).orderBy('seq').select('action', 'payload')) as Array<{ action: string; payload: { fields?: string[] } }>;
  t.deepEqual(events.map((e) => e.action), ['privacy.breach.recorded', 'privacy.breach.amended']);
  t.deepEqual(events[1]!.payload.fields?.sort(), ['authority', 'authority_at', 'internal_notice_at', 'measures', 'people_informed', 'people_informed_reason', 'status']);

  const err = await t.throwsAsync(a.db.knex('privacy_breach_versions').where({ breach_id: id }).update({ what_happened: 'nothing happened' }));
  t.regex(err.message, /append-only/);
  t.regex((await t.throwsAsync(a.db.knex('privacy_breach_versions').where({ breach_id: id, version: 2 }).del())).message, /append-only/);
  t.regex((await t.throwsAsync(a.db.knex('privacy_breaches').where({ id }).del())).message, /append-only/);
  t.regex((await t.throwsAsync(a.db.knex.raw('TRUNCATE privacy_breach_versions'))).message, /append-only/);
  t.is((await a.db.knex('privacy_breach_versions').where({ breach_id: id })).length, 2);
});

test('who sees the breach register: dpo keeps it, auditor reads it, nobody else', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const auditor = await buildAuditor(a);
  const rec = await dpo.client.json<Breach>('POST', '/api/v1/privacy/breaches', { detected_at: hoursAgo(2), aware_at: hoursAgo(1), what_happened: 'mail to a wrong address', data_categories: 'hours of one week' });
  t.is(rec.status, 201);
  t.false(rec.body.clocks.authority_overdue);
  t.is((await auditor.client.json<{ breaches: Breach[] }>('GET', '/api/v1/privacy/breaches')).body.breaches.length, 1);
  t.is((await auditor.client.json('GET', `/api/v1/privacy/breaches/${rec.body.id}`)).status, 200);
  t.is((await auditor.client.json('POST', `/api/v1/privacy/breaches/${rec.body.id}/amendments`, { status: 'closed', note: 'x' })).status, 403);
  t.is((await auditor.client.json('POST', '/api/v1/privacy/breaches', { detected_at: hoursAgo(2), aware_at: hoursAgo(1), what_happened: 'x', data_categories: 'y' })).status, 403);
  for (const outsider of [await buildOperator(a), await buildTeamAdmin(a), await buildEmployee(a)]) {
    t.is((await outsider.client.json('GET', '/api/v1/privacy/breaches')).status, 403);
    t.is((await outsider.client.json('GET', `/api/v1/privacy/breaches/${rec.body.id}`)).status, 403);
    t.is((await outsider.client.json('POST', `/api/v1/privacy/breaches/${rec.body.id}/amendments`, { status: 'closed', note: 'x' })).status, 403);
  }
  const late = await dpo.client.json<Breach>('POST', '/api/v1/privacy/breaches', { detected_at: hoursAgo(2), aware_at: hoursAgo(3), what_happened: 'x', data_categories: 'y' });
  t.is(late.status, 422);
  t.deepEqual(late.body.error?.details?.map((d) => d.field), ['aware_at']);
  const future = await dpo.client.json<Breach>('POST', '/api/v1/privacy/breaches', { detected_at: hoursAgo(2), aware_at: hoursAgo(-5), what_happened: 'x', data_categories: 'y' });
  t.is(future.status, 422);
  t.deepEqual(future.body.error?.details?.map((d) => d.field), ['aware_at']);
});
