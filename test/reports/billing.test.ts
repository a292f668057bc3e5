import ExcelJS from 'exceljs';
import test from 'ava';
import { daysAgo, person } from '../timesheets/helpers.js';
import { analyst, recordAndSubmit, reportsApp } from './helpers.js';

type Invoice = {
  currency: string; total_minutes: number; total_amount: number; closed: boolean;
  lines: Array<{ project: string; task: string | null; minutes: number; hourly_rate: number | null; amount: number }>;
  detail: Array<{ date: string; task: string | null; minutes: number; note: string }> | null;
};
type Payroll = { rows: Array<{ person_id: string; date: string; minutes: number; hours: string }>; locked: boolean };

async function setup(t: Parameters<typeof reportsApp>[0]) {
  const { a } = await reportsApp(t);
  const [cust] = (await a.db.knex('customers').insert({ name: 'St. Elsewhere' }).returning('id')) as Array<{ id: string }>;
  const [p] = (await a.db.knex('projects').insert({ name: 'Consulting', billable: true, customer_id: cust!.id }).returning('id')) as Array<{ id: string }>;
  const [t1] = (await a.db.knex('tasks').insert({ project_id: p!.id, name: 'Audit' }).returning('id')) as Array<{ id: string }>;
  const [t2] = (await a.db.knex('tasks').insert({ project_id: p!.id, name: 'Coffee', billable: false }).returning('id')) as Array<{ id: string }>;
  const adminA = await person(a, { adminOf: 'team-a' });
  const adminB = await person(a, { adminOf: 'team-b' });
  const ann = await person(a, { inTeam: 'team-a' });
  const bob = await person(a, { inTeam: 'team-a' });
  const cas = await person(a, { inTeam: 'team-b' });
  return { a, customerId: cust!.id, projectId: p!.id, audit: t1!.id, coffee: t2!.id, adminA, adminB, ann, bob, cas };
}

