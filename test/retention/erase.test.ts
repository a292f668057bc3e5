/** Erasure through the service: restriction, the sealed reason, and a person whose key is already gone. */
import test from 'ava';
import { fixedClock } from '../../src/platform/clock.js';
import { erasePerson, PersonHeldError } from '../../src/retention/erase.js';
import { addHold } from '../../src/retention/holds.js';
import { auditEvents, retentionWorld, seedAccount } from './support.js';

test('erase restricts the account once and seals the reason under the person\'s key; a held person is refused with 409', async (t) => {
  const w = await retentionWorld(t);
  const person = await seedAccount(w.knex, { username: 'current' });
  const deps = { db: w.knex, audit: w.services.audit, handlers: w.handlers, clock: fixedClock(new Date()) };
  const hold = await addHold(w.knex, w.services.audit, 'cli:dpo', { target: { kind: 'person', accountId: person }, reason: 'claim', endsOn: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) }, new Date());
  const err = await t.throwsAsync(erasePerson(deps, { personId: person, reason: 'why', dryRun: false, actorId: 'cli:dpo' }), { instanceOf: PersonHeldError });
  t.is((err as PersonHeldError).status, 409);
  await w.knex('legal_holds').where({ id: hold.id }).update({ released_at: new Date(), released_by: 'cli:dpo', release_reason: 'done' });

  const r = await erasePerson(deps, { personId: person, reason: 'art. 17 request #12', dryRun: false, actorId: 'cli:dpo' });
  t.true(r.restricted);
  t.is((await w.knex('accounts').where({ id: person }).first()).email, 'current@example.test', 'a current employee keeps the profile (still signs in)');
  const [event] = await auditEvents(w.knex, 'retention.erased');
  t.like(event!.payload, { reason_sealed: true, reason_length: 19 });
  t.deepEqual(await w.services.audit.readPersonal(w.knex, event!.seq), { reason: 'art. 17 request #12' });
});

test('erase of a person whose data key of this year is already shredded still restricts and audits, without the reason', async (t) => {
  const w = await retentionWorld(t);
  const person = await seedAccount(w.knex, { username: 'shredded' });
  await w.services.keys.encrypt(w.knex, person, { table: 't', column: 'c', rowId: 'r' }, 'x', { purpose: 'record' });
  await w.services.keys.shred(w.knex, person);
  await erasePerson({ db: w.knex, audit: w.services.audit, handlers: w.handlers, clock: fixedClock(new Date()) }, { personId: person, reason: 'second request', dryRun: false, actorId: 'cli:dpo' });
  t.truthy((await w.knex('accounts').where({ id: person }).first()).restricted_at);
  const [event] = await auditEvents(w.knex, 'retention.erased');
  t.like(event!.payload, { reason_sealed: false, reason_length: 14 });
  t.is(event!.personal, null);
});
