import test from 'ava';
import { outboxMails } from '../helpers/mail.js';
import { sendReminders } from '../../src/timesheets/reminders.js';
import { daysAgo, person, timesheetApp } from './helpers.js';

test('reminders: one mail per person for drafts older than after_days, each day once; off by default; submitted days are not reminded about', async (t) => {
  const { a, projectId } = await timesheetApp(t, { timesheets: { reminder: { enabled: true, after_days: 3 } } });
  const emp = await person(a, { email: 'emp@corp.example.test' });
  for (const n of [5, 4, 1]) t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: daysAgo(n), duration_minutes: 30, project_id: projectId })).status, 201);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${daysAgo(4)}/submit`)).status, 200);
  const deps = { db: a.db.knex, config: a.config, keys: a.app.keys };
  t.deepEqual(await sendReminders(deps), { people: 1, days: 1 });
  const mails = await outboxMails(a.db.knex, a.app.keys, { recipients: ['emp@corp.example.test'] });
  t.is(mails.length, 1);
  t.false(String(mails[0]!.stored).includes(daysAgo(5)), 'the dates rest sealed');
  t.true(mails[0]!.text.includes(daysAgo(5)));
  t.false(mails[0]!.text.includes(daysAgo(1)));
  t.deepEqual(await sendReminders(deps), { people: 0, days: 0 }, 'each day is reminded about once');
  t.deepEqual(await sendReminders({ db: a.db.knex, keys: a.app.keys, config: { ...a.config, timesheets: { ...a.config.timesheets, reminder: { ...a.config.timesheets.reminder, enabled: false } } } }), { people: 0, days: 0 });
});
