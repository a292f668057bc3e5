import test from 'ava';
import { loadActor } from '../../src/identity/auth-service.js';
import { fixedClock } from '../../src/platform/clock.js';
import type { RetentionHolds } from '../../src/platform/retention.js';
import { amendBreach, recordBreach } from '../../src/privacy/breaches.js';
import type { PrivacyDeps } from '../../src/privacy/context.js';
import { closeRequest, decideRequest, fileRequest } from '../../src/privacy/requests.js';
import { breachRetention, requestRetention } from '../../src/privacy/retention.js';
import { cutoffFor } from '../../src/retention/policy.js';
import { startTestApp } from '../helpers/app.js';
import { buildDpo, buildEmployee } from '../helpers/factories.js';

const noHolds: RetentionHolds = { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] };

test('closed requests and breaches go once retention.requests / retention.breaches have passed since closing; open ones and held ones stay', async (t) => {
  const a = await startTestApp(t);
  const dpo = await buildDpo(a);
  const emp = await buildEmployee(a);
  const held = await buildEmployee(a);
  const dpoActor = await loadActor(a.db.knex, dpo.id);
  const at = (iso: string): PrivacyDeps => ({ db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, clock: fixedClock(new Date(iso)) });
  const old = at('2020-03-01T10:00:00Z');
  // Closed in 2020: a request of emp, one of the held person, and a breach; open ones from 2020 too.
  const closed = async (who: typeof emp) => {
    const r = await fileRequest(old, await loadActor(a.db.knex, who.id), { kind: 'objection' });
    await decideRequest(old, dpoActor, r.id, { decision: 'refuse', ground: 'compelling legitimate grounds' });
    await closeRequest(old, dpoActor, r.id, {});
    return r.id;
  };
  const gone = await closed(emp);
  const kept = await closed(held);
  const open = (await fileRequest(old, await loadActor(a.db.knex, emp.id), { kind: 'erasure' })).id;
  const b = await recordBreach(old, dpoActor, { status: 'confirmed', detected_at: '2020-02-28T09:00:00Z', aware_at: '2020-02-28T10:00:00Z', what_happened: 'x', data_categories: 'y', people_count: 1, records_count: 1, consequences: '', measures: '', internal_notice_at: null, authority: 'pending', authority_at: null, authority_reason: null, people_informed: 'pending', people_informed_at: null, people_informed_reason: null });
  await amendBreach(old, dpoActor, b.id, { status: 'closed', authority: 'not_required', authority_reason: 'no risk', note: 'closed' });
  const openBreach = await recordBreach(old, dpoActor, { status: 'suspected', detected_at: '2020-02-28T09:00:00Z', aware_at: '2020-02-28T10:00:00Z', what_happened: 'x', data_categories: 'y', people_count: null, records_count: null, consequences: '', measures: '', internal_notice_at: null, authority: 'pending', authority_at: null, authority_reason: null, people_informed: 'pending', people_informed_at: null, people_informed_reason: null });

  const scopeAt = (iso: string, category: 'requests' | 'breaches') => ({ asOf: new Date(iso), cutoff: cutoffFor(a.config.retention, category, new Date(iso)), holds: { ...noHolds, persons: new Set([held.id]) }, batchSize: 100 });
  t.deepEqual(await requestRetention.plan(a.db.knex, scopeAt('2025-02-28T00:00:00Z', 'requests')), { due: { requests: 0 }, held: { requests: 0 } }, 'five years not passed yet');
  t.deepEqual(await requestRetention.plan(a.db.knex, scopeAt('2025-03-02T00:00:00Z', 'requests')), { due: { requests: 1 }, held: { requests: 1 } });
  t.is((await requestRetention.oldest(a.db.knex, { asOf: new Date() }))?.toISOString(), '2020-03-01T10:00:00.000Z');
  t.deepEqual(await requestRetention.purgeBatch(a.db.knex, scopeAt('2025-03-02T00:00:00Z', 'requests')), { removed: { requests: 1 }, done: true });
  t.deepEqual((await a.db.knex('privacy_requests').orderBy('number').select('id')).map((r: { id: string }) => r.id), [kept, open]);
  t.false((await a.db.knex('privacy_requests').select('id')).some((r: { id: string }) => r.id === gone));

  t.deepEqual(await breachRetention.plan(a.db.knex, scopeAt('2025-03-02T00:00:00Z', 'breaches')), { due: { breaches: 1 }, held: { breaches: 0 } });
  const rangeHeld = { ...scopeAt('2025-03-02T00:00:00Z', 'breaches'), holds: { ...noHolds, ranges: [{ from: '2020-02-01', to: '2020-02-29' }] } };
  t.deepEqual(await breachRetention.plan(a.db.knex, rangeHeld), { due: { breaches: 0 }, held: { breaches: 1 } }, 'a held date range keeps it');
  // The alarm that opened the breach entry is kept under retention.alarms: it loses the link, and does not block the purge.
  const [alarm] = (await a.db.knex('alarms').insert({ kind: 'audit_verify', key: 'chain', category: 'suspected', opened_at: new Date('2020-02-28T09:00:00Z'), last_seen_at: new Date('2020-02-28T09:00:00Z'), breach_id: b.id }).returning('id')) as Array<{ id: string }>;
  t.deepEqual(await breachRetention.purgeBatch(a.db.knex, scopeAt('2025-03-02T00:00:00Z', 'breaches')), { removed: { breaches: 1 }, done: true });
  t.is((await a.db.knex('alarms').where({ id: alarm!.id }).first('breach_id')).breach_id, null);
  t.deepEqual((await a.db.knex('privacy_breaches').select('id')).map((r: { id: string }) => r.id), [openBreach.id]);
  t.deepEqual(await breachRetention.purgeBatch(a.db.knex, scopeAt('2025-03-02T00:00:00Z', 'breaches')), { removed: { breaches: 0 }, done: true }, 'idempotent');
  await t.throwsAsync(a.db.knex('privacy_breaches').where({ id: openBreach.id }).del(), { message: /append-only/ }, 'outside the retention path DELETE stays refused');
});
