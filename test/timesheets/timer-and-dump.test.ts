import { execFileSync } from 'node:child_process';
import test from 'ava';
import { startAppliance } from '../../src/app/appliance.js';
import { testLogger } from '../helpers/log.js';
import { ApiClient } from '../helpers/client.js';
import { GOOD_PASSWORD } from '../helpers/factories.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sendReminders } from '../../src/timesheets/reminders.js';
import { daysAgo, person, timesheetApp } from './helpers.js';

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
  const details = await a.app.keys.encrypt(a.db.knex, emp.id, { table: 'running_timers', column: 'details', rowId: emp.id }, JSON.stringify({ started_at: startedAt, project_id: projectId, task_id: taskId, note: 'second' }), { purpose: 'draft' });
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

test('a pg_dump taken with everything in place — outbox, audit log, running timer, returned, submitted and approved days — and the log output hold no note, comment or reason in clear', async (t) => {
  const { a, projectId } = await timesheetApp(t, { timesheets: { reminder: { enabled: true, after_days: 3 } } });
  const emp = await person(a, { inTeam: 'team-a', email: 'emp@corp.example.test' });
  const admin = await person(a, { adminOf: 'team-a', email: 'admin@corp.example.test' });
  const marker = (what: string) => `canary-${what}-7f3a9c`;
  const book = async (n: number, note: string) => {
    const r = await emp.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date: daysAgo(n), duration_minutes: 45, project_id: projectId, note });
    t.is(r.status, 201);
    return r.body.id;
  };
  const draftEntry = await book(5, marker('draft-note'));
  await book(1, marker('returned-note'));
  await book(2, marker('submitted-note'));
  await book(3, marker('approved-note'));
  await book(4, marker('reopened-note'));
  t.is((await emp.c.json('POST', '/api/v1/me/timer/start', { project_id: projectId, note: marker('timer-note') })).status, 201);
  const ids: Record<number, string> = {};
  for (const n of [1, 2, 3, 4]) ids[n] = (await emp.c.json<{ id: string }>('POST', `/api/v1/me/days/${daysAgo(n)}/submit`)).body.id;
  t.is((await admin.c.json('POST', `/api/v1/days/${ids[1]}/return`, { comment: marker('return-comment') })).status, 200);
  t.is((await admin.c.json('POST', '/api/v1/days/approve', { ids: [ids[3], ids[4]] })).status, 200);
  t.is((await admin.c.json('POST', `/api/v1/days/${ids[4]}/reopen`, { reason: marker('reopen-reason') })).status, 200);
  t.deepEqual(await sendReminders({ db: a.db.knex, config: a.config, keys: a.app.keys }), { people: 1, days: 1 }, 'the old draft is reminded about');
  // Nothing is deleted or delivered: the mails wait in the outbox as the dump is taken.
  const pending = Number((await a.db.knex('mail_outbox').count({ n: '*' }).first())!.n);
  t.is(pending, 7, 'four submit mails, a return, a reopen and a reminder wait in the outbox');

  const dump = execFileSync('/usr/bin/pg_dump', ['--data-only', a.db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  // The dump holds the rows (a dump that silently skipped them would prove nothing).
  t.true(dump.includes(draftEntry), 'the entry rows are in the dump');
  t.regex(dump, /COPY public\.mail_outbox/);
  t.regex(dump, /COPY audit\.events/);
  t.true(dump.includes('Ward rota'), 'master data is in the dump in clear');
  const logDir = process.env.UURWERK_TEST_LOG_DIR ?? '';
  t.true(existsSync(logDir));
  const logs = readdirSync(logDir).map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('\n');
  t.true(logs.length > 0, 'the log output was captured (a check over nothing would prove nothing)');
  for (const what of ['draft-note', 'returned-note', 'submitted-note', 'approved-note', 'reopened-note', 'timer-note', 'return-comment', 'reopen-reason']) {
    t.false(dump.includes(marker(what)), `${what} in the dump`);
    t.false(logs.includes(marker(what)), `${what} in the log output`);
  }
});
