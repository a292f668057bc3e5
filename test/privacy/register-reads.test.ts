import test from 'ava';
import type { BreachView, RequestView } from '../../src/privacy/schema.js';
import { startTestApp } from '../helpers/app.js';
import { buildAuditor, buildDpo, buildEmployee } from '../helpers/factories.js';

test('each read of a register by a privacy officer or auditor (API and page) makes one audit event naming the view, never the content', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const auditor = await buildAuditor(a);
  const emp = await buildEmployee(a);
  const req = await emp.client.json<RequestView>('POST', '/api/v1/me/privacy-requests', { kind: 'erasure', text: 'READ-SECRET-1' });
  const br = await dpo.client.json<BreachView>('POST', '/api/v1/privacy/breaches', { detected_at: new Date(Date.now() - 3_600_000).toISOString(), aware_at: new Date(Date.now() - 3_600_000).toISOString(), what_happened: 'READ-SECRET-2', data_categories: 'hours' });
  t.is(br.status, 201);
  const views = async () => (await a.db.knex('audit.events').where({ action: 'privacy.register.viewed' }).orderBy('seq').select('actor_id', 'object_id', 'payload')) as Array<{ actor_id: string; object_id: string | null; payload: { view: string; filters: Record<string, string> } }>;
  t.deepEqual(await views(), [], 'writing records no read');

  t.is((await dpo.client.json('GET', '/api/v1/privacy/requests')).status, 200);
  t.is((await dpo.client.json('GET', `/api/v1/privacy/requests/${req.body.id}`)).status, 200);
  t.is((await auditor.client.json('GET', '/api/v1/privacy/breaches')).status, 200);
  t.is((await auditor.client.json('GET', `/api/v1/privacy/breaches/${br.body.id}`)).status, 200);
  t.is((await auditor.client.call('GET', '/privacy/requests?lang=en')).status, 200);
  t.is((await dpo.client.call('GET', `/privacy/breaches/${br.body.id}`)).status, 200);
  t.is((await emp.client.json('GET', '/api/v1/privacy/requests')).status, 403, 'an employee is refused ...');
  t.is((await auditor.client.json('GET', '/api/v1/privacy/breaches/00000000-0000-4000-8000-000000000000')).status, 404, '... and an unknown entry is no read');

  const got = await views();
  t.deepEqual(got.map((v) => [v.actor_id, v.payload.view, v.object_id]), [
    [dpo.id, 'requests', null], [dpo.id, 'request', req.body.id], [auditor.id, 'breaches', null], [auditor.id, 'breach', br.body.id], [auditor.id, 'requests', null], [dpo.id, 'breach', br.body.id],
  ]);
  t.false(JSON.stringify(got).includes('READ-SECRET'), 'no content');
});
