import test from 'ava';
import { accessReview, defaultReviewPeriod } from '../../src/compliance/access-review.js';
import { startTestApp } from '../helpers/app.js';
import { buildAuditor, buildDay, buildDirectoryAccount, buildEmployee, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';

test('the access review lists every account with roles, granting group, last sign-in and counts of days of others read', async (t) => {
  const a = await startTestApp(t);
  const db = a.db.knex;
  const admin = await buildTeamAdmin(a, { team: 'ward-3' });
  const nurse = await buildEmployee(a, { team: 'ward-3' });
  const porter = await buildEmployee(a, { team: 'ward-3' });
  const auditor = await buildAuditor(a);
  const dirId = await buildDirectoryAccount(db, { username: 'dir-admin', roles: ['employee', 'team_admin'], team: 'ward-9' });
  await db('accounts').where({ id: dirId }).update({ status: 'deactivated' });
  const { projectId } = await buildProject(a);

  // The admin opens three days of the nurse (one twice) and one of the porter, and their own.
  const days = [];
  for (const back of [1, 2, 3]) days.push(await buildDay(nurse, { projectId, state: 'submitted', date: localDate(back) }));
  const porterDay = await buildDay(porter, { projectId, state: 'submitted', date: localDate(1) });
  for (const d of [...days, days[0]!, porterDay]) t.is((await admin.client.json('GET', `/api/v1/days/${d.id}`)).status, 200);
  const reads = await db('audit.events').where({ action: 'privacy.personal_data.read', actor_id: admin.id }).count<{ count: string }[]>({ count: '*' });
  t.is(Number(reads[0]!.count), 5, 'five audited reads, four distinct days');

  const rows = await accessReview(db, defaultReviewPeriod());
  const ids = (await db('accounts').pluck('id')) as string[];
  t.deepEqual(rows.map((r) => r.account_id).sort(), [...ids].sort(), 'every account, including the deactivated one');

  const adminRow = rows.find((r) => r.account_id === admin.id)!;
  t.deepEqual(adminRow.roles.map((r) => [r.role, r.team, r.source]), [['employee', null, 'local'], ['team_admin', 'ward-3', 'local']]);
  t.is(adminRow.days_of_others_read, 4, 'distinct person × date: the second read of the same day does not count again');
  t.is(adminRow.people_read, 2);
  t.truthy(adminRow.last_sign_in_at, 'the factory signed in through the API');
  const signIn = await db('audit.events').where({ action: 'auth.login.succeeded', subject_id: admin.id }).max<{ at: Date }[]>({ at: 'at' });
  t.is(adminRow.last_sign_in_at, new Date(signIn[0]!.at).toISOString());

  const dirRow = rows.find((r) => r.account_id === dirId)!;
  t.is(dirRow.status, 'deactivated');
  t.is(dirRow.source, 'directory');
  const dirAdmin = dirRow.roles.find((r) => r.role === 'team_admin')!;
  t.is(dirAdmin.group, 'CN=team_admin,OU=Groups,DC=corp,DC=example,DC=test', 'the directory group that grants the role');
  t.is(dirAdmin.team, 'ward-9');
  t.is(dirRow.last_sign_in_at, null, 'never signed in');

  for (const p of [nurse, porter, auditor]) t.is(rows.find((r) => r.account_id === p.id)!.days_of_others_read, 0, 'reading one’s own days does not count');
  t.true(rows.find((r) => r.account_id === auditor.id)!.roles.every((r) => r.group === null), 'local roles name no group');
  t.false(JSON.stringify(rows).includes(days[0]!.date), 'counts only: no dates of what was read');

  // A period that ends before the reads counts none of them.
  const before = await accessReview(db, { from: new Date(Date.now() - 86_400_000 * 10), to: new Date(Date.now() - 86_400_000 * 5) });
  t.is(before.find((r) => r.account_id === admin.id)!.days_of_others_read, 0);
  await t.throwsAsync(accessReview(db, { from: new Date(), to: new Date(Date.now() - 1) }), { instanceOf: RangeError });
});

test('the access review through the API and the page: default the last 90 days, or the period asked for', async (t) => {
  const a = await startTestApp(t);
  const auditor = await buildAuditor(a);
  const dirId = await buildDirectoryAccount(a.db.knex, { username: 'dir-nurse', roles: ['employee'] });
  type Review = { from: string; to: string; accounts: Array<{ account_id: string; roles: Array<{ group: string | null }>; last_sign_in_at: string | null }> };

  const r = await auditor.client.json<Review>('GET', '/api/v1/audit/access-review');
  t.is(r.status, 200);
  const days = (Date.parse(r.body.to) - Date.parse(r.body.from)) / 86_400_000;
  t.is(Math.round(days), 90);
  t.true(Math.abs(Date.parse(r.body.to) - Date.now()) < 60_000, 'up to now');
  t.is(r.body.accounts.find((x) => x.account_id === dirId)!.roles[0]!.group, 'CN=employee,OU=Groups,DC=corp,DC=example,DC=test');
  t.truthy(r.body.accounts.find((x) => x.account_id === auditor.id)!.last_sign_in_at);

  const chosen = await auditor.client.json<Review>('GET', '/api/v1/audit/access-review?from=2026-01-01&to=2026-03-31');
  t.is(chosen.status, 200);
  t.is(chosen.body.from, '2025-12-31T23:00:00.000Z', 'a date is the organisation’s day (Europe/Amsterdam)');
  t.is(chosen.body.to, '2026-03-31T22:00:00.000Z', '`to` is inclusive: up to the start of the next day');
  const backwards = await auditor.client.json<{ error: { details: Array<{ field: string }> } }>('GET', '/api/v1/audit/access-review?from=2026-03-01&to=2026-01-01');
  t.is(backwards.status, 422);
  t.deepEqual(backwards.body.error.details.map((d) => d.field), ['query.to']);
  const future = await auditor.client.json<{ error: { details: Array<{ field: string }> } }>('GET', '/api/v1/audit/access-review?from=2999-01-01');
  t.is(future.status, 422);
  t.deepEqual(future.body.error.details.map((d) => d.field), ['query.from']);

  const page = await (await auditor.client.call('GET', '/audit/access-review?from=2026-01-01&to=2026-03-31', undefined, { accept: 'text/html' })).text();
  t.true(page.includes(`data-account="${dirId}"`));
  t.true(page.includes('CN=employee,OU=Groups,DC=corp,DC=example,DC=test'));
  t.true(page.includes('value="2026-01-01"'), 'the form keeps the period');
});
