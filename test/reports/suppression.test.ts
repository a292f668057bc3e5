import test from 'ava';
import { parseConfig, ConfigError } from '../../src/platform/config.js';
import { person } from '../timesheets/helpers.js';
import { analyst, cellOf, fold, reportsApp, returnFigures, seedFigures, type Report } from './helpers.js';

// The attacks a curious admin would try, against figures seeded through the store's own
// approval hook (synthetic owners: the store never needs an account) and read through the API.

const get = async (c: { json: <T>(m: string, p: string) => Promise<{ status: number; body: T }> }, q: string): Promise<Report> => {
  const r = await c.json<Report>('GET', `/api/v1/reports/hours?${q}`);
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

test('differencing across totals: a task of fewer than k people is in no total, no sibling, no other grouping', async (t) => {
  const { a, projectId, taskId, taskId2 } = await reportsApp(t);
  await seedFigures(a, { people: 6, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: (i) => 300 + i });
  await seedFigures(a, { people: 2, teams: ['ward-a'], date: '2026-03-10', projectId, taskId: taskId2, minutes: 77 });
  await fold(a);
  const boss = await analyst(a);
  const base = 'period=month&from=2026-03-01&to=2026-03-31';
  const byTask = await get(boss.c, `${base}&group_by=task`);
  const visible = 6 * 300 + 15;
  t.deepEqual(cellOf(byTask, 'Ward rota / Planning'), { minutes: visible, suppressed: false });
  t.deepEqual(cellOf(byTask, 'Ward rota / Night shifts'), { minutes: null, suppressed: true });
  t.is(byTask.totals.total.minutes, visible, 'total − visible cells = 0: the small task is not in the total');
  t.is(byTask.totals.cells[0]!.minutes, visible);
  for (const g of ['project', 'none', 'billable', 'team', 'customer']) {
    const r = await get(boss.c, `${base}&group_by=${g}`);
    t.is(r.totals.total.minutes, visible, `grouped by ${g}`);
    for (const row of r.rows) t.true(row.total.minutes === null || row.total.minutes <= visible, `grouped by ${g}`);
  }
  // Narrowing by filters gives the same sums, never the small task on its own.
  const billable = await get(boss.c, `${base}&group_by=task&billable=true`);
  t.is(billable.totals.total.minutes, visible);
  const project = await get(boss.c, `${base}&group_by=none&project_id=${projectId}`);
  t.is(project.totals.total.minutes, visible);
  // Every figure anywhere is a sum of whole slices of ≥ k people: 77 never appears in any difference.
  const all = JSON.stringify([byTask, billable, project]);
  t.false(all.includes('154'));
});

test('adjacent periods: a week with one person is in no month, quarter or year, also where the week straddles two months', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const owners = await seedFigures(a, { people: 6, teams: ['ward-a'], date: '2026-03-30', projectId, taskId, minutes: 480 });
  // One of them also works on 1 April: same ISO week (2026-W14), next month.
  await seedFigures(a, { people: 1, owners: [owners[0]!], teams: ['ward-a'], date: '2026-04-01', projectId, taskId, minutes: 123 });
  // And alone in the week after.
  await seedFigures(a, { people: 1, owners: [owners[1]!], teams: ['ward-a'], date: '2026-04-07', projectId, taskId, minutes: 456 });
  await fold(a);
  const boss = await analyst(a);
  const weeks = await get(boss.c, 'period=week&from=2026-03-30&to=2026-04-12&group_by=project');
  t.deepEqual(weeks.periods.map((p) => p.label), ['2026-W14', '2026-W15']);
  t.deepEqual(weeks.totals.cells[0], { minutes: 6 * 480, suppressed: false }, 'the week shows its March slice only (the April slice holds one person)');
  t.deepEqual(weeks.totals.cells[1], { minutes: null, suppressed: true });
  const months = await get(boss.c, 'period=month&from=2026-03-01&to=2026-04-30&group_by=project');
  t.deepEqual(months.totals.cells[0], { minutes: 6 * 480, suppressed: false });
  t.deepEqual(months.totals.cells[1], { minutes: null, suppressed: true }, 'April rests on two people');
  for (const q of ['period=quarter&from=2026-01-01&to=2026-06-30', 'period=year&from=2026-01-01&to=2026-12-31']) {
    const r = await get(boss.c, `${q}&group_by=none`);
    t.is(r.totals.total.minutes, 6 * 480, q);
  }
  // Week minus month, quarter minus months, year minus weeks: always 0.
  t.is(months.totals.total.minutes! - weeks.totals.total.minutes!, 0);
});

