import test from 'ava';
import { auditSetup, chained } from './helpers.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { verifyDatabase } from '../../src/audit/verify.js';

const event = (caller: number, i: number) => ({ action: AUDIT_ACTIONS.timesheetEntryCreated, actorId: `acct-${caller}`, object: { type: 'time_entry', id: `c${caller}-e${i}` }, payload: { caller, i } });

test('concurrent appenders, one of which rolls back after appending: gapless chain, each batch contiguous and in order, nothing of the rolled-back caller', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = Number(((await knex('audit.events').max({ m: 'seq' }).first()) as { m: string | null }).m ?? 0);
  const callers = Array.from({ length: 12 }, (_, c) => c);
  const results = await Promise.allSettled(
    callers.map((c) =>
      knex.transaction(async (trx) => {
        const recorded = c % 3 === 0 ? [await audit.record(trx, event(c, 0))] : await audit.recordMany(trx, [event(c, 0), event(c, 1), event(c, 2)]);
        // Caller 5 fails after its append: its events must vanish without a hole or a broken link.
        if (c === 5) throw new Error('caller 5 rolls back');
        return recorded;
      }),
    ),
  );
  t.is(results.filter((r) => r.status === 'rejected').length, 1);
  await audit.flush();
  const rows = (await knex('audit.events').where('seq', '>', before).orderBy('seq').select('seq', 'object_id', 'actor_id')) as Array<{ seq: string; object_id: string; actor_id: string }>;
  t.deepEqual(rows.map((r) => Number(r.seq)), rows.map((_, i) => before + 1 + i), 'no hole where the rolled-back events would have been');
  t.false(rows.some((r) => r.actor_id === 'acct-5'), 'nothing of the rolled-back caller');
  t.is(rows.length, callers.filter((c) => c !== 5).reduce((n, c) => n + (c % 3 === 0 ? 1 : 3), 0));
  for (const [c, r] of results.entries()) {
    if (r.status !== 'fulfilled') continue;
    const seqs = (await chained(knex, r.value)).map((e) => e.seq);
    t.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), `caller ${c}'s events are contiguous`);
    const stored = rows.filter((row) => row.actor_id === `acct-${c}`);
    t.deepEqual(stored.map((row) => row.object_id), seqs.map((_, i) => `c${c}-e${i}`), `caller ${c}'s events in the order given`);
  }
  const report = await verifyDatabase(knex, { keys: trusted });
  t.true(report.ok, JSON.stringify(report.problems));
});
