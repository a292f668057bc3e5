import { randomUUID } from 'node:crypto';
import test from 'ava';
import { eventHash, GENESIS_HASH, type AuditEventRow } from '../../src/audit/canonical.js';
import { headAndClock, insertEvents } from '../../src/audit/repository.js';
import { eventsPageQuery } from '../../src/compliance/audit-browse.js';
import type { EventsQuery } from '../../src/compliance/schema.js';
import type { Knex } from '../../src/platform/db.js';
import { useTestDatabase } from '../helpers/db.js';

/**
 * The audit-log page stays fast over a large log because every filter is served by an
 * index, in seq order where it can be: held here on the query planner's own plan
 * (node types and index names), not on timing. The log is a real chain (the append
 * trigger checks every link) spread over a year, with many actors, subjects and
 * actions. Size: UURWERK_EXPLAIN_EVENTS (default 30,000; enough for the planner to
 * prefer indexes as it does at millions).
 */
const EVENTS = Number(process.env.UURWERK_EXPLAIN_EVENTS ?? 30_000);
const ACTIONS = ['auth.login.succeeded', 'auth.login.failed', 'auth.logout.succeeded', 'timesheet.entry.created', 'timesheet.entry.changed', 'timesheet.day.submitted', 'timesheet.day.approved', 'privacy.personal_data.read', 'compliance.auditor.read', 'keys.rotate'];
const YEAR_MS = 365 * 86_400_000;

/** Appends `n` events with spread times, 300 actors, 100 subjects and one rare action, in chunks of one insert each. */
async function seedLog(db: Knex, n: number): Promise<void> {
  const start = Date.now() - YEAR_MS;
  let seq = 0;
  let prev = GENESIS_HASH;
  await db.transaction(async (trx) => {
    const head = await headAndClock(trx);
    seq = head.seq;
    prev = head.hash ?? GENESIS_HASH;
    for (let done = 0; done < n; done += 1000) {
      const rows: AuditEventRow[] = [];
      for (let i = done; i < Math.min(n, done + 1000); i++) {
        const row: Omit<AuditEventRow, 'hash'> = {
          seq: ++seq, id: randomUUID(), at: new Date(start + Math.floor((i * YEAR_MS) / n)).toISOString(), actor_id: `acct-${i % 300}`,
          subject_id: i % 4 === 0 ? null : `subj-${(i * 7) % 100}`, action: i % 1000 === 7 ? 'keys.rotate' : ACTIONS[(i * 3) % (ACTIONS.length - 1)]!, object_type: 'thing', object_id: String(i),
          payload: { i }, personal: null, prev_hash: prev,
        };
        prev = eventHash(row);
        rows.push({ ...row, hash: prev });
      }
      await insertEvents(trx, rows);
    }
  });
  await db.raw('ANALYZE audit.events');
}

interface PlanNode { 'Node Type': string; 'Index Name'?: string; Plans?: PlanNode[] }

/** Every node of a plan, depth first. */
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

async function planOf(db: Knex, q: EventsQuery): Promise<PlanNode[]> {
  const { sql, bindings } = eventsPageQuery(db, q, 'Europe/Amsterdam').toSQL();
  const { rows } = await db.raw<{ rows: Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, bindings);
  return nodes(rows[0]!['QUERY PLAN'][0]!.Plan);
}

const describe = (plan: PlanNode[]) => plan.map((n) => `${n['Node Type']}${n['Index Name'] ? ` on ${n['Index Name']}` : ''}`).join(' > ');
const usesIndex = (plan: PlanNode[], name: string) => plan.some((n) => /Index/.test(n['Node Type']) && n['Index Name'] === name);

test('every filtered page of the audit log is planned on an index, never a sequential scan', async (t) => {
  const db = (await useTestDatabase(t)).knex;
  await seedLog(db, EVENTS);
  const mid = (await db('audit.events').where({ seq: Math.floor(EVENTS / 2) }).first('at')) as { at: Date };
  const midAt = new Date(mid.at);
  const dayAfter = new Date(midAt.getTime() + 86_400_000).toISOString();

  const cases: Array<[string, EventsQuery, string | null, boolean]> = [
    // [name, filter, the index the plan must use (null: any), whether the index must also give the order (no Sort node)]
    ['actor', { actor: 'acct-17' }, 'audit_events_actor', true],
    ['actor, next page', { actor: 'acct-17', before: Math.floor(EVENTS / 2) }, 'audit_events_actor', false],
    ['subject', { subject: 'subj-21' }, 'audit_events_subject', true],
    ['a rare action', { action: 'keys.rotate' }, 'audit_events_action_at', false],
    ['a common action (the primary key walks back and stops after a page)', { action: 'timesheet.entry.created' }, null, false],
    ['action prefix', { action: 'auth.login.' }, null, false],
    ['a day of the year', { from: midAt.toISOString(), to: dayAfter }, 'audit_events_at', false],
    ['a day, next page', { from: midAt.toISOString(), to: dayAfter, before: Math.floor(EVENTS / 2) + 20 }, null, false],
    ['actor within a month', { actor: 'acct-5', from: midAt.toISOString(), to: new Date(midAt.getTime() + 30 * 86_400_000).toISOString() }, null, false],
  ];
  for (const [name, q, index, ordered] of cases) {
    const plan = await planOf(db, q);
    const shown = `${name}: ${describe(plan)}`;
    t.false(plan.some((n) => n['Node Type'] === 'Seq Scan'), shown);
    t.true(plan.some((n) => /Index|Bitmap/.test(n['Node Type'])), shown);
    if (index) t.true(usesIndex(plan, index), `${shown} (expected ${index})`);
    if (ordered) t.false(plan.some((n) => n['Node Type'] === 'Sort'), `${shown}: the index yields seq order, nothing is sorted`);
    t.log(shown);
  }

  // The plan reader can fail: counting an unindexed payload field plans a sequential scan.
  const { rows } = await db.raw<{ rows: Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }> }>(`EXPLAIN (FORMAT JSON) SELECT count(*) FROM audit.events WHERE payload->>'i' = '7'`);
  const control = nodes(rows[0]!['QUERY PLAN'][0]!.Plan);
  t.true(control.some((n) => n['Node Type'] === 'Seq Scan'), describe(control));
});
