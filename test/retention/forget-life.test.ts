import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createKeyService } from '../../src/keys/service.js';
import type { ShredRecord } from '../../src/keys/types.js';
import { draftsHandler, submittedDaysHandler } from '../../src/timesheets/retention.js';
import { testLogger } from '../helpers/log.js';
import { person, timesheetApp } from '../timesheets/helpers.js';
import { bypass, dayCount, holds, keysOf, NO_HOLDS, purgeAll, scopeAt, seedDay, timesheetDeps } from './forget-helpers.js';

/**
 * The whole life of time data, travelling in time with the run's `asOf` (the injected
 * clock of the retention job): the handlers are driven directly, batch by batch, as the
 * job drives them. Reads go through the real HTTP API.
 */

test('a day of 2019, submitted and approved, is kept through 2026, shredded in 2027; a person hold keeps it; released, it is gone at the next run', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const old = await seedDay(a, { ownerId: owner.id, date: '2019-03-14', state: 'approved', projectId, note: 'audit 2019', team: 'team-a', approver: admin.id });
  await seedDay(a, { ownerId: owner.id, date: '2019-11-02', state: 'approved', projectId, team: 'team-a', approver: admin.id });
  const later = await seedDay(a, { ownerId: owner.id, date: '2020-01-06', state: 'approved', projectId, note: 'audit 2020', team: 'team-a', approver: admin.id });
  const handler = submittedDaysHandler(timesheetDeps(a));
  const read = (id: string) => admin.c.json<{ entries: Array<{ note: string }> }>('GET', `/api/v1/days/${id}`);

  t.deepEqual(await handler.oldest(a.db.knex, { asOf: new Date('2026-06-01') }), new Date(Date.UTC(2019, 11, 31)));
  // Every year up to the end of 2026: seven full years after 2019 have not passed.
  for (const asOf of ['2020-06-01T03:00:00Z', '2023-01-01T03:00:00Z', '2026-12-31T23:00:00Z']) {
    t.deepEqual(await purgeAll(handler, a.db.knex, scopeAt(a, 'submitted_days', asOf)), { entries: 0, days: 0, keys: 0 }, asOf);
  }
  t.deepEqual((await read(old.dayId)).body.entries.map((e) => e.note), ['audit 2019']);

  // 2027, a person hold: nothing goes, the plan says what is held back.
  const held = scopeAt(a, 'submitted_days', '2027-01-02T03:00:00Z', holds({ persons: new Set([owner.id]) }));
  t.deepEqual(await handler.plan(a.db.knex, held), { due: { days: 0, entries: 0, keys: 0 }, held: { days: 2, entries: 2, keys: 2 } });
  t.deepEqual(await purgeAll(handler, a.db.knex, held), { entries: 0, days: 0, keys: 0 });
  t.is((await read(old.dayId)).status, 200);

  // Released: the next run shreds the 2019 record and note keys and deletes the rows, in batches of 3.
  const free = scopeAt(a, 'submitted_days', '2027-01-03T03:00:00Z');
  t.deepEqual(await handler.plan(a.db.knex, free), { due: { days: 2, entries: 2, keys: 2 }, held: { days: 0, entries: 0, keys: 0 } });
  t.deepEqual(await purgeAll(handler, a.db.knex, free), { entries: 2, days: 2, keys: 2 });
  t.is((await read(old.dayId)).status, 404);
  t.deepEqual(await keysOf(a, owner.id), ['note/2020', 'record/2020']);
  const tombs = (await a.db.knex('key_tombstones').where({ subject: owner.id }).select('purpose', 'year')) as Array<{ purpose: string; year: number }>;
  t.deepEqual(tombs.map((r) => `${r.purpose}/${r.year}`).sort(), ['note/2019', 'record/2019']);
  // 2020 is untouched and readable; a second run finds nothing (idempotent).
  t.deepEqual((await read(later.dayId)).body.entries.map((e) => e.note), ['audit 2020']);
  t.deepEqual(await purgeAll(handler, a.db.knex, free), { entries: 0, days: 0, keys: 0 });
  t.is(await dayCount(a, owner.id), 1);
});

test('a day whose keys were shredded while its rows are still there (a run killed between the two) reads as shredded (410), and the next run deletes it', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const day = await seedDay(a, { ownerId: owner.id, date: '2019-05-01', state: 'approved', projectId, note: 'x', team: 'team-a', approver: admin.id });
  await a.db.knex.transaction((trx) => a.app.keys.shredKeys(trx, [{ subject: owner.id, purpose: 'record', year: 2019 }]));
  const r = await admin.c.json<{ error: { code: string } }>('GET', `/api/v1/days/${day.dayId}`);
  t.is(r.status, 410);
  t.is(r.body.error.code, 'key_shredded');
  t.deepEqual(await purgeAll(submittedDaysHandler(timesheetDeps(a)), a.db.knex, scopeAt(a, 'submitted_days', '2027-02-01T00:00:00Z')), { entries: 1, days: 1, keys: 1 });
  t.is((await admin.c.json('GET', `/api/v1/days/${day.dayId}`)).status, 404);
});

