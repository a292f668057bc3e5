import test from 'ava';
import type { RetentionHolds } from '../../src/platform/retention.js';
import { alarmRetention } from '../../src/privacy/retention.js';
import { CATEGORIES, cutoffFor } from '../../src/retention/policy.js';
import { parseConfig } from '../../src/platform/config.js';
import { startTestApp } from '../helpers/app.js';
import { buildOperator, buildTeamAdmin } from '../helpers/factories.js';

const noHolds: RetentionHolds = { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] };
const DAY = 86_400_000;

test('cleared alarms go once retention.alarms has passed since clearing; open ones, held ones and the newest backup run stay', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a);
  const now = Date.parse('2027-06-01T00:00:00Z');
  const ago = (days: number) => new Date(now - days * DAY);
  const alarm = (kind: string, key: string, opened: number, cleared: number | null) => ({ kind, key, category: 'operational', opened_at: ago(opened), last_seen_at: ago(cleared ?? 0), cleared_at: cleared === null ? null : ago(cleared), detail: { failures: 3 } });
  const ids = (await a.db.knex('alarms').insert([
    alarm('mail_relay', 'relay', 500, 400), // cleared 400 days ago: due
    alarm('mail_relay', 'relay-2', 500, 300), // cleared 300 days ago: not yet
    alarm('backup_age', 'backup', 900, null), // open: never due
    { ...alarm('unusual_reads', admin.id, 450, 420), category: 'suspected' }, // due, but the person is held
    alarm('jobs_failing', 'jobs', 700, 600), // due, but opened in a held range
  ]).returning('id')).map((r: { id: string }) => r.id);
  await a.db.knex('backup_runs').insert([{ finished_at: ago(800), bytes: 1 }, { finished_at: ago(500), bytes: 1 }]);

  const scope = (holds: RetentionHolds) => ({ asOf: new Date(now), cutoff: cutoffFor(a.config.retention, 'alarms', new Date(now)), holds, batchSize: 100 });
  const holds = { ...noHolds, persons: new Set([admin.id]), ranges: [{ from: ago(701).toISOString().slice(0, 10), to: ago(699).toISOString().slice(0, 10) }] };
  t.is(a.config.retention.alarms, '1 year');
  t.deepEqual(await alarmRetention.plan(a.db.knex, scope(holds)), { due: { alarms: 1, backup_runs: 1 }, held: { alarms: 2 } });
  t.is((await alarmRetention.oldest(a.db.knex, { asOf: new Date(now) }))?.toISOString(), ago(600).toISOString());
  t.deepEqual(await alarmRetention.purgeBatch(a.db.knex, scope(holds)), { removed: { alarms: 1, backup_runs: 1 }, done: true });
  const left = (await a.db.knex('alarms').select('id')).map((r: { id: string }) => r.id).sort();
  t.deepEqual(left, ids.slice(1).sort(), 'only the due, unheld alarm went');
  t.is(Number((await a.db.knex('backup_runs').count({ n: '*' }))[0]!.n), 1, 'the newest backup run stays, however old');
  t.deepEqual(await alarmRetention.purgeBatch(a.db.knex, scope(holds)), { removed: { alarms: 0, backup_runs: 0 }, done: true }, 'idempotent');
  // Without holds, the held ones go as well; the open alarm never does.
  t.deepEqual(await alarmRetention.purgeBatch(a.db.knex, scope(noHolds)), { removed: { alarms: 2, backup_runs: 0 }, done: true });
  t.deepEqual((await a.db.knex('alarms').select('kind')).map((r: { kind: string }) => r.kind).sort(), ['backup_age', 'mail_relay']);
});

test('retention.alarms is in the catalogue with a ground and an end action, configurable, and the running appliance has its handler', async (t) => {
  t.like(CATEGORIES.alarms, { anchor: 'end' });
  t.regex(CATEGORIES.alarms.ground, /art\. 32/);
  t.true(CATEGORIES.alarms.atEnd.length > 0);
  t.is(parseConfig({ retention: { alarms: '90 days' } }, 'test.yaml').retention.alarms, '90 days');
  t.throws(() => parseConfig({ retention: { alarms: 'forever' } }, 'test.yaml'), { message: /retention\.alarms/ });
  const a = await startTestApp(t);
  const operator = await buildOperator(a);
  const r = await operator.client.json<{ categories: Array<{ category: string; state: string; setting: string }> }>('GET', '/api/v1/retention');
  t.like(r.body.categories.find((c) => c.category === 'alarms'), { state: 'active', setting: '1 year' });
});