test('invoicing: rates over a rate change (most specific wins), approved days only, totals equal the entries; detail for admins in scope, audited', async (t) => {
  const s = await setup(t);
  const { a } = s;
  const d1 = daysAgo(10);
  const d2 = daysAgo(3);
  const boss = await analyst(a);
  const rate = (body: Record<string, unknown>) => boss.c.json('POST', '/api/v1/billing/rates', body);
  t.is((await rate({ customer_id: s.customerId, hourly_rate: 100, valid_from: '2020-01-01' })).status, 201);
  t.is((await rate({ project_id: s.projectId, hourly_rate: 120, valid_from: d1 })).status, 201);
  t.is((await rate({ project_id: s.projectId, hourly_rate: 130, valid_from: d2 })).status, 201);
  t.is((await rate({ task_id: s.audit, hourly_rate: 200, valid_from: d2 })).status, 201);
  const bad = await boss.c.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/billing/rates', { customer_id: s.customerId, project_id: s.projectId, hourly_rate: 1, valid_from: d1 });
  t.is(bad.status, 422);
  t.true(bad.body.error.details.some((x) => x.field === 'customer_id'));
  t.is((await boss.c.json('PUT', `/api/v1/billing/customers/${s.customerId}/currency`, { currency: 'CHF' })).status, 200);
  t.is((await boss.c.json('PUT', `/api/v1/billing/customers/${s.customerId}/currency`, { currency: 'euro' })).status, 422);

  // Ann: 8 h on d1 (no task: project rate 120), 8 h on d2 task Audit (task rate 200).
  const ann1 = await recordAndSubmit(s.ann, { projectId: s.projectId, date: d1 });
  const ann2 = await recordAndSubmit(s.ann, { projectId: s.projectId, taskId: s.audit, date: d2 });
  // Bob: 8 h on d2 without task (project rate 130 since d2), plus a non-billable task.
  const bob2 = await recordAndSubmit(s.bob, { projectId: s.projectId, date: d2, from: '09:00', to: '17:00' });
  // Cas (team-b): 4 h on d2, only submitted, never approved: not invoiced.
  await recordAndSubmit(s.cas, { projectId: s.projectId, taskId: s.audit, date: d2, from: '09:00', to: '13:00' });
  for (const d of [ann1, ann2, bob2]) t.is((await s.adminA.c.json('POST', `/api/v1/days/${d.id}/approve`)).status, 200);

  const q = `customer_id=${s.customerId}&from=${d1}&to=${d2}`;
  const inv = await boss.c.json<Invoice>('GET', `/api/v1/billing/invoice?${q}`);
  t.is(inv.status, 200, JSON.stringify(inv.body));
  t.is(inv.body.currency, 'CHF');
  t.deepEqual(inv.body.lines.map((l) => [l.task, l.minutes, l.hourly_rate, l.amount]), [[null, 480, 120, 960], [null, 480, 130, 1040], ['Audit', 480, 200, 1600]]);
  t.is(inv.body.total_minutes, 3 * 480, 'the sum of the approved billable entries');
  t.is(inv.body.total_amount, 3600);
  t.is(inv.body.detail, null, 'no detail for the reports role');
  t.is((await boss.c.json('GET', `/api/v1/billing/invoice?${q}&detail=true`)).status, 403);

  const before = Number((await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read' }).count({ n: '*' }))[0]!.n);
  const detail = await s.adminA.c.json<Invoice>('GET', `/api/v1/billing/invoice?${q}&detail=true`);
  t.is(detail.status, 200);
  // Within a date the days come in owner order (random ids here), so compare as a set.
  const byText = (x: unknown[]) => JSON.stringify(x);
  t.deepEqual(detail.body.detail!.map((d) => [d.date, d.task, d.minutes, d.note]).sort((x, y) => byText(x).localeCompare(byText(y))), [[d1, null, 480, 'secret ward note'], [d2, 'Audit', 480, 'secret ward note'], [d2, null, 480, 'secret ward note']].sort((x, y) => byText(x).localeCompare(byText(y))));
  const reads = (await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read' }).orderBy('seq').offset(before).select('payload', 'subject_id')) as Array<{ payload: { what: string }; subject_id: string }>;
  t.is(reads.filter((r) => r.payload.what === 'invoice_detail').length, 3, 'each day in the detail export is an audited read');
  // Admin of team-b: only Cas's days are in scope, none approved.
  const other = await s.adminB.c.json<Invoice>('GET', `/api/v1/billing/invoice?${q}&detail=true`);
  t.is(other.body.total_minutes, 0);
  t.deepEqual(other.body.detail, []);
  const op = await person(a, { roles: ['operator'] });
  t.is((await op.c.json('GET', `/api/v1/billing/invoice?${q}`)).status, 403);

  // Downloads: CSV and XLSX, read back with exceljs.
  const csv = await (await s.adminA.c.call('GET', `/billing/invoice.csv?${q}&detail=true`)).text();
  t.true(csv.startsWith('project,task,hours,hourly_rate,currency,amount\r\n'));
  t.true(csv.includes('total,,24,,CHF,3600'));
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await (await s.adminA.c.call('GET', `/billing/invoice.xlsx?${q}&detail=true`)).arrayBuffer()) as unknown as ArrayBuffer);
  t.deepEqual((wb.getWorksheet('invoice')!.getRow(5).values as unknown[]).slice(1), ['total', '', 24, '', 'CHF', 3600]);
  t.is(wb.getWorksheet('entries')!.rowCount, 4);

  // Close the invoiced period; a reopen in it still works with a reason, and is audited as such.
  t.is((await boss.c.json('POST', '/api/v1/billing/closures', { customer_id: s.customerId, from: d1, to: d2 })).status, 201);
  t.true((await boss.c.json<Invoice>('GET', `/api/v1/billing/invoice?${q}`)).body.closed);
  t.is((await s.adminA.c.json('POST', `/api/v1/days/${ann1.id}/reopen`, {})).status, 422, 'no reopen without a reason');
  t.is((await s.adminA.c.json('POST', `/api/v1/days/${ann1.id}/reopen`, { reason: 'wrong customer' })).status, 200);
  const ev = await a.db.knex('audit.events').where({ action: 'billing.closed_period.day_reopened' }).first('actor_id', 'subject_id');
  t.deepEqual(ev, { actor_id: s.adminA.id, subject_id: s.ann.id });
});

test('payroll: approved hours per person per day for the payroll role (all) and admins (their scope); audited; a payroll run locks the period', async (t) => {
  const s = await setup(t);
  const { a } = s;
  const d = daysAgo(4);
  const ann = await recordAndSubmit(s.ann, { projectId: s.projectId, date: d, from: '08:00', to: '15:30' });
  const cas = await recordAndSubmit(s.cas, { projectId: s.projectId, date: d, from: '09:00', to: '13:00' });
  await recordAndSubmit(s.bob, { projectId: s.projectId, date: d });
  t.is((await s.adminA.c.json('POST', `/api/v1/days/${ann.id}/approve`)).status, 200);
  t.is((await s.adminB.c.json('POST', `/api/v1/days/${cas.id}/approve`)).status, 200);
  const pay = await person(a, { roles: ['payroll'] });
  const q = `from=${d}&to=${d}`;
  const all = await pay.c.json<Payroll>('GET', `/api/v1/payroll?${q}`);
  t.is(all.status, 200, JSON.stringify(all.body));
  t.deepEqual(all.body.rows.map((r) => [r.person_id, r.minutes, r.hours]).sort(), [[s.ann.id, 450, '7.50'], [s.cas.id, 240, '4.00']].sort(), 'Bob’s day is only submitted');
  const a1 = await s.adminA.c.json<Payroll>('GET', `/api/v1/payroll?${q}`);
  t.deepEqual(a1.body.rows.map((r) => r.person_id), [s.ann.id]);
  const b1 = await s.adminB.c.json<Payroll>('GET', `/api/v1/payroll?${q}`);
  t.deepEqual(b1.body.rows.map((r) => r.person_id), [s.cas.id]);
  for (const who of [await person(a, { roles: ['operator'] }), await person(a, { roles: ['auditor'] }), s.bob, await analyst(a)]) {
    t.is((await who.c.json('GET', `/api/v1/payroll?${q}`)).status, 403);
    t.is((await who.c.call('GET', `/payroll/export.csv?${q}`)).status, 403);
  }
  const reads = (await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read' }).select('payload', 'actor_id', 'subject_id')) as Array<{ payload: { what: string }; actor_id: string; subject_id: string }>;
  t.deepEqual(reads.filter((r) => r.payload.what === 'payroll' && r.actor_id === pay.id).map((r) => r.subject_id).sort(), [s.ann.id, s.cas.id].sort());
  const exportsPage = await (await pay.c.call('GET', '/exports?lang=en')).text();
  t.regex(exportsPage, /id="payroll-form"/);
  t.notRegex(exportsPage, /id="invoice-form"/, 'the payroll role invoices nothing');
  const adminPage = await (await s.adminA.c.call('GET', '/exports?lang=nl')).text();
  t.regex(adminPage, /id="invoice-form"[\s\S]*name="detail"[\s\S]*id="payroll-form"/);
  const csv = (await (await pay.c.call('GET', `/payroll/export.csv?${q}`)).text()).split('\r\n');
  t.is(csv[0], 'person_id,employee_number,name,date,hours,minutes');
  t.is(csv.filter((l) => l.includes(d)).length, 2);

  // A payroll run locks the period: approved days in it cannot be reopened.
  t.is((await s.adminA.c.json('POST', '/api/v1/payroll/runs', { from: d, to: d })).status, 403, 'runs are for the payroll role');
  t.is((await pay.c.json('POST', '/api/v1/payroll/runs', { from: d, to: d })).status, 201);
  t.true((await pay.c.json<Payroll>('GET', `/api/v1/payroll?${q}`)).body.locked);
  const locked = await s.adminA.c.json<{ error: { code: string } }>('POST', `/api/v1/days/${ann.id}/reopen`, { reason: 'late correction' });
  t.is(locked.status, 409);
  t.is(locked.body.error.code, 'payroll_locked');
  t.is((await a.db.knex('timesheet_days').where({ id: ann.id }).first('state')).state, 'approved');
});
