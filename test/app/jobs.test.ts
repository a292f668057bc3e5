import test from 'ava';
import { ALL_QUEUES, QUEUES, startJobs } from '../../src/app/jobs.js';
import { parseConfig } from '../../src/platform/config.js';
import { startTestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';

test('the appliance runs the jobs its modules declare: every queue exists, schedules follow the config', async (t) => {
  const { app, config } = await startTestApp(t, { timesheets: { reminder: { enabled: true, cron: '0 9 * * 1-5' } } }, { jobs: true });
  const boss = app.jobs!.boss;
  const queues = (await boss.getQueues()).map((q) => q.name);
  for (const q of ALL_QUEUES) t.true(queues.includes(q), q);
  const schedules = new Map((await boss.getSchedules()).map((s) => [s.name, s.cron]));
  t.is(schedules.get(QUEUES.mailDeliver), '* * * * *');
  t.is(schedules.get(QUEUES.housekeeping), config.jobs.housekeeping_cron);
  t.is(schedules.get(QUEUES.auditCheckpoint), '0 * * * *');
  t.is(schedules.get(QUEUES.timesheetReminders), '0 9 * * 1-5', 'the timesheets module scheduled its reminders');
  // No directory configured: its module removes (here: never adds) the sync schedules.
  t.false(schedules.has(QUEUES.directorySync));
  t.false(schedules.has(QUEUES.directoryReconcile));
});

test('a module job on a queue the composition root does not list is refused (migrate would not have created it)', async (t) => {
  const config = parseConfig({}, 'test');
  await t.throwsAsync(
    startJobs({ connectionString: 'postgres://unused', config, logger: testLogger(t.title), modules: [{ name: 'x', jobs: [{ queue: 'not.listed', cron: '* * * * *' }] }] }),
    { message: /job queue not\.listed is not listed in src\/app\/jobs\.ts QUEUES/ },
  );
});

test('the housekeeping job runs the housekeeping steps of every module; jobs get their data and queue policy; a switched-off schedule is removed', async (t) => {
  const db = await useTestDatabase(t);
  const config = parseConfig({ database: { url: db.url } }, 'test');
  const logger = testLogger(t.title);
  const ran: string[] = [];
  const received: Array<Record<string, unknown>> = [];
  const step = (name: string) => async () => {
    ran.push(name);
    return { [name]: 1 };
  };
  const first = await startJobs({
    connectionString: db.url, config, logger,
    modules: [
      { name: 'a', housekeeping: [step('a')], jobs: [{ queue: QUEUES.timesheetReminders, cron: '0 8 * * 1-5' }] },
      { name: 'b', housekeeping: [step('b')] },
      {
        name: 'c',
        jobs: [{ queue: QUEUES.directorySync, queueOptions: { retryLimit: 3, retryBackoff: true }, handler: async (data) => void received.push(data) }],
      },
    ],
  });
  t.teardown(() => first.stop(2000));
  t.true((await first.boss.getSchedules()).some((s) => s.name === QUEUES.timesheetReminders));
  await first.boss.send(QUEUES.housekeeping, {});
  const deadline = Date.now() + 30_000;
  while (ran.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(ran, ['a', 'b']);
  // A job gets the data it was sent with; retries are the queue's policy, kept by pg-boss.
  t.like(await first.boss.getQueue(QUEUES.directorySync), { retryLimit: 3, retryBackoff: true });
  await first.boss.send(QUEUES.directorySync, { run: 7 });
  while (received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(received, [{ run: 7 }]);
  await first.stop(2000);

  // The same module with the feature off (cron: null) removes the schedule it left.
  const second = await startJobs({ connectionString: db.url, config, logger, modules: [{ name: 'a', jobs: [{ queue: QUEUES.timesheetReminders, cron: null }] }] });
  t.teardown(() => second.stop(2000));
  t.false((await second.boss.getSchedules()).some((s) => s.name === QUEUES.timesheetReminders));
});

test('module listeners start after the job engine and stop before it', async (t) => {
  const db = await useTestDatabase(t);
  const config = parseConfig({ database: { url: db.url } }, 'test');
  const events: string[] = [];
  const jobs = await startJobs({
    connectionString: db.url, config, logger: testLogger(t.title),
    modules: [{
      name: 'l',
      listeners: [async ({ connectionString, boss }) => {
        events.push(`start ${connectionString === db.url} ${(await boss.getQueue(QUEUES.mailDeliver))?.name}`);
        return { stop: async () => void events.push('stop') };
      }],
    }],
  });
  t.deepEqual(events, ['start true mail.deliver'], 'started on a running engine whose queues exist');
  await jobs.stop(2000);
  await jobs.stop(2000);
  t.deepEqual(events, ['start true mail.deliver', 'stop'], 'stopped once');
});