test('a team with one person added: the extra person is in no figure of either team, nor of the organisation', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  // Five people in both "ward-a" and "ward-a-plus"; Z only in "ward-a-plus".
  await seedFigures(a, { people: 5, teams: ['ward-a', 'ward-a-plus'], date: '2026-03-10', projectId, taskId, minutes: 400 });
  await seedFigures(a, { people: 1, teams: ['ward-a-plus'], date: '2026-03-10', projectId, taskId, minutes: 333 });
  await fold(a);
  const boss = await analyst(a);
  const base = 'period=month&from=2026-03-01&to=2026-03-31&group_by=project';
  const small = await get(boss.c, `${base}&team=ward-a`);
  const plus = await get(boss.c, `${base}&team=ward-a-plus`);
  const org = await get(boss.c, base);
  t.is(small.totals.total.minutes, 2000);
  t.is(plus.totals.total.minutes, 2000, 'team + Z minus team = 0');
  t.is(org.totals.total.minutes, 2000);
  const byTeam = await get(boss.c, 'period=month&from=2026-03-01&to=2026-03-31&group_by=team');
  t.deepEqual(byTeam.rows.map((r) => [r.label, r.total.minutes]), [['ward-a', 2000], ['ward-a-plus', 2000]]);
  // The admin of ward-a-plus sees the same.
  const admin = await person(a, { adminOf: 'ward-a-plus' });
  t.is((await get(admin.c, base)).totals.total.minutes, 2000);
});

test('over time: one more person (or one return) in a published slice changes no figure until k people changed', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 400 });
  await fold(a);
  const boss = await analyst(a);
  const q = 'period=week&from=2026-03-09&to=2026-03-15&group_by=none';
  t.is((await get(boss.c, q)).totals.total.minutes, 2000);
  // A sixth person joins the team and submits their day of that week late.
  const late = await seedFigures(a, { people: 1, teams: ['ward-a'], date: '2026-03-11', projectId, taskId, minutes: 321 });
  await fold(a);
  t.is((await get(boss.c, q)).totals.total.minutes, 2000, 'before − after would be the newcomer: the slice is not republished');
  // Four more late days: five changed people, so the slice is published again.
  const later = await seedFigures(a, { people: 4, teams: ['ward-a'], date: '2026-03-12', projectId, taskId, minutes: 100 });
  await fold(a);
  t.is((await get(boss.c, q)).totals.total.minutes, 2000 + 321 + 400);
  // The latecomer's day is returned: it stops counting, but alone it republishes nothing.
  const day = (ownerId: string, date: string, minutes: number) => ({ ownerId, date, teams: ['ward-a'], parts: [{ project_id: projectId, task_id: taskId, minutes }] });
  await returnFigures(a, [day(late[0]!, '2026-03-11', 321)]);
  await fold(a);
  t.is((await get(boss.c, q)).totals.total.minutes, 2721, 'before − after would be the returned day: the slice is not republished');
  // The four other late days are returned too: five changed people, so the slice is
  // published again, without any of the returned days.
  await returnFigures(a, later.map((o) => day(o, '2026-03-12', 100)));
  await fold(a);
  t.is((await get(boss.c, q)).totals.total.minutes, 2000);
});

test('team admins see only slices of their teams; k is configurable upwards only', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t, { reports: { k: 6 } });
  await seedFigures(a, { people: 6, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 60 });
  await seedFigures(a, { people: 5, teams: ['ward-b'], date: '2026-03-10', projectId, taskId, minutes: 90 });
  await seedFigures(a, { people: 7, teams: ['ward-c'], date: '2026-03-10', projectId, taskId, minutes: 30 });
  await fold(a);
  const admin = await person(a, { adminOf: 'ward-a' });
  const r = await get(admin.c, 'period=month&from=2026-03-01&to=2026-03-31&group_by=team');
  t.is(r.k, 6);
  t.deepEqual(r.rows.map((x) => x.label), ['ward-a']);
  t.is(r.totals.total.minutes, 360);
  const boss = await analyst(a);
  const all = await get(boss.c, 'period=month&from=2026-03-01&to=2026-03-31&group_by=team');
  t.deepEqual(all.rows.map((x) => [x.label, x.total.minutes]), [['ward-a', 360], ['ward-b', null], ['ward-c', 210]], 'five people are fewer than k = 6');
  t.is(all.totals.total.minutes, 570);
  const err = t.throws(() => parseConfig({ reports: { k: 4 } }, 'test.yaml'), { instanceOf: ConfigError });
  t.true((err as ConfigError).problems.some((p) => p.key === 'reports.k'));
  t.is(parseConfig({}, 'default').reports.k, 5);
});
