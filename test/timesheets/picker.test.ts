import test from 'ava';
import { choicesOf, searchChoices } from '../../src/timesheets/project-search.js';
import type { ProjectView } from '../../src/timesheets/master-data.js';
import { daysAgo, person, timesheetApp } from './helpers.js';

type Results = { results: Array<{ value: string; label: string; recent: boolean }> };

const project = (id: string, name: string, code: string | null, customer: string | null, tasks: string[] = [], archived = false): ProjectView => ({
  id, name, code, customer_id: customer ? `c-${customer}` : null, customer_name: customer, billable: false, budget_hours: null, team: 'default', archived,
  tasks: tasks.map((t, i) => ({ id: `${id}-t${i}`, project_id: id, name: t, billable: null, archived: false })),
});

test('picker order (pure): exact code, then prefixes on project/task/customer, then contains, recent first within each; archived never', (t) => {
  const projects = [
    project('p1', 'Zeta support', 'abc', 'Acme'),
    project('p2', 'Abc tooling', null, 'Other'),
    project('p3', 'Website', null, 'Abcor'),
    project('p4', 'Labcoats', null, null),
    project('p5', 'Abc old', null, null, [], true),
    project('p6', 'Internal', null, null, ['Abc reviews']),
  ];
  const recent = [{ project_id: 'p3', task_id: null }];
  const order = searchChoices(choicesOf(projects, recent), 'ABC', recent).map((c) => c.value);
  t.deepEqual(order, ['p1', 'p3', 'p2', 'p6/p6-t0', 'p4']);
  t.false(order.some((v) => v.startsWith('p5')));
  // No text: everything open, recent first, then by customer, project, task.
  t.is(searchChoices(choicesOf(projects, recent), '', recent)[0]!.value, 'p3');
  t.deepEqual(searchChoices(choicesOf(projects), 'nothing like it'), []);
});

test('GET /api/v1/me/project-search: 401, then matches on code, customer and task in order, recent first; the plain select groups by customer', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const anon = await fetch(`${a.url}/api/v1/me/project-search?q=x`);
  t.is(anon.status, 401);
  const emp = await person(a);
  const [cust] = (await a.db.knex('customers').insert({ name: 'Ward Hospital' }).returning('id')) as Array<{ id: string }>;
  const [coded] = (await a.db.knex('projects').insert({ name: 'Night cover', code: 'WARD', customer_id: cust!.id }).returning('id')) as Array<{ id: string }>;
  await a.db.knex('projects').insert({ name: 'Ward closed', archived_at: new Date() });
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: daysAgo(2), duration_minutes: 30, project_id: projectId, task_id: taskId })).status, 201);

  const r = await emp.c.json<Results>('GET', '/api/v1/me/project-search?q=ward');
  t.is(r.status, 200);
  const values = r.body.results.map((x) => x.value);
  // Exact code first; then prefix matches (recent Ward rota › Planning first, then by name); the archived project never.
  t.is(values[0], coded!.id);
  t.is(values[1], `${projectId}/${taskId}`);
  t.true(r.body.results[1]!.recent);
  t.deepEqual(new Set(values), new Set([coded!.id, `${projectId}/${taskId}`, projectId]));
  t.is(r.body.results[0]!.label, 'Ward Hospital — Night cover [WARD]');
  const byTask = await emp.c.json<Results>('GET', '/api/v1/me/project-search?q=plan');
  t.deepEqual(byTask.body.results.map((x) => x.value), [`${projectId}/${taskId}`]);
  t.is((await emp.c.json('GET', `/api/v1/me/project-search?q=${'x'.repeat(101)}`)).status, 422);

  const html = await (await emp.c.call('GET', '/timesheets?lang=en')).text();
  t.regex(html, /<optgroup label="Recent and pinned"><option value="[^"]+">Ward rota › Planning<\/option><\/optgroup>/);
  t.regex(html, /<optgroup label="Ward Hospital"><option value="[^"]+">Night cover \[WARD\]<\/option><\/optgroup>/);
  t.true(html.includes('<optgroup label="Without customer">'));
  t.false(html.includes('Ward closed'));
});
