import ExcelJS from 'exceljs';
import test from 'ava';
import type { TestApp } from '../helpers/app.js';
import { analyst, fold, reportsApp, returnFigures, seedFigures } from './helpers.js';

// Billed value in the report store: amounts recorded at submit beside the minutes, under
// the same k rule (the differencing attacks of suppression.test.ts, on amounts), per
// currency and never added across currencies.

interface Money { [currency: string]: number }
interface Row { key: string; label: string; cells: Array<{ minutes: number | null; suppressed: boolean }>; total: { minutes: number | null; suppressed: boolean }; amounts: Array<Money | null>; amount_total: Money | null }
interface Report { rows: Row[]; totals: { cells: Row['cells']; total: Row['total']; amounts: Array<Money | null>; amount_total: Money | null } }

const get = async (c: { json: <T>(m: string, p: string) => Promise<{ status: number; body: T }> }, q: string): Promise<Report> => {
  const r = await c.json<Report>('GET', `/api/v1/reports/hours?${q}`);
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** Customer "Hospital" (EUR) owns the billable "Ward rota"; customer "Clinic" (USD) a billable "Consults". */
async function billed(t: Parameters<typeof reportsApp>[0]) {
  const s = await reportsApp(t);
  const { a, projectId } = s;
  const [hospital] = (await a.db.knex('customers').insert({ name: 'Hospital' }).returning('id')) as Array<{ id: string }>;
  const [clinic] = (await a.db.knex('customers').insert({ name: 'Clinic' }).returning('id')) as Array<{ id: string }>;
  await a.db.knex('projects').where({ id: projectId }).update({ customer_id: hospital!.id });
  const [consults] = (await a.db.knex('projects').insert({ name: 'Consults', billable: true, customer_id: clinic!.id }).returning('id')) as Array<{ id: string }>;
  await a.db.knex('billing_currencies').insert({ customer_id: clinic!.id, currency: 'USD' });
  return { ...s, hospital: hospital!.id, clinic: clinic!.id, consults: consults!.id };
}

const rate = (a: TestApp, row: Record<string, unknown>) => a.db.knex('billing_rates').insert(row);

test('amounts are recorded at submit: rate on the day (task > project > customer), in the customer currency, fixed against later rate changes', async (t) => {
  const { a, projectId, taskId, taskId2, projectId2, hospital, clinic, consults } = await billed(t);
  await rate(a, { customer_id: hospital, hourly_rate: 50, valid_from: '2026-01-01' });
  await rate(a, { project_id: projectId, hourly_rate: 80, valid_from: '2026-03-16' });
  await rate(a, { task_id: taskId2, hourly_rate: 120, valid_from: '2026-01-01' });
  await rate(a, { customer_id: clinic, hourly_rate: 90, valid_from: '2026-01-01' });
  // 5 people × 60 min before the project rate starts (customer rate 50), 5 × 60 after it (80).
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 60 });
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-03-17', projectId, taskId, minutes: 60 });
  // The task rate wins over the project's: 5 × 30 min at 120.
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-03-17', projectId, taskId: taskId2, minutes: 30 });
  // Not billable: no amount, but minutes.
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-03-17', projectId: projectId2, taskId: null, minutes: 60 });
  // Another customer, another currency.
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-03-17', projectId: consults, taskId: null, minutes: 120 });
  await fold(a);
  // A rate change after recording does not rewrite what was recorded.
  await rate(a, { customer_id: hospital, hourly_rate: 999, valid_from: '2025-01-01' });
  await a.db.knex('billing_rates').where({ project_id: projectId }).update({ hourly_rate: 1 });

  const boss = await analyst(a);
  const byTask = await get(boss.c, 'period=month&from=2026-03-01&to=2026-03-31&group_by=task');
  const row = (label: string) => byTask.rows.find((r) => r.label === label)!;
  t.deepEqual(row('Ward rota / Planning').amount_total, { EUR: 5 * 50 + 5 * 80 });
  t.deepEqual(row('Ward rota / Night shifts').amount_total, { EUR: 5 * 60 });
  t.deepEqual(row('(no task)').amount_total, { USD: 5 * 2 * 90 }, 'Consults has no task; Internal (not billable) adds nothing');
  t.deepEqual(byTask.totals.amount_total, { EUR: 650 + 300, USD: 900 }, 'two currencies, never added together');
  const byCustomer = await get(boss.c, 'period=week&from=2026-03-09&to=2026-03-22&group_by=customer');
  const hosp = byCustomer.rows.find((r) => r.key === hospital)!;
  t.deepEqual(hosp.amounts, [{ EUR: 250 }, { EUR: 400 + 300 }], 'per week, at the rate of each day');
  t.deepEqual(byCustomer.rows.find((r) => r.key === '')!.amount_total, {}, 'no customer: hours without value');

  // The store holds no amount in clear below the published slices.
  const cells = await a.db.knex('report_cells').select('*');
  t.false(JSON.stringify(cells).includes('"a"'));
  t.false(cells.some((c: { state: Buffer }) => c.state.includes(Buffer.from('{"m"'))), 'cell states are sealed');
});