test('drafts expire on their own period while the approved days of the same person and year stay readable', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const approved = await seedDay(a, { ownerId: owner.id, date: '2025-03-03', state: 'approved', projectId, note: 'kept', team: 'team-a', approver: admin.id });
  await seedDay(a, { ownerId: owner.id, date: '2025-03-04', state: 'draft', projectId, note: 'concept' });
  await seedDay(a, { ownerId: owner.id, date: '2025-09-01', state: 'draft', projectId });
  t.deepEqual(await keysOf(a, owner.id), ['draft/2025', 'note/2025', 'record/2025']);
  const drafts = draftsHandler(timesheetDeps(a));

  // June 2026 (12 months back: 2025-06-01): the March draft goes, the September one stays, the draft key of 2025 too.
  t.deepEqual(await purgeAll(drafts, a.db.knex, scopeAt(a, 'drafts', '2026-06-01T03:00:00Z')), { entries: 1, days: 1, keys: 0 });
  t.is(await dayCount(a, owner.id), 2);
  // January 2027: all of 2025 is due, the last draft and the draft key of 2025 go.
  t.deepEqual(await purgeAll(drafts, a.db.knex, scopeAt(a, 'drafts', '2027-01-02T03:00:00Z')), { entries: 1, days: 1, keys: 1 });
  t.deepEqual(await keysOf(a, owner.id), ['note/2025', 'record/2025']);
  // The approved day of the same person and year: readable, note included.
  const r = await admin.c.json<{ entries: Array<{ note: string; minutes: number }> }>('GET', `/api/v1/days/${approved.dayId}`);
  t.is(r.status, 200);
  t.deepEqual(r.body.entries.map((e) => [e.note, e.minutes]), [['kept', 480]]);
  // The submitted_days handler has nothing to do in 2027 for 2025.
  t.deepEqual(await purgeAll(submittedDaysHandler(timesheetDeps(a)), a.db.knex, scopeAt(a, 'submitted_days', '2027-01-02T03:00:00Z')), { entries: 0, days: 0, keys: 0 });
});

test('two nodes purging at the same moment: every row deleted once, every key shredded (and put in the ledger) once', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const admin = await person(a, { adminOf: 'team-a' });
  const owners = [];
  for (let i = 0; i < 6; i++) {
    const p = await person(a, { inTeam: 'team-a' });
    owners.push(p.id);
    for (const date of ['2019-02-01', '2019-02-04', '2019-02-05']) await seedDay(a, { ownerId: p.id, date, state: 'approved', projectId, note: `n${i}`, team: 'team-a', approver: admin.id });
  }
  const ledger: ShredRecord[] = [];
  const node = () => submittedDaysHandler(timesheetDeps(a, createKeyService(a.app.keyring, testLogger(t.title), { ledger: { record: async (e) => void ledger.push(...e) } })));
  const scope = scopeAt(a, 'submitted_days', '2027-03-01T00:00:00Z', NO_HOLDS, 4);
  const [one, two] = await Promise.all([purgeAll(node(), a.db.knex, scope), purgeAll(node(), a.db.knex, scope)]);
  t.is(one.entries! + two.entries!, 18);
  t.is(one.days! + two.days!, 18);
  t.is(one.keys! + two.keys!, 12, 'record and note key of 2019 for six people');
  t.is(ledger.length, 12);
  t.is(new Set(ledger.map((r) => r.keyId)).size, 12, 'no key recorded twice');
  t.is(Number(((await a.db.knex('key_tombstones').whereIn('subject', owners).count('* as n').first()) as { n: string }).n), 12);
  t.is(await bypass(a, async (trx) => Number(((await trx('time_entries').count('* as n').first()) as { n: string }).n)), 0);
});

test('erase(person): drafts and the running timer deleted, draft and note keys shredded; the approved day stays readable with its note erased; a dry run only counts', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const kept = await seedDay(a, { ownerId: owner.id, date: '2025-03-03', state: 'approved', projectId, note: 'privé', team: 'team-a', approver: admin.id });
  await seedDay(a, { ownerId: owner.id, date: '2025-03-04', state: 'draft', projectId, note: 'concept' });
  t.is((await owner.c.json('POST', '/api/v1/me/timer/start', { project_id: projectId, note: 'loopt' })).status, 201);
  const drafts = draftsHandler(timesheetDeps(a));
  const dry = await drafts.erase!(a.db.knex, owner.id, { dryRun: true, holds: NO_HOLDS });
  // Keys: the draft and note keys of 2025, and the draft key of this year (the running timer).
  t.deepEqual(dry, { draft_entries: 1, draft_days: 1, timers: 1, keys: 3 });
  t.is(await dayCount(a, owner.id), 2, 'a dry run changes nothing');
  t.deepEqual(await drafts.erase!(a.db.knex, owner.id, { dryRun: false, holds: holds({ persons: new Set([owner.id]) }) }), { draft_entries: 0, draft_days: 0, timers: 0, keys: 0 }, 'a person hold keeps everything');
  t.deepEqual(await drafts.erase!(a.db.knex, owner.id, { dryRun: false, holds: NO_HOLDS }), dry);
  t.deepEqual(await keysOf(a, owner.id), ['record/2025']);
  t.is((await owner.c.json<{ running: boolean }>('GET', '/api/v1/me/timer')).body.running, false);
  const r = await admin.c.json<{ entries: Array<{ note: string; note_erased?: boolean; minutes: number }> }>('GET', `/api/v1/days/${kept.dayId}`);
  t.is(r.status, 200);
  t.deepEqual(r.body.entries.map((e) => [e.note, e.note_erased, e.minutes]), [['', true, 480]]);
});

