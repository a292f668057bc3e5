import test from 'ava';
import { catalogue } from '../../src/web/i18n.js';
import { UI_CATALOGUES } from '../../src/web/ui-strings.js';
import { startTestApp } from '../helpers/app.js';
import { buildDay, buildEmployee, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';

const INFORMAL = /\b(je|jij|jou|jouw|jezelf)\b/i;

test('Dutch addresses the reader one way ("u") in the shared and the layout catalogues, and both languages have the same keys', (t) => {
  for (const [key, text] of [...Object.entries(catalogue('nl')), ...Object.entries(UI_CATALOGUES.nl)]) t.notRegex(text, INFORMAL, key);
  t.deepEqual(Object.keys(UI_CATALOGUES.nl).sort(), Object.keys(UI_CATALOGUES.en).sort());
});

test('a page reached by a form post links its language switch to a GET page (the form’s page), never back to the POST-only path', async (t) => {
  const a = await startTestApp(t);
  await buildProject(a);
  const emp = await buildEmployee(a);
  const week = localDate(2);
  const withRef = await fetchForm(a.url, emp, `/timesheets?week=${week}&lang=en`, week);
  t.is(withRef.status, 422);
  const link = /<a href="([^"]+)" lang="nl" hreflang="nl">/.exec(withRef.body)?.[1]?.replace(/&amp;/g, '&');
  t.is(link, `/timesheets?week=${week}&lang=nl`);
  t.is((await emp.client.call('GET', link!)).status, 200, 'the language link opens');
  const noRef = await fetchForm(a.url, emp, undefined, week);
  t.is(/<a href="([^"]+)" lang="nl" hreflang="nl">/.exec(noRef.body)?.[1], '/?lang=nl');
});

async function fetchForm(url: string, emp: Awaited<ReturnType<typeof buildEmployee>>, referer: string | undefined, week: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/timesheets/week?lang=en`, {
    method: 'POST', redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded', cookie: [...emp.client.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      ...(referer ? { referer: url + referer } : {}),
    },
    body: new URLSearchParams({ _csrf: emp.client.csrf ?? '', week, project: '', [`h_${week}`]: 'lots' }).toString(),
  });
  return { status: res.status, body: await res.text() };
}

test('switching language on the recovery-codes page keeps the codes: its switch is a form posting them back, which shows the same codes in the other language', async (t) => {
  const a = await startTestApp(t);
  const emp = await buildEmployee(a);
  const codes = ['abcd-efgh-1234', 'ijkl-mnop-5678'];
  const body = new URLSearchParams([['_csrf', emp.client.csrf ?? ''], ...codes.map((c) => ['code', c])]).toString();
  const send = (lang: string, b = body, cookie = true) =>
    fetch(`${a.url}/account/totp/codes?lang=${lang}`, {
      method: 'POST', redirect: 'manual', body: b,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie: [...emp.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}) },
    });
  const nl = await send('nl');
  t.is(nl.status, 200);
  const page = await nl.text();
  t.is((page.match(/<li><code>[^<]+<\/code><\/li>/g) ?? []).length, 2);
  for (const c of codes) t.true(page.includes(`<li><code>${c}</code></li>`) && page.includes(`name="code" value="${c}"`), c);
  t.regex(page, /<button type="submit" class="link" formaction="\/account\/totp\/codes\?lang=en" lang="en">EN<\/button>/);
  t.regex(page, /<html lang="nl">/);
  t.regex(await (await send('en')).text(), /<html lang="en">[\s\S]*abcd-efgh-1234/);
  t.is((await send('en', new URLSearchParams([['_csrf', emp.client.csrf ?? ''], ['code', '<script>']]).toString())).status, 422, 'only code-shaped values');
  t.not((await send('en', body, false)).status, 200, 'no session, no page');
});

test('"who saw my data" names what was read in words, in the person’s local time, and groups repeated reads of one day', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'ward-3' });
  const emp = await buildEmployee(a, { team: 'ward-3' });
  const { projectId } = await buildProject(a, { by: admin, team: 'ward-3' });
  const day = await buildDay(emp, { projectId, state: 'submitted' });
  const id = (await a.db.knex('timesheet_days').where({ owner_id: emp.id, date: day.date }).first('id')).id as string;
  for (let i = 0; i < 3; i++) t.is((await admin.client.call('GET', `/timesheets/days/${id}`)).status, 200);
  const page = await (await emp.client.call('GET', '/timesheets/data-reads?lang=nl')).text();
  const rows = /<table class="list" id="reads">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? '';
  const dayRows = rows.split('<tr>').filter((r) => r.includes(`<td>Dag</td><td>${day.date}</td>`));
  t.is(dayRows.length, 1, 'three reads of one day by one person on one day: one row');
  t.regex(dayRows[0]!, /\(3×\)/);
  t.notRegex(rows, /UTC|personal_data|day_summary/);
  const now = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  t.regex(dayRows[0]!, new RegExp(`<td>${now} \\d\\d:\\d\\d`), 'the local date and time of the read');
  t.regex(page, /<td>Dag ingediend<\/td>/, 'changes in words too');
});
