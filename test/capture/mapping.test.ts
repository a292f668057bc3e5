import test from 'ava';
import { buildEmployee, buildEntry, buildProject, buildTeamAdmin } from '../helpers/factories.js';
import type { ApiClient } from '../helpers/client.js';
import { CAPTURE_STRINGS } from '../../src/capture/strings.js';
import { captureApp, capturingEmployee } from './helpers.js';

/** A page as a browser gets it, and a form post as a browser sends it (CSRF field included). */
async function getPage(c: ApiClient, path: string): Promise<{ status: number; text: string }> {
  const res = await c.call('GET', path, undefined, { accept: 'text/html' });
  return { status: res.status, text: await res.text() };
}
async function form(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const body = new URLSearchParams({ _csrf: c.csrf!, ...fields }).toString();
  const res = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }, body });
  return { status: res.status, text: await res.text() };
}

const DAY = 86_400_000;

type Suggestion = { key: string; label: string; app: string | null; rule: number | null; project_id: string | null; task_id: string | null; seconds: number };

test('mapping rules group activity per rule and bring its project; accepting one makes its entries on that project', async (t) => {
  const a = await captureApp(t);
  const { who, aw } = await capturingEmployee(a);
  const jira = await buildProject(a, { name: 'Jira work' });
  const writing = await buildProject(a, { name: 'Writing' });
  await aw.ensureBucket('aw-watcher-window_h', 'currentwindow', 'h');
  const date = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
  const base = Date.parse(`${date}T08:00:00Z`);
  const at = (min: number) => new Date(base + min * 60_000);
  await aw.insertEvents('aw-watcher-window_h', [
    { timestamp: at(0), duration: 600, data: { app: 'firefox', title: 'PROJ-1', url: 'https://jira.corp/browse/PROJ-1' } },
    { timestamp: at(10), duration: 900, data: { app: 'Editor', title: 'report.md' } },
    { timestamp: at(25), duration: 300, data: { app: 'firefox', title: 'news', url: 'https://news.example/' } },
  ]);

  const bad = await who.client.json<{ error: { details: Array<{ field: string }> } }>('PUT', '/api/v1/me/capture/mapping', { rules: [{ field: 'url', pattern: '*jira*', project_id: '00000000-0000-4000-8000-000000000000' }] });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details.map((d) => d.field), ['rules.0.project_id']);
  const put = await who.client.json<{ rules: unknown[] }>('PUT', '/api/v1/me/capture/mapping', { rules: [
    { field: 'url', pattern: '*jira*', project_id: jira.projectId, task_id: jira.taskId },
    { field: 'app', pattern: 'editor', project_id: writing.projectId },
  ] });
  t.is(put.status, 200, JSON.stringify(put.body));
  // The patterns are sealed: nothing of them stands in clear in the database.
  t.false(JSON.stringify(await a.db.knex('capture_settings').select('*')).includes('jira'));

  const day = await who.client.json<{ suggestions: Suggestion[]; timeline: Array<{ rule: number | null }> }>('GET', `/api/v1/me/capture/days/${date}`);
  t.is(day.status, 200);
  t.deepEqual(day.body.timeline.map((e) => e.rule), [0, 1, null]);
  t.deepEqual(day.body.suggestions.map((s) => [s.key, s.project_id, s.seconds]), [['rule:1', writing.projectId, 900], ['rule:0', jira.projectId, 600], ['app:firefox', null, 300]]);
  t.is(Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n), 0, 'suggestions are not time');

  const accepted = await who.client.json<{ entries: number }>('POST', `/api/v1/me/capture/days/${date}/accept`, { key: 'rule:0' });
  t.is(accepted.status, 201, JSON.stringify(accepted.body));
  const entries = await who.client.json<{ entries: Array<{ project_id: string; task_id: string | null }> }>('GET', `/api/v1/me/days/${date}`);
  t.deepEqual(entries.body.entries.map((e) => [e.project_id, e.task_id]), [[jira.projectId, jira.taskId]]);
  t.is((await who.client.call('POST', `/api/v1/me/capture/days/${date}/accept`, { key: 'rule:7' })).status, 404);
  const unmapped = await who.client.json<{ error: { details: Array<{ field: string }> } }>('POST', `/api/v1/me/capture/days/${date}/accept`, { key: 'app:firefox' });
  t.deepEqual(unmapped.body.error.details.map((d) => d.field), ['project_id'], 'an app suggestion needs a project');
});

