import test from 'ava';
import { parseHours } from '../../src/timesheets/pages.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

type Err = { error: { code: string; details?: Array<{ field: string }> } };

test('every timesheet operation is in the OpenAPI document', async (t) => {
  const { a } = await timesheetApp(t);
  const doc = (await (await fetch(`${a.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
  const ops = new Set(Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId)));
  for (const id of ['createEntry', 'getEntry', 'updateEntry', 'deleteEntry', 'listMyDays', 'getMyDay', 'submitDay', 'getTimer', 'startTimer', 'stopTimer', 'switchTimer',
    'myDataReads', 'listReviewDays', 'getDay', 'approveDays', 'approveDay', 'returnDay', 'reopenDay', 'listProjects', 'createCustomer', 'createProject', 'createTask', 'archiveProject',
    'getTimesheetSettings', 'setTimesheetSettings', 'myAuditEvents']) {
    t.true(ops.has(id), id);
  }
  t.truthy(doc.paths['/api/v1/days/{id}']?.get);
});

test('master data: operators and the team’s admins manage it, employees and auditors get 403; archived projects disappear from the list', async (t) => {
  const { a } = await timesheetApp(t);
  const op = await person(a, { roles: ['operator'] });
  const admin = await person(a, { adminOf: 'team-a' });
  const emp = await person(a);
  const auditor = await person(a, { roles: ['auditor'] });
  t.is((await emp.c.json('POST', '/api/v1/customers', { name: 'Sint Anna' })).status, 403);
  t.is((await auditor.c.json('POST', '/api/v1/projects', { name: 'X' })).status, 403);
  const cust = await op.c.json<{ id: string }>('POST', '/api/v1/customers', { name: 'Sint Anna' });
  t.is(cust.status, 201);
  const proj = await admin.c.json<{ id: string; team: string; customer_name: string }>('POST', '/api/v1/projects', { name: 'Audit 2026', customer_id: cust.body.id, billable: true, budget_hours: 120 });
  t.is(proj.status, 201);
  t.is(proj.body.team, 'team-a');
  t.is(proj.body.customer_name, 'Sint Anna');
  t.is((await admin.c.json('POST', '/api/v1/projects', { name: 'Elsewhere', team: 'team-b' })).status, 403);
  const task = await admin.c.json<{ id: string }>('POST', `/api/v1/projects/${proj.body.id}/tasks`, { name: 'Fieldwork' });
  t.is(task.status, 201);
  const list = await emp.c.json<{ projects: Array<{ id: string; tasks: unknown[] }> }>('GET', '/api/v1/projects');
  t.is(list.body.projects.find((p) => p.id === proj.body.id)?.tasks.length, 1);
  t.is((await admin.c.json('PUT', `/api/v1/projects/${proj.body.id}/archived`, { archived: true })).status, 200);
  const after = await emp.c.json<{ projects: Array<{ id: string }> }>('GET', '/api/v1/projects');
  t.false(after.body.projects.some((p) => p.id === proj.body.id));
  const e = await emp.c.json<Err>('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 30, project_id: proj.body.id, task_id: task.body.id });
  t.is(e.status, 422);
  t.deepEqual(e.body.error.details!.map((d) => d.field), ['project_id']);
});

test('an entry across midnight into a submitted day is refused whole: no entry, no new day row', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const d1 = daysAgo(2);
  const d2 = daysAgo(1);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: d2, duration_minutes: 60, project_id: projectId })).status, 201);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${d2}/submit`)).status, 200);
  const before = await a.db.knex('timesheet_days').count({ n: '*' }).first();
  const night = await emp.c.json<Err>('POST', '/api/v1/me/entries', { start: at(d1, '22:00'), end: at(d2, '02:00'), project_id: projectId, note: 'night' });
  t.is(night.status, 409);
  t.is(night.body.error.code, 'day_locked');
  t.is(Number((await a.db.knex('timesheet_days').count({ n: '*' }).first())!.n), Number(before!.n), 'the draft row for the first night was rolled back');
  t.is(Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n), 1);
  // A timer cannot end inside a frozen day either: the stop is refused and the timer keeps running.
  t.is((await emp.c.json('POST', '/api/v1/me/timer/start', { project_id: projectId })).status, 201);
  const today = daysAgo(0);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${today}/submit`)).status, 200);
  const stop = await emp.c.json<Err>('POST', '/api/v1/me/timer/stop');
  t.is(stop.status, 409);
  t.is(stop.body.error.code, 'day_locked');
  t.true((await emp.c.json<{ running: boolean }>('GET', '/api/v1/me/timer')).body.running);
});

test('inbox filters: by person, by dates and by project', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const [other] = (await a.db.knex('projects').insert({ name: 'Other' }).returning('id')) as Array<{ id: string }>;
  const admin = await person(a, { adminOf: 'team-a' });
  const p1 = await person(a, { inTeam: 'team-a' });
  const p2 = await person(a, { inTeam: 'team-a' });
  for (const [p, project, n] of [[p1, projectId, 1], [p1, other!.id, 2], [p2, projectId, 1]] as const) {
    const date = daysAgo(n);
    t.is((await p.c.json('POST', '/api/v1/me/entries', { date, duration_minutes: 60, project_id: project })).status, 201);
    t.is((await p.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  }
  const q = async (s: string) => (await admin.c.json<{ total: number; days: Array<{ owner_id: string; date: string }> }>('GET', `/api/v1/days${s}`)).body;
  t.is((await q('')).total, 3);
  t.is((await q(`?person=${p1.id}`)).total, 2);
  t.is((await q(`?from=${daysAgo(1)}&to=${daysAgo(1)}`)).total, 2);
  t.is((await q(`?project_id=${other!.id}`)).total, 1);
  t.is((await q(`?project_id=${projectId}&person=${p2.id}`)).total, 1);
  t.is((await admin.c.json('GET', '/api/v1/days?user_id=x')).status, 422, 'unknown filters are refused, not ignored');
});

test('batch entries are all or none, with problems named per entry', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const bad = await emp.c.json<Err>('POST', '/api/v1/me/entries/batch', { entries: [
    { date: daysAgo(1), duration_minutes: 60, project_id: projectId },
    { date: '1970-01-01', duration_minutes: 60, project_id: projectId },
  ] });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details!.map((d) => d.field), ['entries.1.date']);
  t.is(Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n), 0);
  const ok = await emp.c.json<{ entries: unknown[] }>('POST', '/api/v1/me/entries/batch', { entries: [
    { date: daysAgo(1), duration_minutes: 60, project_id: projectId },
    { date: daysAgo(2), duration_minutes: 90, project_id: projectId },
  ] });
  t.is(ok.status, 201);
  t.is(ok.body.entries.length, 2);
});

test('week grid hours parse as h:mm or decimal hours', (t) => {
  t.is(parseHours('1:30'), 90);
  t.is(parseHours('1.5'), 90);
  t.is(parseHours('1,25'), 75);
  t.is(parseHours('8'), 480);
  t.is(parseHours('lots'), undefined);
  t.is(parseHours('1:75'), undefined);
});

test('CSV import of master data: a per-row error report and nothing written, then a dry run and the real import', async (t) => {
  const { a } = await timesheetApp(t);
  const op = await person(a, { roles: ['operator'] });
  const emp = await person(a);
  const good = 'customer,project,code,task,billable,budget_hours,team\nSint Anna,Audit 2026,A26,Fieldwork,yes,120,\nSint Anna,Audit 2026,A26,Reporting,yes,120,\n,Internal training,,,no,,\n';
  t.is((await emp.c.json('POST', '/api/v1/master-data/import', { csv: good })).status, 403);
  const bad = await op.c.json<Err>('POST', '/api/v1/master-data/import', { csv: 'project,billable,budget_hours,colour\n,perhaps,-3,red\nOk,yes,1,\n' });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details!.map((d) => d.field).sort(), ['csv.header.colour', 'rows.2.billable', 'rows.2.budget_hours', 'rows.2.project'].sort());
  const before = Number((await a.db.knex('projects').count({ n: '*' }).first())!.n);
  const dry = await op.c.json<{ projects_created: number; tasks_created: number }>('POST', '/api/v1/master-data/import', { csv: good, dry_run: true });
  t.is(dry.status, 200);
  t.deepEqual([dry.body.projects_created, dry.body.tasks_created], [2, 2]);
  t.is(Number((await a.db.knex('projects').count({ n: '*' }).first())!.n), before, 'a dry run writes nothing');
  const real = await op.c.json<{ customers_created: number; projects_created: number; tasks_created: number }>('POST', '/api/v1/master-data/import', { csv: good });
  t.deepEqual([real.body.customers_created, real.body.projects_created, real.body.tasks_created], [1, 2, 2]);
  const again = await op.c.json<{ projects_created: number }>('POST', '/api/v1/master-data/import', { csv: good });
  t.is(again.body.projects_created, 0, 'importing twice finds what exists');
});

test('my days by range: up to 62 days answer one view per date (across a month end); 63 days or an end before the start is a 422 naming query.to', async (t) => {
  const { a } = await timesheetApp(t);
  const emp = await person(a);
  const ok = await emp.c.json<{ days: Array<{ date: string }> }>('GET', '/api/v1/me/days?from=2026-01-01&to=2026-03-03');
  t.is(ok.status, 200);
  t.is(ok.body.days.length, 62);
  t.is(ok.body.days[30]!.date, '2026-01-31');
  t.is(ok.body.days[31]!.date, '2026-02-01');
  t.is(ok.body.days.at(-1)!.date, '2026-03-03');
  for (const q of ['from=2026-01-01&to=2026-03-04', 'from=2000-01-01&to=2099-12-31', 'from=2026-01-02&to=2026-01-01']) {
    const bad = await emp.c.json<Err>('GET', `/api/v1/me/days?${q}`);
    t.is(bad.status, 422, q);
    t.deepEqual(bad.body.error.details?.map((d) => d.field), ['query.to'], q);
  }
});
