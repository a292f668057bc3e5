import test from 'ava';
import { auditSetup, chained } from './helpers.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { recordPlainEvents } from '../../src/audit/service.js';
import { verifyDatabase } from '../../src/audit/verify.js';
import { ValidationError } from '../../src/platform/errors.js';


const event = (i: number) => ({ action: AUDIT_ACTIONS.timesheetEntryCreated, actorId: 'acct-1', subjectId: 'acct-1', object: { type: 'time_entry', id: `e-${i}` }, payload: { fields: ['note'] } });

test('recordMany and recordPlainEvents stage a batch in one insert, chained in order by one pass; the chain verifies', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = Number((await knex('audit.events').max({ m: 'seq' }).first())!.m ?? 0);
  const staged = await knex.transaction((trx) => audit.recordMany(trx, [event(1), { ...event(2), personal: { typed: 'secret-in-batch' } }, event(3)]));
  await audit.flush();
  const many = await chained(knex, staged);
  t.deepEqual(many.map((r) => r.seq), [before + 1, before + 2, before + 3]);
  const plain = await chained(knex, await knex.transaction((trx) => recordPlainEvents(trx, [event(4), event(5)])).then(async (r) => (await audit.flush(), r)));
  t.deepEqual(plain.map((r) => r.seq), [before + 4, before + 5]);
  t.deepEqual(await knex.transaction((trx) => audit.recordMany(trx, [])), [], 'an empty batch appends nothing');
  const rows = await knex('audit.events').where('seq', '>', before).orderBy('seq').select('object_id', 'personal');
  t.deepEqual(rows.map((r) => r.object_id), ['e-1', 'e-2', 'e-3', 'e-4', 'e-5']);
  t.false(String(rows[1].personal).includes('secret'), 'personal details in a batch are encrypted too');
  t.deepEqual(await audit.readPersonal(knex, many[1]!.seq), { typed: 'secret-in-batch' });
  const r = await verifyDatabase(knex, { keys: trusted });
  t.true(r.ok, JSON.stringify(r.problems));
});

test('one bad event refuses the whole batch (422 naming the field), and recordPlainEvents refuses personal details', async (t) => {
  const { knex, audit } = await auditSetup(t);
  const before = Number((await knex('audit.events').count({ n: '*' }).first())!.n);
  const err = await t.throwsAsync(knex.transaction((trx) => audit.recordMany(trx, [event(1), { ...event(2), action: 'Not A Name' }])), { instanceOf: ValidationError });
  t.deepEqual(err!.fields.map((f) => f.field), ['action']);
  await t.throwsAsync(knex.transaction((trx) => recordPlainEvents(trx, [event(3), { ...event(4), object: { type: 'x', id: '' } }])), { instanceOf: ValidationError });
  t.is(Number((await knex('audit.events').count({ n: '*' }).first())!.n), before, 'nothing appended');
  const personal = await t.throwsAsync(knex.transaction((trx) => recordPlainEvents(trx, [{ ...event(5), personal: { ip: '192.0.2.1' } }])), { instanceOf: ValidationError });
  t.deepEqual(personal!.fields.map((f) => f.field), ['personal'], 'refused, not silently dropped or stored in clear');
  await audit.flush();
  t.is(Number((await knex('audit.events').count({ n: '*' }).first())!.n), before);
  t.is(Number((await knex('audit.pending').count({ n: '*' }).first())!.n), 0, 'nothing staged either');
  await t.throwsAsync(recordPlainEvents(knex as never, [event(6)]), { message: /inside the transaction/ });
});