test('a day of activity is the day in the person’s own time zone, not a UTC day', async (t) => {
  const a = await captureApp(t);
  const { who, aw } = await capturingEmployee(a);
  t.is((await who.client.call('PUT', '/api/v1/me/timesheet-settings', { time_zone: 'Pacific/Auckland' })).status, 200);
  await aw.ensureBucket('aw-watcher-window_h', 'currentwindow', 'h');
  const utcDate = new Date(Date.now() - 3 * DAY).toISOString().slice(0, 10);
  // 20:00 UTC is the next morning in Auckland (UTC+12 or +13).
  await aw.insertEvents('aw-watcher-window_h', [{ timestamp: new Date(`${utcDate}T20:00:00Z`), duration: 600, data: { app: 'editor', title: 'x' } }]);
  const next = new Date(Date.parse(`${utcDate}T12:00:00Z`) + DAY).toISOString().slice(0, 10);
  const local = await who.client.json<{ time_zone: string; timeline: unknown[] }>('GET', `/api/v1/me/capture/days/${next}`);
  t.is(local.body.time_zone, 'Pacific/Auckland');
  t.is(local.body.timeline.length, 1, 'on the local date');
  t.is((await who.client.json<{ timeline: unknown[] }>('GET', `/api/v1/me/capture/days/${utcDate}`)).body.timeline.length, 0, 'not on the UTC date');
});

test('team templates share rules, never activity: teammates copy them, other teams see nothing, only the author withdraws', async (t) => {
  const a = await captureApp(t);
  const author = await capturingEmployee(a, { team: 'ward-3' });
  const mate = await capturingEmployee(a, { team: 'ward-3' });
  const stranger = await capturingEmployee(a, { team: 'ward-9' });
  const p = await buildProject(a, { name: 'Rounds' });
  await author.who.client.call('PUT', '/api/v1/me/capture/mapping', { rules: [{ field: 'title', pattern: 'rounds*', project_id: p.projectId }] });

  const elsewhere = await author.who.client.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/me/capture/templates', { team: 'ward-9', name: 'Rounds' });
  t.is(elsewhere.status, 422);
  t.deepEqual(elsewhere.body.error.details.map((d) => d.field), ['team']);
  const shared = await author.who.client.json<{ id: string; rules: unknown[] }>('POST', '/api/v1/me/capture/templates', { team: 'ward-3', name: 'Rounds' });
  t.is(shared.status, 201, JSON.stringify(shared.body));
  const row = await a.db.knex('capture_rule_templates').where({ id: shared.body.id }).first();
  t.deepEqual(Object.keys((row.rules as object[])[0]!).sort(), ['field', 'pattern', 'project_id', 'task_id'], 'patterns and projects only');

  const listed = await mate.who.client.json<{ templates: Array<{ id: string; mine: boolean }> }>('GET', '/api/v1/me/capture/templates');
  t.deepEqual(listed.body.templates.map((x) => [x.id, x.mine]), [[shared.body.id, false]]);
  const applied = await mate.who.client.json<{ rules: Array<{ pattern: string }> }>('POST', `/api/v1/me/capture/templates/${shared.body.id}/apply`);
  t.deepEqual(applied.body.rules.map((r) => r.pattern), ['rounds*']);
  t.deepEqual((await mate.who.client.json<{ rules: unknown[] }>('POST', `/api/v1/me/capture/templates/${shared.body.id}/apply`)).body.rules.length, 1, 'applied twice: no duplicate rules');

  t.deepEqual((await stranger.who.client.json<{ templates: unknown[] }>('GET', '/api/v1/me/capture/templates')).body.templates, []);
  t.is((await stranger.who.client.call('POST', `/api/v1/me/capture/templates/${shared.body.id}/apply`)).status, 404);
  t.is((await mate.who.client.call('DELETE', `/api/v1/me/capture/templates/${shared.body.id}`)).status, 403);
  t.is((await author.who.client.call('DELETE', `/api/v1/me/capture/templates/${shared.body.id}`)).status, 204);
  t.is(await a.db.knex('audit.events').whereIn('action', ['capture.template.published', 'capture.template.withdrawn']).count({ n: '*' }).first().then((r) => Number(r!.n)), 2);
});

test('the activity page: timeline beside the entries, a rule added by form, a suggestion made into entries', async (t) => {
  const a = await captureApp(t);
  const { who, aw } = await capturingEmployee(a);
  const p = await buildProject(a, { name: 'Planning work' });
  await aw.ensureBucket('aw-watcher-window_h', 'currentwindow', 'h');
  const date = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
  await aw.insertEvents('aw-watcher-window_h', [{ timestamp: new Date(`${date}T09:00:00Z`), duration: 1800, data: { app: 'planner', title: 'week plan' } }]);

  const page = await getPage(who.client, `/capture/day/${date}`);
  t.is(page.status, 200);
  t.true(page.text.includes('id="timeline"') && page.text.includes('week plan'));
  const bad = await form(who.client, `/capture/rules`, { date, field: 'app', pattern: '', project: p.projectId });
  t.is(bad.status, 422);
  t.true(bad.text.includes('pattern'), 'the problem names the field');
  const added = await form(who.client, `/capture/rules`, { date, field: 'app', pattern: 'planner', project: p.projectId });
  t.is(added.status, 302);
  const after = await getPage(who.client, `/capture/day/${date}`);
  t.true(after.text.includes('id="rules"'));
  t.true(after.text.includes('value="rule:0"'));
  const made = await form(who.client, `/capture/day/${date}/accept`, { key: 'rule:0', project: p.projectId });
  t.is(made.status, 302);
  t.is(Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n), 1);
});

