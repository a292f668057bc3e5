import test from 'ava';
import { ApiClient } from '../helpers/client.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

type Event = { seq: number; at: string; actor_id: string; actor_name: string | null; action: string; object_type: string | null; object_id: string | null; date: string | null; fields: string[] };
type Row = { action: string; actor_id: string; subject_id: string | null; object_type: string | null; object_id: string | null; payload: Record<string, unknown> };

const NOTE = 'canary-trail-note-31f0';

test('every change to time data and master data is one audit event with actor, subject, object and the names of the changed fields, never their content', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const op = await person(a, { roles: ['operator'] });
  const since = Number((await a.db.knex('audit.events').max({ m: 'seq' }).first())!.m);
  const d = daysAgo(1);

  const created = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(d, '08:00'), end: at(d, '09:00'), project_id: projectId, note: NOTE });
  t.is(created.status, 201);
  t.is((await emp.c.json('PATCH', `/api/v1/me/entries/${created.body.id}`, { note: `${NOTE} changed` })).status, 200);
  const batch = await emp.c.json<{ entries: Array<{ id: string }> }>('POST', '/api/v1/me/entries/batch', {
    entries: [{ date: daysAgo(2), duration_minutes: 30, project_id: projectId }, { date: daysAgo(2), duration_minutes: 15, project_id: projectId, task_id: taskId }],
  });
  t.is(batch.status, 201);
  t.is((await emp.c.json('DELETE', `/api/v1/me/entries/${batch.body.entries[0]!.id}`)).status, 204);
  t.is((await emp.c.json('POST', '/api/v1/me/timer/start', { project_id: projectId, note: NOTE })).status, 201);
  const switched = await emp.c.json<{ entry: { id: string } }>('POST', '/api/v1/me/timer/switch', { project_id: projectId, task_id: taskId });
  t.is(switched.status, 200);
  const stopped = await emp.c.json<{ entry: { id: string } }>('POST', '/api/v1/me/timer/stop');
  t.is(stopped.status, 200);
  t.is((await emp.c.json('PUT', '/api/v1/me/timesheet-settings', { time_zone: 'Europe/Amsterdam' })).status, 200);
  const sub = await emp.c.json<{ id: string }>('POST', `/api/v1/me/days/${daysAgo(2)}/submit`);
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/return`, { comment: NOTE })).status, 200);

  // Correcting the returned day puts it back to draft: that too is recorded.
  t.is((await emp.c.json('DELETE', `/api/v1/me/entries/${batch.body.entries[1]!.id}`)).status, 204);
  const cust = await op.c.json<{ id: string }>('POST', '/api/v1/customers', { name: 'Sint Anna' });
  const proj = await op.c.json<{ id: string }>('POST', '/api/v1/projects', { name: 'Audit 2026', customer_id: cust.body.id, billable: true });
  const task = await op.c.json<{ id: string }>('POST', `/api/v1/projects/${proj.body.id}/tasks`, { name: 'Fieldwork' });
  t.is((await op.c.json('PUT', `/api/v1/projects/${proj.body.id}/archived`, { archived: true })).status, 200);
  t.is((await op.c.json('PUT', `/api/v1/projects/${proj.body.id}/archived`, { archived: false })).status, 200);
  const csv = 'customer,project,task\nAcme,Website,Design\nAcme,Website,Build\n';
  t.is((await op.c.json('POST', '/api/v1/master-data/import', { csv, dry_run: true })).status, 200);
  t.is((await op.c.json('POST', '/api/v1/master-data/import', { csv })).status, 200);

  const rows = (await a.db.knex('audit.events').where('seq', '>', since).whereNot('action', 'like', 'auth.%').whereNot('action', 'like', 'privacy.%').orderBy('seq')
    .select('action', 'actor_id', 'subject_id', 'object_type', 'object_id', 'payload')) as Row[];
  const mine = (action: string) => rows.filter((r) => r.action === action);
  const one = (action: string, objectId?: string) => {
    const found = mine(action).filter((r) => objectId === undefined || r.object_id === objectId);
    t.is(found.length, 1, `one ${action}${objectId ? ` for ${objectId}` : ''}`);
    return found[0] ?? ({ payload: {} } as Row);
  };

  const create = one('timesheet.entry.created', created.body.id);
  t.like(create, { actor_id: emp.id, subject_id: emp.id, object_type: 'time_entry' });
  t.deepEqual(create.payload.fields, ['end', 'minutes', 'note', 'project_id', 'start']);
  t.deepEqual(one('timesheet.entry.changed', created.body.id).payload.fields, ['note'], 'only the changed field is named');
  t.is(mine('timesheet.entry.created').length, 3, 'one event per entry of the batch');
  t.deepEqual(one('timesheet.entry.created', batch.body.entries[1]!.id).payload.fields, ['date', 'minutes', 'project_id', 'task_id']);
  t.like(one('timesheet.entry.deleted', batch.body.entries[0]!.id), { actor_id: emp.id, subject_id: emp.id });
  t.is(mine('timesheet.entry.deleted').length, 2);
  t.like(one('timesheet.timer.started'), { object_type: 'running_timer', object_id: emp.id, subject_id: emp.id, payload: { fields: ['note', 'project_id', 'started_at'] } });
  t.like(one('timesheet.timer.switched', switched.body.entry.id), { object_type: 'time_entry', payload: { timer_fields: ['project_id', 'started_at', 'task_id'] } });
  t.like(one('timesheet.timer.stopped', stopped.body.entry.id), { subject_id: emp.id });
  t.like(one('timesheet.settings.changed'), { actor_id: emp.id, subject_id: emp.id, payload: { fields: ['time_zone'] } });
  t.like(one('timesheet.day.submitted', sub.body.id), { subject_id: emp.id });
  t.like(one('timesheet.day.returned', sub.body.id), { actor_id: admin.id, subject_id: emp.id, payload: { fields: ['state', 'comment'] } });
  t.like(one('timesheet.day.redrafted', sub.body.id), { actor_id: emp.id, subject_id: emp.id, payload: { from: 'returned', fields: ['state'] } });

  t.like(one('master_data.customer.created', cust.body.id), { actor_id: op.id, subject_id: null, payload: { fields: ['name'] } });
  t.deepEqual(one('master_data.project.created', proj.body.id).payload.fields, ['billable', 'customer_id', 'name']);
  t.like(one('master_data.task.created', task.body.id), { payload: { fields: ['name'] } });
  t.like(one('master_data.project.archived', proj.body.id), { payload: { fields: ['archived'] } });
  t.like(one('master_data.project.restored', proj.body.id), { payload: { fields: ['archived'] } });
  t.deepEqual(one('master_data.import.applied').payload, { rows: 2, customers_created: 1, projects_created: 1, tasks_created: 2 }, 'one event per import (none for the dry run), counts only');

  const text = JSON.stringify(rows);
  t.false(text.includes('canary-trail'), 'no note, comment or timer note in any payload');
  t.false(text.includes('Sint Anna') || text.includes('Fieldwork'), 'field names, not values');
});

test('the employee sees the events about their own data, paged, beside who saw it — and nobody else’s', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const other = await person(a);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 10 + i, project_id: projectId, note: NOTE });
    ids.push(r.body.id);
  }
  const sub = await emp.c.json<{ id: string }>('POST', `/api/v1/me/days/${daysAgo(1)}/submit`);
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/approve`)).status, 200);
  t.is((await other.c.json('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 5, project_id: projectId })).status, 201);

  t.is((await new ApiClient(a.url).json('GET', '/api/v1/me/audit-events')).status, 401);
  t.is((await emp.c.json('GET', '/api/v1/me/audit-events?limit=0')).status, 422);
  t.is((await emp.c.json('GET', '/api/v1/me/audit-events?before=abc')).status, 422);
  const first = await emp.c.json<{ events: Event[]; next_before: number | null }>('GET', '/api/v1/me/audit-events?limit=4');
  t.is(first.status, 200);
  t.deepEqual(first.body.events.map((e) => e.action).slice(0, 2), ['timesheet.day.approved', 'timesheet.day.submitted'], 'newest first');
  const approved = first.body.events[0]!;
  t.like(approved, { actor_id: admin.id, object_type: 'timesheet_day', object_id: sub.body.id, date: daysAgo(1), fields: ['state', 'approved_at', 'approved_by'] });
  t.truthy(approved.actor_name, 'the actor is resolved to a name for the owner');
  t.is(first.body.events.length, 4);
  t.truthy(first.body.next_before);
  const rest = await emp.c.json<{ events: Event[]; next_before: number | null }>('GET', `/api/v1/me/audit-events?before=${first.body.next_before}&limit=200`);
  const all = [...first.body.events, ...rest.body.events];
  t.deepEqual(all.filter((e) => e.action === 'timesheet.entry.created').map((e) => e.object_id).sort(), [...ids].sort());
  t.true(all.every((e, i) => i === 0 || e.seq < all[i - 1]!.seq), 'pages do not overlap');
  t.false(all.some((e) => e.action === 'privacy.personal_data.read'), 'reads are listed under data-reads');
  t.false(JSON.stringify(all).includes('canary'), 'no content');
  const theirs = await other.c.json<{ events: Event[] }>('GET', '/api/v1/me/audit-events?limit=200');
  t.false(theirs.body.events.some((e) => ids.includes(e.object_id ?? '') || e.object_id === sub.body.id), 'only events whose subject is the caller');

  const res = await emp.c.call('GET', '/timesheets/data-reads?lang=en');
  t.is(res.status, 200);
  const page = await res.text();
  t.regex(page, /<table class="list" id="events">/);
  t.regex(page, /<td>Day approved<\/td>/, 'the action in words, not its code');
  t.true(page.includes(approved.actor_name!), 'who, by name');
  t.regex(page, /state, approved at, approved by/);
  const bad = await emp.c.call('GET', '/timesheets/data-reads?before=-1');
  t.is(bad.status, 422);
});
