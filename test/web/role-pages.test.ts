/**
 * Pages by role, with people and days from the test factories: who may open a
 * submitted day's page and the operator page.
 */
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { buildAuditor, buildDay, buildEmployee, buildOperator, buildProject, buildTeamAdmin } from '../helpers/factories.js';

test('a submitted day\'s page: its owner and the team admin in scope see it; other admins, operators, auditors and strangers do not', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'ward-3' });
  const owner = await buildEmployee(a, { team: 'ward-3' });
  const { projectId } = await buildProject(a, { by: admin, team: 'ward-3' });
  const day = await buildDay(owner, { projectId, state: 'submitted' });
  const page = `/timesheets/days/${day.id}`;

  const anonymous = await a.request(page, { redirect: 'manual' });
  t.not(anonymous.status, 200);
  t.false((await anonymous.text()).includes(day.date), 'nothing of the day reaches an anonymous caller');
  t.is((await owner.client.call('GET', page)).status, 200);
  const inbox = await (await admin.client.call('GET', '/timesheets/inbox')).text();
  t.true(inbox.includes(page), 'the day is in the inbox of the admin whose scope holds its owner');
  t.is((await admin.client.call('GET', page)).status, 200);
  for (const other of [await buildTeamAdmin(a, { team: 'ward-9' }), await buildOperator(a), await buildAuditor(a), await buildEmployee(a, { team: 'ward-3' })]) {
    t.is((await other.client.call('GET', page)).status, 404, `${other.username} gets 404, as if the day did not exist`);
  }
});

test('the operator page opens for operators only, others are refused', async (t) => {
  const a = await startTestApp(t);
  t.is((await (await buildOperator(a)).client.call('GET', '/operator')).status, 200);
  t.is((await (await buildOperator(a, { source: 'directory' })).client.call('GET', '/operator')).status, 200);
  for (const p of [await buildEmployee(a), await buildTeamAdmin(a), await buildAuditor(a)]) {
    const status = (await p.client.call('GET', '/operator')).status;
    t.true(status === 403 || status === 404, `${p.username}: ${status}`);
  }
});
