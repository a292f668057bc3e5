import test from 'ava';
import { parseEnvelope } from '../../src/keys/crypto.js';
import { entryRef } from '../../src/timesheets/context.js';
import type { TestApp } from '../helpers/app.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

/** The purpose of the data key an envelope was sealed with. */
async function purposeOf(a: TestApp, envelope: string | null): Promise<string | undefined> {
  if (!envelope) return undefined;
  const row = await a.db.knex('data_keys').where({ id: parseEnvelope(envelope)!.keyId }).first('purpose');
  return row?.purpose as string | undefined;
}

async function entryRow(a: TestApp, id: string) {
  return (await a.db.knex.transaction(async (trx) => {
    await trx.raw(`SELECT set_config('uurwerk.bypass', 'on', true)`);
    return trx('time_entries').where({ id }).first('details', 'note', 'key_purpose');
  })) as { details: string; note: string | null; key_purpose: string };
}

test('a draft day is sealed under draft keys and its note under the note key; at submit its entries move to record keys in the same transaction, the note stays', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a', email: 'owner@example.org' });
  const admin = await person(a, { adminOf: 'team-a' });
  const date = daysAgo(2);
  const e = await owner.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '10:00'), project_id: projectId, note: 'kiespijn' });
  t.is(e.status, 201);
  const bare = await owner.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '11:00'), end: at(date, '12:00'), project_id: projectId });
  let row = await entryRow(a, e.body.id);
  t.is(row.key_purpose, 'draft');
  t.is(await purposeOf(a, row.details), 'draft');
  t.is(await purposeOf(a, row.note), 'note');
  t.false(row.details.includes('kiespijn'));
  t.is((await entryRow(a, bare.body.id)).note, null, 'no note, no note value');

  const sub = await owner.c.json<{ id: string; entries: Array<{ note: string }> }>('POST', `/api/v1/me/days/${date}/submit`);
  t.is(sub.status, 200);
  row = await entryRow(a, e.body.id);
  t.is(row.key_purpose, 'record');
  t.is(await purposeOf(a, row.details), 'record');
  t.is(await purposeOf(a, row.note), 'note');
  const seen = await admin.c.json<{ entries: Array<{ id: string; note: string; minutes: number }> }>('GET', `/api/v1/days/${sub.body.id}`);
  t.is(seen.status, 200);
  t.deepEqual(seen.body.entries.map((x) => [x.note, x.minutes]), [['kiespijn', 120], ['', 60]]);

  // Returned and corrected: the day was submitted once, so new entries go under the record key at once.
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/return`, { comment: 'graag splitsen' })).status, 200);
  const fix = await owner.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '13:00'), end: at(date, '14:00'), project_id: projectId, note: 'correctie' });
  t.is(fix.status, 201);
  const fixed = await entryRow(a, fix.body.id);
  t.is(fixed.key_purpose, 'record');
  t.is(await purposeOf(a, fixed.details), 'record');
  const changed = await owner.c.json('PATCH', `/api/v1/me/entries/${e.body.id}`, { note: 'kiespijn, tandarts' });
  t.is(changed.status, 200);
  t.is(await purposeOf(a, (await entryRow(a, e.body.id)).details), 'record');
  // The other callers name theirs: the admin's TOTP secret, the comment's personal audit payload, the outbox body.
  const purposes = async (subject: string) => ((await a.db.knex('data_keys').where({ subject }).pluck('purpose')) as string[]).sort();
  t.true((await purposes(admin.id)).includes('profile'), 'TOTP secret under the profile key');
  t.true((await purposes(owner.id)).includes('audit'), 'the return comment in the audit log under the audit key');
  t.deepEqual(await purposes('system:mail-outbox'), ['mail']);
});

test('an entry written before notes had a column (note inside the details) still reads, note included', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a);
  const date = daysAgo(3);
  const e = await owner.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date, duration_minutes: 30, project_id: projectId });
  t.is(e.status, 201);
  // The old shape: one envelope under the (then only) key of the year, note inside.
  const details = await a.app.keys.encrypt(a.db.knex, owner.id, entryRef(e.body.id), JSON.stringify({ start: null, end: null, date, minutes: 30, project_id: projectId, task_id: null, note: 'oude notitie' }), { year: Number(date.slice(0, 4)), purpose: 'record' });
  await a.db.knex.transaction(async (trx) => {
    await trx.raw(`SELECT set_config('uurwerk.bypass', 'on', true)`);
    await trx('time_entries').where({ id: e.body.id }).update({ details, note: null, key_purpose: 'record' });
  });
  const day = await owner.c.json<{ entries: Array<{ note: string; minutes: number }> }>('GET', `/api/v1/me/days/${date}`);
  t.is(day.status, 200);
  t.deepEqual(day.body.entries.map((x) => [x.note, x.minutes]), [['oude notitie', 30]]);
});

test('a restricted person (accounts.restricted_at set) drops out of the admin inbox; the others stay', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const admin = await person(a, { adminOf: 'team-a' });
  const kept = await person(a, { inTeam: 'team-a' });
  const restricted = await person(a, { inTeam: 'team-a' });
  const date = daysAgo(1);
  for (const p of [kept, restricted]) {
    t.is((await p.c.json('POST', '/api/v1/me/entries', { date, duration_minutes: 60, project_id: projectId })).status, 201);
    t.is((await p.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  }
  const before = await admin.c.json<{ total: number; days: Array<{ owner_id: string }> }>('GET', '/api/v1/days');
  t.deepEqual(before.body.days.map((d) => d.owner_id).sort(), [kept.id, restricted.id].sort());
  await a.db.knex('accounts').where({ id: restricted.id }).update({ restricted_at: a.db.knex.fn.now() });
  const after = await admin.c.json<{ total: number; days: Array<{ owner_id: string }> }>('GET', '/api/v1/days');
  t.is(after.status, 200);
  t.deepEqual(after.body.days.map((d) => d.owner_id), [kept.id]);
  t.is(after.body.total, 1);
  const filtered = await admin.c.json<{ total: number }>('GET', `/api/v1/days?person=${restricted.id}`);
  t.is(filtered.body.total, 0, 'not even when asked for by person');
});
