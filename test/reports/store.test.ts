import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { Actor } from '../../src/identity/policy.js';
import { hoursReport } from '../../src/reports/service.js';
import { foldPending } from '../../src/reports/store.js';
import { daysAgo, person } from '../timesheets/helpers.js';
import { analyst, cellOf, fold, recordAndSubmit, reportsApp, seedFigures, type Report } from './helpers.js';

test('submit records figures without a person, a fold adds them up; approval adds nothing, return and reopen take them out; below k suppressed', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const admin = await person(a, { adminOf: 'ward-a' });
  const staff = [];
  for (let i = 0; i < 5; i++) staff.push(await person(a, { inTeam: 'ward-a' }));
  const date = daysAgo(2);
  const inbox = async () => Number((await a.db.knex('report_inbox').count({ n: '*' }))[0]!.n);
  const present = async () => Number((await a.db.knex('report_cells').where({ present: true }).count({ n: '*' }))[0]!.n);
  // A submitted day counts: the submit seals its figures into the inbox only.
  const days = [];
  for (const p of staff.slice(0, 4)) days.push(await recordAndSubmit(p, { projectId, taskId, date }));
  t.is(await inbox(), 4);
  t.is(Number((await a.db.knex('report_cells').count({ n: '*' }))[0]!.n), 0, 'nothing is written to the store in the submit itself');

  // What the inbox and store hold names nobody and carries no note.
  const dump = JSON.stringify(await a.db.knex('report_inbox').select('*'));
  for (const p of staff) t.false(dump.includes(p.id), 'no owner id in clear in the inbox');
  t.false(dump.includes('secret ward note'));

  await fold(a);
  const cells = await a.db.knex('report_cells').select('*');
  t.true(cells.length > 0);
  const cellDump = JSON.stringify(cells);
  for (const p of staff) t.false(cellDump.includes(p.id), 'no owner id in the store');
  t.false('minutes' in cells[0]!, 'a person-level row holds no minutes in clear');
  t.false(cells.some((c) => c.state.includes(Buffer.from('480'))), 'the sealed state is not the clear number');
  t.is(new Set(cells.map((c) => c.person.toString('hex'))).size, 4, 'four distinct pseudonyms in the week');
  t.deepEqual(await a.db.knex('report_atoms').select('people', 'minutes', 'recorded'), [{ people: 0, minutes: null, recorded: true }], 'recorded, not published: four people');

  const boss = await analyst(a);
  const ask = (from = date, to = date) => boss.c.json<Report>('GET', `/api/v1/reports/hours?period=month&from=${from}&to=${to}&group_by=project`);
  let r = await ask();
  t.is(r.status, 200, JSON.stringify(r.body));
  t.deepEqual(cellOf(r.body, 'Ward rota'), { minutes: null, suppressed: true }, 'four people: fewer than k');
  t.deepEqual(r.body.totals.total, { minutes: null, suppressed: true });

  days.push(await recordAndSubmit(staff[4]!, { projectId, taskId, date }));
  await fold(a);
  r = await ask();
  t.deepEqual(cellOf(r.body, 'Ward rota'), { minutes: 5 * 480, suppressed: false }, 'five submitted days, none approved: shown');
  t.is(r.body.totals.total.minutes, 2400);

  // Approving does not count a day twice: nothing goes into the inbox, the fold changes nothing.
  for (const d of days.slice(1)) t.is((await admin.c.json('POST', `/api/v1/days/${d.id}/approve`)).status, 200);
  t.is(await inbox(), 0, 'approval records nothing');
  await fold(a);
  t.is(await present(), 5);
  r = await ask();
  t.deepEqual(cellOf(r.body, 'Ward rota'), { minutes: 2400, suppressed: false }, 'approved days are counted once');

  // A returned day stops counting. The published slice changes only once k people
  // changed in it, so the figure stays as published.
  t.is((await admin.c.json('POST', `/api/v1/days/${days[0]!.id}/return`, { comment: 'wrong ward' })).status, 200);
  t.is(await inbox(), 1);
  await fold(a);
  t.is(await present(), 4, 'the returned day left the slice');
  // A reopened (approved) day stops counting too.
  t.is((await admin.c.json('POST', `/api/v1/days/${days[1]!.id}/reopen`, { reason: 'wrong ward' })).status, 200);
  await fold(a);
  t.is(await present(), 3, 'the reopened day left the slice');
  r = await ask();
  t.deepEqual(cellOf(r.body, 'Ward rota'), { minutes: 2400, suppressed: false }, 'two changes alone do not republish the slice');
  // Submitted again, the returned day counts again.
  t.is((await staff[0]!.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  await fold(a);
  t.is(await present(), 4);
});

test('reports are for the reports role and team admins (their teams); operators and auditors get 403; no person grouping', async (t) => {
  const { a } = await reportsApp(t);
  const q = '/api/v1/reports/hours?period=month&from=2026-01-01&to=2026-03-31';
  t.is((await fetch(`${a.url}${q}`)).status, 401);
  const op = await person(a, { roles: ['operator'] });
  const aud = await person(a, { roles: ['auditor'] });
  const emp = await person(a, {});
  for (const who of [op, aud, emp]) {
    t.is((await who.c.json('GET', q)).status, 403);
    t.is((await who.c.json('GET', '/api/v1/reports/budgets')).status, 403);
  }
  const boss = await analyst(a);
  const bad = await boss.c.json<{ error: { details: Array<{ field: string }> } }>('GET', `${q}&group_by=person`);
  t.is(bad.status, 422);
  t.true(bad.body.error.details.some((d) => d.field === 'query.group_by'));
  const who = await boss.c.json<{ error: { details: Array<{ field: string }> } }>('GET', `${q}&owner_id=00000000-0000-0000-0000-000000000001`);
  t.is(who.status, 422);
  t.true(who.body.error.details.some((d) => d.field === 'query.owner_id'));
  const admin = await person(a, { adminOf: 'ward-a' });
  t.is((await admin.c.json('GET', q)).status, 200);
  t.is((await admin.c.json('GET', `${q}&team=ward-a`)).status, 200);
  t.is((await admin.c.json('GET', `${q}&team=ward-b`)).status, 404, 'another team is as if it did not exist');
  t.is((await boss.c.json('GET', `${q}&team=ward-b`)).status, 200);
});

test('the fold waits for k distinct people (or the delay), and monthly sums follow a raised k', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const deps = { db: a.app.db, config: a.config, keys: a.app.keys };
  await seedFigures(a, { people: 4, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 60 });
  t.deepEqual(await foldPending(deps), { folded: 0, waiting: 4 }, 'four people: the batch waits');
  t.deepEqual(await foldPending(deps, { now: new Date(Date.now() + 25 * 3_600_000) }), { folded: 4, waiting: 0 }, 'past fold_max_delay_hours it goes in anyway');
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-03-17', projectId, taskId, minutes: 60 });
  t.deepEqual(await foldPending(deps), { folded: 5, waiting: 0 });

  const boss: Actor = { accountId: randomUUID(), roles: new Set(['reports']), teams: new Set() };
  const q = { period: 'month' as const, from: '2026-03-01', to: '2026-03-31', group_by: 'none' as const };
  t.is((await hoursReport({ db: a.app.db, config: a.config }, boss, q)).totals.total.minutes, 300);
  const raised = { ...a.config, reports: { ...a.config.reports, k: 6 } };
  t.deepEqual((await hoursReport({ db: a.app.db, config: raised }, boss, q)).totals.total, { minutes: null, suppressed: true }, 'k raised to 6: the five-person slice counts no more');
  t.is((await a.db.knex('report_meta').first('k')).k, 6);
});
