import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { entryRef } from '../../src/timesheets/context.js';
import { dayDigest } from '../../src/timesheets/day-digest.js';
import { runCli } from '../helpers/cli.js';
import type { TestApp } from '../helpers/app.js';
import { daysAgo, person, timesheetApp } from './helpers.js';

type Day = { id: string; state: string };

/** A config file for the CLI pointing at the running app's database and keyring. */
function cliConfig(t: Parameters<typeof timesheetApp>[0], a: TestApp): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-digest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `data_dir: ${a.config.data_dir}\ndatabase:\n  url: ${a.db.url}\nlog:\n  level: warn\n`);
  return file;
}

test('submit and approve record a digest of the day; audit:verify names each locked day changed behind the service (re-encrypted, deleted, swapped, changed before approval, approved by hand) and no other', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const note = 'canary-digest-note-5d4c';
  const entry = async (date: string, minutes: number) => {
    const r = await owner.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date, duration_minutes: minutes, project_id: projectId, note });
    t.is(r.status, 201);
    return r.body.id;
  };
  const [d1, d2, d3, d4, d5, d6] = [daysAgo(1), daysAgo(2), daysAgo(3), daysAgo(4), daysAgo(5), daysAgo(6)];
  const e1 = await entry(d1, 60);
  const e2 = await entry(d2, 90);
  await entry(d2, 30);
  const e3a = await entry(d3, 45);
  const e3b = await entry(d3, 50);
  await entry(d4, 15);
  const e5 = await entry(d5, 20);
  await entry(d6, 25);
  const ids: Record<string, string> = {};
  for (const d of [d1, d2, d3, d4, d5, d6]) {
    const r = await owner.c.json<Day>('POST', `/api/v1/me/days/${d}/submit`);
    t.is(r.status, 200);
    ids[d] = r.body.id;
  }
  t.is((await admin.c.json('POST', '/api/v1/days/approve', { ids: [ids[d1], ids[d3], ids[d4]] })).status, 200);

  const events = await a.db.knex('audit.events').whereIn('action', ['timesheet.day.submitted', 'timesheet.day.approved']).select('action', 'object_id', 'payload');
  t.is(events.length, 9);
  for (const e of events) {
    t.regex(String(e.payload.digest), /^[0-9a-f]{64}$/, `${e.action} carries a digest`);
    t.false(JSON.stringify(e.payload).includes(note), 'only the digest, never the content');
  }
  const submitted = events.find((e) => e.action === 'timesheet.day.submitted' && e.object_id === ids[d1]);
  const approved = events.find((e) => e.action === 'timesheet.day.approved' && e.object_id === ids[d1]);
  t.is(submitted.payload.digest, approved.payload.digest, 'approve saw the content that was submitted');

  const config = cliConfig(t, a);
  const clean = await runCli(['audit:verify', '--config', config]);
  t.is(clean.code, 0, clean.stdout + clean.stderr);
  t.regex(clean.stdout, /locked days checked against their digest: 6/);

  // d1 (approved): a different duration, re-encrypted under the owner's own key, so it decrypts fine.
  const row = await a.db.knex('time_entries').where({ id: e1 }).first('details');
  const plain = JSON.parse(await a.app.keys.decrypt(a.db.knex, owner.id, entryRef(e1), row.details)) as { minutes: number };
  const forged = await a.app.keys.encrypt(a.db.knex, owner.id, entryRef(e1), JSON.stringify({ ...plain, minutes: 480 }), { year: Number(d1.slice(0, 4)), purpose: 'record' });
  await a.db.knex('time_entries').where({ id: e1 }).update({ details: forged });
  // d2 (submitted): one entry row deleted by the database owner.
  await a.db.knex('time_entries').where({ id: e2 }).delete();
  // d3 (approved): two entries' ciphertexts swapped.
  const [x, y] = await Promise.all([e3a, e3b].map((id) => a.db.knex('time_entries').where({ id }).first('details')));
  await a.db.knex('time_entries').where({ id: e3a }).update({ details: y.details });
  await a.db.knex('time_entries').where({ id: e3b }).update({ details: x.details });

  // d5 (submitted): changed before the admin approves it; the approval digests the changed content.
  const row5 = await a.db.knex('time_entries').where({ id: e5 }).first('details');
  const plain5 = JSON.parse(await a.app.keys.decrypt(a.db.knex, owner.id, entryRef(e5), row5.details)) as { minutes: number };
  await a.db.knex('time_entries').where({ id: e5 }).update({ details: await a.app.keys.encrypt(a.db.knex, owner.id, entryRef(e5), JSON.stringify({ ...plain5, minutes: 200 }), { year: Number(d5.slice(0, 4)), purpose: 'record' }) });
  t.is((await admin.c.json('POST', `/api/v1/days/${ids[d5]}/approve`)).status, 200);
  // d6 (submitted): set to approved by hand, with no approve event.
  await a.db.knex('timesheet_days').where({ id: ids[d6] }).update({ state: 'approved', approved_at: new Date(), approved_by: admin.id });

  const bad = await runCli(['audit:verify', '--config', config]);
  t.is(bad.code, 1, bad.stdout + bad.stderr);
  for (const d of [d1, d2, d3, d5, d6]) t.regex(bad.stderr, new RegExp(`\\[content-changed\\] .*day ${d} of ${owner.id}`), `day ${d} is named`);
  t.regex(bad.stderr, new RegExp(`day ${d5} of ${owner.id}: content changed between submission \\(seq \\d+\\) and approval`));
  t.regex(bad.stderr, new RegExp(`day ${d6} of ${owner.id}: is approved but the last submit or approve event \\(seq \\d+\\) made it submitted`));
  t.notRegex(bad.stderr, new RegExp(`day ${d4}`), 'the untouched day is not named');
  t.false(bad.stderr.includes(note) || bad.stdout.includes(note), 'the report carries no content');
  const json = await runCli(['audit:verify', '--json', '--config', config]);
  t.is(json.code, 1);
  t.is((JSON.parse(json.stdout) as { problems: Array<{ kind: string }> }).problems.filter((p) => p.kind === 'content-changed').length, 5);
});

