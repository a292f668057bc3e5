import test from 'ava';
import { daysAgo, person } from '../timesheets/helpers.js';
import { fold, recordAndSubmit, reportsApp, type Report } from './helpers.js';

// The visibility matrix extended to reports, billing and payroll: every role against every
// endpoint of this domain (status only; what each sees within its reach is tested beside
// the feature). A cell changing here is a change to who may see what.

test('reports, invoices and payroll by role: 200 for the roles the matrix names, 403 for the rest', async (t) => {
  const { a } = await reportsApp(t);
  const [cust] = (await a.db.knex('customers').insert({ name: 'Matrix BV' }).returning('id')) as Array<{ id: string }>;
  const r = '2026-01-01';
  const s = '2026-01-31';
  const who = {
    employee: await person(a, {}),
    team_admin: await person(a, { adminOf: 'ward-a' }),
    reports: await person(a, { roles: ['reports'] }),
    payroll: await person(a, { roles: ['payroll'] }),
    operator: await person(a, { roles: ['operator'] }),
    auditor: await person(a, { roles: ['auditor'] }),
    dpo: await person(a, { roles: ['dpo'] }),
  };
  const calls: Array<[string, string, string, unknown?]> = [
    ['hours report', 'GET', `/api/v1/reports/hours?period=month&from=${r}&to=${s}`],
    ['budgets', 'GET', '/api/v1/reports/budgets'],
    ['invoice sums', 'GET', `/api/v1/billing/invoice?customer_id=${cust!.id}&from=${r}&to=${s}`],
    ['invoice detail', 'GET', `/api/v1/billing/invoice?customer_id=${cust!.id}&from=${r}&to=${s}&detail=true`],
    ['payroll export', 'GET', `/api/v1/payroll?from=${r}&to=${s}`],
    ['rates', 'GET', '/api/v1/billing/rates'],
  ];
  const expected: Record<string, Record<keyof typeof who, number>> = {
    'hours report': { employee: 403, team_admin: 200, reports: 200, payroll: 403, operator: 403, auditor: 403, dpo: 403 },
    budgets: { employee: 403, team_admin: 200, reports: 200, payroll: 403, operator: 403, auditor: 403, dpo: 403 },
    'invoice sums': { employee: 403, team_admin: 200, reports: 200, payroll: 403, operator: 403, auditor: 403, dpo: 403 },
    'invoice detail': { employee: 403, team_admin: 200, reports: 403, payroll: 403, operator: 403, auditor: 403, dpo: 403 },
    'payroll export': { employee: 403, team_admin: 200, reports: 403, payroll: 200, operator: 403, auditor: 403, dpo: 403 },
    rates: { employee: 403, team_admin: 403, reports: 200, payroll: 403, operator: 200, auditor: 403, dpo: 403 },
  };
  const got: Record<string, Record<string, number>> = {};
  for (const [name, method, path] of calls) {
    got[name] = {};
    for (const [role, p] of Object.entries(who)) got[name]![role] = (await p.c.json(method, path)).status;
    t.is((await fetch(`${a.url}${path}`)).status, 401, `${name}: anonymous`);
  }
  t.deepEqual(got, expected);
});

test('a team admin sees the submitted days of their team in reports before approving any; another team admin does not', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const date = daysAgo(2);
  for (let i = 0; i < 5; i++) await recordAndSubmit(await person(a, { inTeam: 'ward-a' }), { projectId, taskId, date });
  await fold(a);
  const q = `/api/v1/reports/hours?period=month&from=${date}&to=${date}&group_by=team`;
  const adminA = await person(a, { adminOf: 'ward-a' });
  const mine = await adminA.c.json<Report>('GET', q);
  t.is(mine.status, 200);
  t.deepEqual(mine.body.rows.map((r) => [r.label, r.total.minutes]), [['ward-a', 2400]], 'five submitted days count, none approved');
  const adminB = await person(a, { adminOf: 'ward-b' });
  const theirs = await adminB.c.json<Report>('GET', q);
  t.is(theirs.status, 200);
  t.deepEqual(theirs.body.rows, [], 'ward-a is outside ward-b admin scope');
  t.is((await adminB.c.json('GET', `${q}&team=ward-a`)).status, 404);
});