test('amounts are suppressed exactly where minutes are: differencing across totals, adjacent periods and a team with one person added gives back no amount', async (t) => {
  const { a, projectId, taskId, taskId2, hospital } = await billed(t);
  await rate(a, { customer_id: hospital, hourly_rate: 60, valid_from: '2026-01-01' });
  // Six people on Planning (visible), two on Night shifts (suppressed) — 77 min at 60/h = 77.00.
  await seedFigures(a, { people: 6, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 100 });
  await seedFigures(a, { people: 2, teams: ['ward-a'], date: '2026-03-10', projectId, taskId: taskId2, minutes: 77 });
  // One more person only in "ward-a-plus" (a team with one person added), 33 min.
  await seedFigures(a, { people: 1, teams: ['ward-a-plus'], date: '2026-03-10', projectId, taskId, minutes: 33 });
  // One person alone in the next month (an adjacent period), 44 min.
  await seedFigures(a, { people: 1, teams: ['ward-a'], date: '2026-04-07', projectId, taskId, minutes: 44 });
  await fold(a);
  const boss = await analyst(a);
  const visible = { EUR: 600 };
  const seen: Report[] = [];
  for (const g of ['task', 'project', 'none', 'billable', 'team', 'customer']) {
    const r = await get(boss.c, `period=month&from=2026-03-01&to=2026-04-30&group_by=${g}`);
    seen.push(r);
    t.deepEqual(r.totals.amount_total, visible, `grouped by ${g}: total − visible cells = 0`);
    t.deepEqual(r.totals.amounts, [visible, null], `grouped by ${g}: April rests on one person`);
    for (const row of r.rows) {
      row.cells.forEach((c, i) => t.is(row.amounts[i] === null, c.suppressed, `${g}: amount suppressed exactly where minutes are`));
      t.is(row.amount_total === null, row.total.suppressed);
    }
  }
  const night = seen[0]!.rows.find((r) => r.label === 'Ward rota / Night shifts')!;
  t.deepEqual([night.amounts[0], night.amount_total], [null, null]);
  for (const q of ['period=quarter&from=2026-01-01&to=2026-06-30', 'period=year&from=2026-01-01&to=2026-12-31', 'period=week&from=2026-03-09&to=2026-04-12']) {
    const r = await get(boss.c, `${q}&group_by=none`);
    seen.push(r);
    t.deepEqual(r.totals.amount_total, visible, q);
  }
  for (const team of ['ward-a', 'ward-a-plus']) {
    const r = await get(boss.c, `period=month&from=2026-03-01&to=2026-03-31&group_by=project&team=${team}`);
    seen.push(r);
    t.deepEqual(r.totals.amount_total, team === 'ward-a' ? visible : null, `team ${team}: the added person alone is suppressed, and in no amount of ward-a`);
  }
  // No figure anywhere carries a suppressed slice's value, on its own or added in.
  const all = JSON.stringify(seen);
  for (const leak of ['77', '154', '33', '44', '677', '633', '644']) t.false(all.includes(`:${leak}`), leak);
});

test('a return takes its share of the recorded amount out; CSV and XLSX carry the amounts, suppressed as "< k"', async (t) => {
  const { a, projectId, taskId, taskId2, hospital } = await billed(t);
  await rate(a, { customer_id: hospital, hourly_rate: 60, valid_from: '2026-01-01' });
  const owners = await seedFigures(a, { people: 10, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 120 });
  await seedFigures(a, { people: 2, teams: ['ward-a'], date: '2026-03-10', projectId, taskId: taskId2, minutes: 60 });
  await fold(a);
  const boss = await analyst(a);
  const q = 'period=month&from=2026-03-01&to=2026-03-31&group_by=task';
  t.deepEqual((await get(boss.c, q)).totals.amount_total, { EUR: 1200 });
  // The rate changes, then five people's days are returned: each takes the 120.00 it brought, not today's value.
  await rate(a, { customer_id: hospital, hourly_rate: 500, valid_from: '2026-03-01' });
  await returnFigures(a, owners.slice(0, 5).map((ownerId) => ({ ownerId, date: '2026-03-10', teams: ['ward-a'], parts: [{ project_id: projectId, task_id: taskId, minutes: 120 }] })));
  await fold(a);
  const r = await get(boss.c, q);
  t.deepEqual(r.totals.total, { minutes: 600, suppressed: false });
  t.deepEqual(r.totals.amount_total, { EUR: 600 });

  const csv = (await (await boss.c.call('GET', `/reports/hours.csv?${q}`)).text()).trim().split('\r\n');
  t.true(csv.includes('task,currency,2026-03,total'), csv.join('\n'));
  t.true(csv.includes('Ward rota / Planning,EUR,600,600'));
  t.true(csv.includes('Ward rota / Night shifts,EUR,< 5,< 5'));
  t.true(csv.includes('total,EUR,600,600'));
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await (await boss.c.call('GET', `/reports/hours.xlsx?${q}`)).arrayBuffer()) as unknown as ArrayBuffer);
  const rows: unknown[][] = [];
  wb.getWorksheet('amounts')!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  t.deepEqual(rows.find((x) => x[0] === 'Ward rota / Planning'), ['Ward rota / Planning', 'EUR', 600, 600]);
  t.deepEqual(rows.find((x) => x[0] === 'Ward rota / Night shifts'), ['Ward rota / Night shifts', 'EUR', '< 5', '< 5']);
  const page = await (await boss.c.call('GET', `/reports?${q}&lang=en`)).text();
  t.regex(page, /id="amounts"/);
  t.regex(page, /<td>Ward rota \/ Planning<\/td><td>EUR<\/td><td>600\.00<\/td>/);
});
