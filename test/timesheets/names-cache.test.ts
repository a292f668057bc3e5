import test from 'ava';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

/**
 * The own day view remembers project and task names (src/timesheets/names-cache.ts)
 * and must never show a name that was changed before the view began: whoever changes
 * them (an admin's page, the CLI, an import, plain SQL), the change raises the names
 * count in its transaction and the next view reads the new names.
 */

interface Totals {
  totals: Array<{ project_name: string; task_name: string | null }>;
}

test('the day view shows a renamed project or task from the next view on, and spends no statement on names while nothing changed', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const owner = await person(a);
  const date = daysAgo(1);
  const created = await owner.c.json('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '09:00'), project_id: projectId, task_id: taskId });
  t.is(created.status, 201);
  const names = async () => {
    const r = await owner.c.json<Totals>('GET', `/api/v1/me/days/${date}`);
    t.is(r.status, 200);
    return r.body.totals.map((x) => `${x.project_name} / ${x.task_name}`);
  };
  t.deepEqual(await names(), ['Ward rota / Planning']);

  // Remembered: a second view sends its one message and nothing for names.
  const seen: string[] = [];
  const listener = (q: { sql: string }) => seen.push(q.sql);
  a.app.db.on('query', listener);
  t.deepEqual(await names(), ['Ward rota / Planning']);
  a.app.db.off('query', listener);
  t.deepEqual(seen.filter((q) => !/^PREPARE /.test(q) && !/from "?(sessions|role_assignments|totp_factors)\b/i.test(q)).length, 1, seen.join('\n'));

  // Changed by someone else's connection, as the CLI or an import would.
  await a.db.knex('projects').where({ id: projectId }).update({ name: 'Night rota' });
  t.deepEqual(await names(), ['Night rota / Planning']);
  await a.db.knex('tasks').where({ id: taskId }).update({ name: 'Handover' });
  t.deepEqual(await names(), ['Night rota / Handover']);

  // A rename not yet committed is not shown; once committed it is.
  const trx = await a.db.knex.transaction();
  try {
    await trx('projects').where({ id: projectId }).update({ name: 'Day rota' });
    t.deepEqual(await names(), ['Night rota / Handover']);
    await trx.commit();
  } catch (err) {
    await trx.rollback();
    throw err;
  }
  t.deepEqual(await names(), ['Day rota / Handover']);
});
