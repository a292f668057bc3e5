import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { buildAuditor, buildDay, buildDpo, buildEmployee, buildOperator, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';

const menuOf = (page: string): string[] => [...(/<nav aria-label="(?:Main menu|Hoofdmenu)"><ul>([\s\S]*?)<\/ul><\/nav>/.exec(page)?.[1] ?? '').matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);

test('the menu shows each person the pages their roles open: the inbox for team admins, the console for operators, the registers for the privacy officer', async (t) => {
  const a = await startTestApp(t);
  const get = async (p: { client: { call: (m: string, p: string) => Promise<Response> } }) => (await p.client.call('GET', '/timesheets/projects?lang=en')).text();
  t.deepEqual(menuOf(await get(await buildEmployee(a))), ['/', '/timesheets', '/account']);
  t.deepEqual(menuOf(await get(await buildTeamAdmin(a))), ['/', '/timesheets', '/timesheets/inbox', '/reports', '/account']);
  t.deepEqual(menuOf(await get(await buildOperator(a))), ['/', '/timesheets', '/operator', '/account']);
  t.deepEqual(menuOf(await get(await buildDpo(a))), ['/', '/timesheets', '/privacy/requests', '/account']);
  t.deepEqual(menuOf(await get(await buildAuditor(a))), ['/', '/timesheets', '/audit', '/account']);
  const anonymous = await (await a.request('/?lang=en')).text();
  t.deepEqual(menuOf(anonymous), ['/', '/sign-in']);
  t.false(anonymous.includes('timer-widget'), 'no timer widget for anonymous visitors');
});

test('the start page shows today, the week and returned days with their comment (also on the week page); the admin sees the days waiting in the inbox', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'ward-3' });
  const emp = await buildEmployee(a, { team: 'ward-3' });
  const { projectId } = await buildProject(a, { by: admin, team: 'ward-3' });
  const returned = await buildDay(emp, { projectId, state: 'returned', admin, comment: 'Split the night shift please', date: localDate(3) });
  await buildDay(emp, { projectId, state: 'submitted', date: localDate(4) });
  const start = await (await emp.client.call('GET', '/?lang=en')).text();
  t.regex(start, /id="today-total">\d+:\d\d</);
  t.regex(start, /id="week-total">\d+:\d\d</);
  t.regex(start, new RegExp(`<a href="/timesheets/day/${returned.date}">${returned.date}</a> — Comment: <q>Split the night shift please</q>`));
  const week = await (await emp.client.call('GET', `/timesheets?week=${returned.date}&lang=en`)).text();
  t.regex(week, /id="returned-days"[\s\S]*Split the night shift please/);
  t.false(start.includes('inbox-count'), 'employees have no inbox');

  const before = Number((await a.db.knex('audit.events').max({ m: 'seq' }).first())!.m);
  const adminStart = await (await admin.client.call('GET', '/?lang=nl')).text();
  t.regex(adminStart, /id="inbox-count">1</);
  t.regex(adminStart, /Dagen die in uw inbox wachten/);
  const reads = await a.db.knex('audit.events').where('seq', '>', before).where('action', 'like', '%read%').count({ n: '*' }).first();
  t.is(Number(reads!.n), 0, 'counting the inbox reads no one’s day');
});