test('the day digest is independent of entry order and changes with every field of every entry, the owner, the date and the time zone', (t) => {
  const entry = (id: string) => ({ id, start: null, end: null, date: '2026-11-30', minutes: 60, project_id: 'p1', task_id: null, note: 'n', minutes_on_day: 60, overlaps: false });
  const day = { owner_id: 'o1', date: '2026-11-30', time_zone: 'Europe/Amsterdam', entries: [entry('a'), entry('b')] };
  const base = dayDigest(day);
  t.regex(base, /^[0-9a-f]{64}$/);
  t.is(dayDigest({ ...day, entries: [entry('b'), entry('a')] }), base, 'order does not matter');
  t.is(dayDigest({ ...day, entries: [{ ...entry('a'), overlaps: true, minutes_on_day: 1 }, entry('b')] }), base, 'derived display fields are not content');
  const changes: Array<Record<string, unknown>> = [{ minutes: 61 }, { note: 'm' }, { project_id: 'p2' }, { task_id: 't1' }, { date: '2026-11-29' }, { start: '2026-11-30T08:00:00.000Z' }, { end: '2026-11-30T09:00:00.000Z' }, { id: 'c' }];
  for (const c of changes) t.not(dayDigest({ ...day, entries: [{ ...entry('a'), ...c }, entry('b')] }), base, JSON.stringify(c));
  t.not(dayDigest({ ...day, entries: [entry('a')] }), base, 'an entry removed');
  t.not(dayDigest({ ...day, owner_id: 'o2' }), base);
  t.not(dayDigest({ ...day, date: '2026-12-01' }), base);
  t.not(dayDigest({ ...day, time_zone: 'UTC' }), base);
});

test('audit:verify does not call a shredded person’s locked days changed: erased on purpose, they are counted as not checkable', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  t.is((await owner.c.json('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 30, project_id: projectId })).status, 201);
  const sub = await owner.c.json<Day>('POST', `/api/v1/me/days/${daysAgo(1)}/submit`);
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/approve`)).status, 200);
  await a.app.keys.shred(a.db.knex, owner.id);
  const r = await runCli(['audit:verify', '--config', cliConfig(t, a)]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /locked days checked against their digest: 0 \(not checkable: 1 of people whose keys were shredded\)/);
});

test('audit:verify after an erasure: a locked day whose note was erased (note key shredded, erasure audited) is not checkable, not changed; without the audited erasure it is a change', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  t.is((await owner.c.json('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 30, project_id: projectId, note: 'wis mij' })).status, 201);
  const sub = await owner.c.json<Day>('POST', `/api/v1/me/days/${daysAgo(1)}/submit`);
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/approve`)).status, 200);
  const year = Number(daysAgo(1).slice(0, 4));
  await a.db.knex.transaction((trx) => a.app.keys.shredKeys(trx, [{ subject: owner.id, purpose: 'note', year }]));
  const config = cliConfig(t, a);
  const hidden = await runCli(['audit:verify', '--config', config]);
  t.is(hidden.code, 1, 'a note key shredded behind the audit log looks like a change');
  // The erasure as `uurwerk erase` records it (the retention orchestrator's event).
  await a.db.knex.transaction((trx) => a.app.services.audit.record(trx, { action: 'retention.erased', actorId: 'cli:test', subjectId: owner.id, payload: { keys: 1 } }));
  const r = await runCli(['audit:verify', '--config', config]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /not checkable: 1 of people whose keys were shredded/);
});
