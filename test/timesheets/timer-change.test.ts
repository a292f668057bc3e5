import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { buildEmployee, buildProject } from '../helpers/factories.js';

interface Timer { running: boolean; started_at: string | null; project_id: string | null; task_id: string | null; note: string | null }

test('PATCH /me/timer changes the running timer’s note and project, keeps its start, is audited by field names only; 409 when none runs; 422 names the field', async (t) => {
  const a = await startTestApp(t);
  const first = await buildProject(a);
  const second = await buildProject(a);
  const emp = await buildEmployee(a);
  t.is((await emp.client.json('PATCH', '/api/v1/me/timer', { note: 'x' })).status, 409);
  const started = await emp.client.json<Timer>('POST', '/api/v1/me/timer/start', { project_id: first.projectId, task_id: first.taskId, note: 'secret words' });
  t.is(started.status, 201);

  const noted = await emp.client.json<Timer>('PATCH', '/api/v1/me/timer', { note: 'other words' });
  t.is(noted.status, 200);
  t.like(noted.body, { running: true, started_at: started.body.started_at, project_id: first.projectId, task_id: first.taskId, note: 'other words' });

  const moved = await emp.client.json<Timer>('PATCH', '/api/v1/me/timer', { project_id: second.projectId });
  t.like(moved.body, { project_id: second.projectId, task_id: null, note: 'other words', started_at: started.body.started_at }, 'a new project without a task clears the old task');

  const bad = await emp.client.json<{ message: string }>('PATCH', '/api/v1/me/timer', { project_id: 'nope' });
  t.is(bad.status, 422);
  t.regex(JSON.stringify(bad.body), /project_id/);
  t.is((await emp.client.json('PATCH', '/api/v1/me/timer', {})).status, 422, 'an empty change is refused');
  t.is((await emp.client.json<Timer>('GET', '/api/v1/me/timer')).body.project_id, second.projectId, 'a refused change leaves the timer as it was');

  const events = await a.db.knex('audit.events').where({ action: 'timesheet.timer.changed' }).orderBy('seq').select('payload');
  t.deepEqual(events.map((e: { payload: unknown }) => e.payload), [{ fields: ['note'] }, { fields: ['project_id', 'task_id'] }]);
  t.false(JSON.stringify(events).includes('words'), 'no note text in the audit log');
  const stop = await emp.client.json<{ entry: { note: string; project_id: string } }>('POST', '/api/v1/me/timer/stop');
  t.like(stop.body.entry, { note: 'other words', project_id: second.projectId });
});