test('the own day page shows the day\'s activity beside the entries and leads to the activity page; no one else\'s page shows it', async (t) => {
  const a = await captureApp(t);
  const { who, aw } = await capturingEmployee(a, { team: 'ward-5' });
  const admin = await buildTeamAdmin(a, { team: 'ward-5' });
  const other = await buildEmployee(a, { team: 'ward-5' });
  const p = await buildProject(a, { name: 'Planning work' });
  const date = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
  await aw.ensureBucket('aw-watcher-window_h', 'currentwindow', 'h');
  await aw.ensureBucket('aw-watcher-afk_h', 'afkstatus', 'h');
  await aw.insertEvents('aw-watcher-window_h', [
    { timestamp: new Date(`${date}T09:00:00Z`), duration: 1800, data: { app: 'planner', title: 'week plan' } },
    { timestamp: new Date(`${date}T09:32:00Z`), duration: 600, data: { app: 'planner', title: 'rota' } },
    { timestamp: new Date(`${date}T10:00:00Z`), duration: 300, data: { app: 'mailer', title: 'inbox' } },
    { timestamp: new Date(`${date}T10:30:00Z`), duration: 120, data: { app: '<b>x&y</b>', title: 'odd' } },
  ]);
  await aw.insertEvents('aw-watcher-afk_h', [{ timestamp: new Date(`${date}T11:00:00Z`), duration: 900, data: { status: 'afk' } }]);
  await buildEntry(who, { projectId: p.projectId, date, minutes: 60 });
  t.is((await who.client.call('PUT', '/api/v1/me/capture/mapping', { rules: [{ field: 'app', pattern: 'mail*', project_id: p.projectId }] })).status, 200);
  const tz = (await who.client.json<{ time_zone: string }>('GET', `/api/v1/me/capture/days/${date}`)).body.time_zone;
  const local = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

  const mine = await getPage(who.client, `/timesheets/day/${date}`);
  t.is(mine.status, 200);
  const section = /<section id="my-activity"[\s\S]*?<\/section>/.exec(mine.text)?.[0] ?? '';
  t.true(mine.text.indexOf('id="my-activity"') > mine.text.indexOf('Planning work'), 'after the entries');
  // The two planner stretches (two minutes apart) are one block; the mailer's is its own; the break is listed.
  const lang = /<html lang="nl"/.test(mine.text) ? 'nl' : 'en';
  const rows = [...section.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => m.slice(1));
  t.deepEqual(rows, [[local(`${date}T09:00:00Z`), local(`${date}T09:42:00Z`), 'planner', '0:42'], [local(`${date}T10:00:00Z`), local(`${date}T10:05:00Z`), `${CAPTURE_STRINGS[lang]['field.app']}: mail*`, '0:05'],
    [local(`${date}T10:30:00Z`), local(`${date}T10:32:00Z`), '&lt;b&gt;x&amp;y&lt;/b&gt;', '0:02']], 'a rule\'s block under its rule, in the page\'s language; names escaped');
  t.regex(section, new RegExp(`id="activity-breaks">[^<]*${local(`${date}T11:00:00Z`)}–${local(`${date}T11:15:00Z`)}`));
  t.true(section.includes(`href="/capture/day/${date}"`));
  t.false(section.includes('week plan'), 'window titles stay on the activity page');
  t.is(Number((await a.db.knex('time_entries').count({ n: '*' }).first())!.n), 1, 'shown, not booked');

  // Another person's own day page shows only that nothing of theirs was captured.
  const theirs = await getPage(other.client, `/timesheets/day/${date}`);
  t.is(theirs.status, 200);
  const theirSection = /<section id="my-activity"[\s\S]*?<\/section>/.exec(theirs.text)?.[0] ?? '';
  t.true(Object.values(CAPTURE_STRINGS).some((strings) => theirSection.includes(strings.no_activity)), theirSection);
  t.false(theirSection.includes('activity-blocks'));
  t.false(theirs.text.includes('planner'));

  // The admin reviewing the submitted day sees the entries, never the activity.
  t.is((await who.client.call('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  const dayId = (await a.db.knex('timesheet_days').where({ owner_id: who.id, date }).first('id')).id as string;
  const review = await getPage(admin.client, `/timesheets/days/${dayId}`);
  t.is(review.status, 200);
  t.true(review.text.includes('Planning work'));
  t.false(review.text.includes('planner'));
  t.false(review.text.includes('id="my-activity"'));

  // Activity that cannot be opened (a row that fails to decrypt) leaves the day page and its entries working.
  await a.db.knex('capture_events').update({ data: 'not an envelope' });
  const broken = await getPage(who.client, `/timesheets/day/${date}`);
  t.is(broken.status, 200);
  t.true(broken.text.includes('Planning work'));
  t.true(broken.text.includes('id="activity-unavailable"'));
});