test('a project hold keeps the entries booked on it (found by decrypting) and their year keys; the rest of the year goes', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const [other] = (await a.db.knex('projects').insert({ name: 'Other', billable: false }).returning('id')) as Array<{ id: string }>;
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const evidence = await seedDay(a, { ownerId: owner.id, date: '2019-04-01', state: 'approved', projectId, note: 'bewijs', team: 'team-a', approver: admin.id });
  const plain = await seedDay(a, { ownerId: owner.id, date: '2019-04-02', state: 'approved', projectId: other!.id, team: 'team-a', approver: admin.id });
  const handler = submittedDaysHandler(timesheetDeps(a));
  const scope = scopeAt(a, 'submitted_days', '2027-02-01T00:00:00Z', holds({ projects: new Set([projectId]) }));
  t.deepEqual(await handler.plan(a.db.knex, scope), { due: { days: 1, entries: 1, keys: 0 }, held: { days: 1, entries: 1, keys: 2 } });
  t.deepEqual(await purgeAll(handler, a.db.knex, scope), { entries: 1, days: 1, keys: 0 });
  t.is((await admin.c.json('GET', `/api/v1/days/${plain.dayId}`)).status, 404);
  t.deepEqual((await admin.c.json<{ entries: Array<{ note: string }> }>('GET', `/api/v1/days/${evidence.dayId}`)).body.entries.map((e) => e.note), ['bewijs']);
  t.deepEqual(await keysOf(a, owner.id), ['note/2019', 'record/2019']);
});

test('a running timer keeps the draft key it is sealed under, even when its year is due', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a);
  await seedDay(a, { ownerId: owner.id, date: '2025-09-01', state: 'draft', projectId });
  const details = await a.app.keys.encrypt(a.db.knex, owner.id, { table: 'running_timers', column: 'details', rowId: owner.id }, JSON.stringify({ started_at: '2025-12-31T20:00:00.000Z', project_id: projectId, task_id: null, note: '' }), { year: 2025, purpose: 'draft' });
  await bypass(a, (trx) => trx('running_timers').insert({ owner_id: owner.id, details, created_at: '2025-12-31T20:00:00Z' }));
  const drafts = draftsHandler(timesheetDeps(a));
  const scope = scopeAt(a, 'drafts', '2027-01-02T03:00:00Z');
  t.deepEqual(await purgeAll(drafts, a.db.knex, scope), { entries: 1, days: 1, keys: 0 });
  t.deepEqual(await keysOf(a, owner.id), ['draft/2025']);
  t.is((await owner.c.json<{ running: boolean }>('GET', '/api/v1/me/timer')).body.running, true);
  await bypass(a, (trx) => trx('running_timers').where({ owner_id: owner.id }).delete());
  t.deepEqual(await purgeAll(drafts, a.db.knex, scope), { entries: 0, days: 0, keys: 1 });
  t.deepEqual(await keysOf(a, owner.id), []);
});

test('the correction requests of an expired day go with it (the foreign key cascades, through the index of migration 20261204030000); those of a kept day stay; a request for a missing day is refused', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const old = await seedDay(a, { ownerId: owner.id, date: '2019-03-14', state: 'approved', projectId, team: 'team-a', approver: admin.id });
  const kept = await seedDay(a, { ownerId: owner.id, date: '2020-01-06', state: 'approved', projectId, team: 'team-a', approver: admin.id });
  const correction = (dayId: string) => ({ id: randomUUID(), day_id: dayId, owner_id: owner.id, text: 'sealed elsewhere; not read here' });
  await a.db.knex('timesheet_corrections').insert([correction(old.dayId), correction(old.dayId), correction(kept.dayId)]);
  t.deepEqual(await purgeAll(submittedDaysHandler(timesheetDeps(a)), a.db.knex, scopeAt(a, 'submitted_days', '2027-01-03T03:00:00Z')), { entries: 1, days: 1, keys: 1 });
  const left = (await a.db.knex('timesheet_corrections').where({ owner_id: owner.id }).select('day_id')) as Array<{ day_id: string }>;
  t.deepEqual(left.map((r) => r.day_id), [kept.dayId]);
  const err = await t.throwsAsync(a.db.knex('timesheet_corrections').insert(correction(old.dayId)));
  t.regex(err!.message, /foreign key/);
});
