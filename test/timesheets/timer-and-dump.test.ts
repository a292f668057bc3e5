import { execFileSync } from 'node:child_process';
import test from 'ava';
import { startAppliance } from '../../src/app/appliance.js';
import { testLogger } from '../helpers/log.js';
import { ApiClient } from '../helpers/client.js';
import { GOOD_PASSWORD } from '../helpers/factories.js';
import { person, timesheetApp } from './helpers.js';

type Timer = { running: boolean; started_at: string | null; elapsed_seconds: number | null; note: string | null };

test('timer: start, one per person, switch, stop records the entry; a running timer survives a server restart with the right duration', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const emp = await person(a);
  t.is((await new ApiClient(a.url).json('GET', '/api/v1/me/timer')).status, 401);
  t.is((await emp.c.json('POST', '/api/v1/me/timer/stop')).status, 409);
  const started = await emp.c.json<Timer>('POST', '/api/v1/me/timer/start', { project_id: projectId, note: 'first' });
  t.is(started.status, 201);
  t.true(started.body.running);
  t.is((await emp.c.json('POST', '/api/v1/me/timer/start', { project_id: projectId })).status, 409, 'one running timer per person');
  const switched = await emp.c.json<{ entry: { note: string }; timer: Timer }>('POST', '/api/v1/me/timer/switch', { project_id: projectId, task_id: taskId, note: 'second' });
  t.is(switched.status, 200);
  t.is(switched.body.entry.note, 'first');
  t.is(switched.body.timer.note, 'second');

  // Pretend the running timer started two hours ago (its details are encrypted, so
  // they are rewritten through the key service), then restart the server.
  const startedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
  const details = await a.app.keys.encrypt(a.db.knex, emp.id, { table: 'running_timers', column: 'details', rowId: emp.id }, JSON.stringify({ started_at: startedAt, project_id: projectId, task_id: taskId, note: 'second' }));
  await a.db.knex('running_timers').where({ owner_id: emp.id }).update({ details });
  await a.app.stop();
  const again = await startAppliance(a.config, testLogger(t.title), { jobs: false });
  try {
    const c = new ApiClient(again.url);
    const r = await c.json<{ state: string }>('POST', '/api/v1/session', { username: emp.username, password: GOOD_PASSWORD, source: 'local' });
    t.is(r.status, 200);
    const timer = await c.json<Timer>('GET', '/api/v1/me/timer');
    t.true(timer.body.running);
    t.is(timer.body.started_at, startedAt);
    t.true(Math.abs(timer.body.elapsed_seconds! - 7200) < 30, `elapsed ${timer.body.elapsed_seconds}`);
    const stopped = await c.json<{ entry: { minutes: number; start: string; note: string } }>('POST', '/api/v1/me/timer/stop');
    t.is(stopped.status, 200);
    t.is(stopped.body.entry.start, startedAt);
    t.is(stopped.body.entry.minutes, 120);
    t.false((await c.json<Timer>('GET', '/api/v1/me/timer')).body.running);
  } finally {
    await again.stop();
  }
});

test('a pg_dump of the database holds no plaintext of a draft note, a timer note or a return comment (audit log included)', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const note = 'canary-draft-note-7f3a9c';
  const timerNote = 'canary-timer-note-1b2c3d';
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date(Date.now() - 86400_000));
  const entry = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date, duration_minutes: 45, project_id: projectId, note });
  t.is(entry.status, 201);
  t.is((await emp.c.json('POST', '/api/v1/me/timer/start', { project_id: projectId, note: timerNote })).status, 201);
  const admin = await person(a, { adminOf: 'team-a' });
  await a.db.knex('team_scope_members').insert({ team: 'team-a', account_id: emp.id, via: 'test' });
  const other = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date(Date.now() - 2 * 86400_000));
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: other, duration_minutes: 30, project_id: projectId })).status, 201);
  const sub = await emp.c.json<{ id: string }>('POST', `/api/v1/me/days/${other}/submit`);
  const comment = 'canary-return-comment-9e8d7c';
  t.is((await admin.c.json('POST', `/api/v1/days/${sub.body.id}/return`, { comment })).status, 200);
  // The mail outbox holds the return mail (with the comment) until delivery; purge it as delivery would.
  await a.db.knex('mail_outbox').delete();

  const dump = execFileSync('/usr/bin/pg_dump', ['--data-only', a.db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  // The dump holds the rows (a dump that silently skipped them would prove nothing).
  t.true(dump.includes(entry.body.id), 'the entry row is in the dump');
  t.true(dump.includes('Ward rota'), 'master data is in the dump in clear');
  t.false(dump.includes(note));
  t.false(dump.includes(timerNote));
  t.false(dump.includes(comment));
});
