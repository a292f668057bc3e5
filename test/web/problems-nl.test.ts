import test from 'ava';
import type { ApiClient } from '../helpers/client.js';
import { PLATFORM_PROBLEMS } from '../../src/web/problems.js';
import { TIMESHEET_PROBLEMS } from '../../src/timesheets/problems.js';
import { OPERATOR_PROBLEMS } from '../../src/operator/people-pages.js';
import { COMPLIANCE_PROBLEMS } from '../../src/compliance/pages.js';
import { IDENTITY_PROBLEMS } from '../../src/identity/problems.js';
import { CAPTURE_PROBLEMS } from '../../src/capture/problems.js';
import { PRIVACY_PROBLEMS } from '../../src/privacy/problems.js';
import { REPORTS_PROBLEMS } from '../../src/reports/problems.js';
import { RETENTION_PROBLEMS } from '../../src/retention/problems.js';
import { mondayOf } from '../../src/timesheets/page-kit.js';
import { addDays } from '../../src/timesheets/tz.js';
import { startTestApp } from '../helpers/app.js';
import { daysAgo, person } from '../timesheets/helpers.js';

/**
 * Problems on Dutch pages are Dutch (issue 16): every form of the day page, the week
 * grid, the timer, master data and corrections is posted with bad input in Dutch, and
 * the message the page shows (its alert, or the error page) must hold no English; the
 * JSON API keeps its English messages and the shape of its details.
 */

/** Words of the API's English messages that Dutch does not use. */
const ENGLISH = /\b(the|and|or|must|not|with|required|choose|give|use|hours|characters|entry|entries|days?|more than|at most|invalid|expected|received|unknown|field|confirm|save|request|already|meanwhile|running|too|long|choices|cannot|submitted|approved|locked|type|time|such)\b/i;

type Catalogue = { en: Readonly<Record<string, string>>; nl: Readonly<Record<string, string>> };
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('the problem catalogues have the same keys and placeholders in Dutch and English', (t) => {
  for (const c of [PLATFORM_PROBLEMS, TIMESHEET_PROBLEMS, OPERATOR_PROBLEMS, COMPLIANCE_PROBLEMS, IDENTITY_PROBLEMS, CAPTURE_PROBLEMS, PRIVACY_PROBLEMS, REPORTS_PROBLEMS, RETENTION_PROBLEMS] as Catalogue[]) {
    t.deepEqual(Object.keys(c.nl).sort(), Object.keys(c.en).sort());
    for (const k of Object.keys(c.en)) t.deepEqual(placeholders(c.nl[k]!), placeholders(c.en[k]!), k);
  }
});

/** A form post as a browser sends it (urlencoded, with the page's CSRF token). */
async function post(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, text: await r.text() };
}

/** The problem a page shows: its alert line, or the error page's message. */
function shown(text: string): string {
  const alert = /<p class="error" role="alert">([\s\S]*?)<\/p>/.exec(text)?.[1];
  const error = /<h1>[^<]*\(\d{3}\)<\/h1>\s*<p>([\s\S]*?)<\/p>/.exec(text)?.[1];
  return (alert ?? error ?? '').replace(/<[^>]+>/g, '').replace(/&[a-z]+;|&#\d+;/g, ' ');
}

test('every page form with bad input in Dutch shows its problem in Dutch (fields by their labels), English pages keep the API text', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 30 }, timesheets: { max_days_back: 20 } });
  const [p] = (await a.db.knex('projects').insert({ name: 'Roosterplanning', billable: true }).returning('id')) as Array<{ id: string }>;
  const projectId = p!.id;
  const emp = await person(a);
  const admin = await person(a, { roles: ['operator'] });
  const date = daysAgo(2);
  const locked = daysAgo(3);
  const monday = mondayOf(addDays(mondayOf(daysAgo(0)), -7));
  // A submitted day (locked) and a timed entry in the grid's week (its cell cannot be set by hours).
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: locked, duration_minutes: 60, project_id: projectId })).status, 201);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${locked}/submit`, {})).status, 200);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { start: `${monday}T08:00:00Z`, end: `${monday}T09:00:00Z`, project_id: projectId })).status, 201);
  const cell = (d: string) => `c:${projectId}/@${d}`;

  const cases: Array<{ as: ApiClient; path: string; fields: Record<string, string>; status: number; dutch: RegExp }> = [
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, start: '25:00', end: '9:00' }, status: 422, dutch: /Begin: is geen tijd van de dag/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, start: 'negen', end: '' }, status: 422, dutch: /Begin: is geen tijd;.*Einde: is verplicht/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, start: '17:00', end: '09:00' }, status: 422, dutch: /Einde: het einde ligt op of vóór het begin/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, start: '17:00', end: '09:00', overnight: 'yes' }, status: 422, dutch: /Bevestiging: de regel duurt 16:00 uur, meer dan 12 uur/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, start: '9:00', duration: '2' }, status: 422, dutch: /Duur: geef begin en einde, of een duur/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, duration: '1:75' }, status: 422, dutch: /Duur: heeft meer dan 59 minuten/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, duration: '30' }, status: 422, dutch: /Duur: mag hoogstens 24 uur zijn/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: '', start: '9:00', end: '10:00' }, status: 422, dutch: /Project: is geen van de keuzes/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, start: '9:00', end: '10:00', note: 'x'.repeat(2001) }, status: 422, dutch: /Notitie: mag hoogstens 2000 tekens lang zijn/ },
    { as: emp.c, path: `/timesheets/day/${daysAgo(60)}/entries`, fields: { project: projectId, start: '9:00', end: '10:00' }, status: 422, dutch: /Begin: mag niet meer dan \d+ dagen in het verleden liggen/ },
    { as: emp.c, path: `/timesheets/day/${locked}/entries`, fields: { project: projectId, start: '9:00', end: '10:00' }, status: 409, dutch: /De dag \S+ is ingediend; de regels kunnen niet meer veranderen/ },
    { as: emp.c, path: `/timesheets/day/${date}/take-back`, fields: {}, status: 409, dutch: /is een concept, niet ingediend/ },
    { as: emp.c, path: `/timesheets/day/${locked}/submit`, fields: { confirm: 'yes' }, status: 409, dutch: /hij kan niet worden ingediend/ },
    { as: emp.c, path: `/timesheets/day/${date}/entries`, fields: { project: projectId, start: '9:00', end: '10:00', note: 'x'.repeat(10_000) }, status: 422, dutch: /note: is te lang \(hoogstens 9999 tekens\)|Notitie: is te lang/ },
    { as: emp.c, path: '/timesheets/week', fields: { week: monday, [cell(addDays(monday, 1))]: '9x' }, status: 422, dutch: /gebruik uren zoals 1:30 of 1,5/ },
    { as: emp.c, path: '/timesheets/week', fields: { week: monday, [`h_${addDays(monday, 2)}`]: '2' }, status: 422, dutch: /kies een project voor de nieuwe regel/ },
    { as: emp.c, path: '/timesheets/week', fields: { week: monday, [cell(addDays(monday, 3))]: '20' }, status: 422, dutch: /de regel duurt 20:00 uur/ },
    { as: emp.c, path: '/timesheets/week', fields: { week: monday, [cell(monday)]: '3' }, status: 422, dutch: /bevat regels met begin en einde/ },
    { as: emp.c, path: '/timesheets/timer/start', fields: { project: 'geen', note: '' }, status: 422, dutch: /Project: is geen van de keuzes/ },
    { as: emp.c, path: '/timesheets/timer/stop', fields: {}, status: 409, dutch: /Er loopt geen timer/ },
    { as: emp.c, path: `/timesheets/day/${locked}/correction`, fields: { text: '   ', entry_id: '' }, status: 422, dutch: /Toelichting: / },
    { as: admin.c, path: '/timesheets/projects', fields: { name: 'x'.repeat(201), budget_hours: 'veel' }, status: 422, dutch: /Naam: mag hoogstens 200 tekens lang zijn; Budget \(uren\): moet een getal zijn/ },
    { as: admin.c, path: '/timesheets/customers', fields: { name: '' }, status: 422, dutch: /Naam: is verplicht/ },
    { as: admin.c, path: '/operator/people', fields: { username: 'piet', display_name: 'Piet Paulusma', email: 'geen-adres', roles: 'employee' }, status: 422, dutch: /: is geen e-mailadres/ },
    { as: emp.c, path: '/timesheets/entries/geen-id/edit', fields: { date, base: date, project: projectId, start: '9:00', end: '10:00' }, status: 422, dutch: /is geen van de keuzes/ },
  ];
  const problems: string[] = [];
  for (const k of cases) {
    const r = await post(k.as, `${k.path}?lang=nl`, k.fields);
    const text = shown(r.text);
    if (r.status !== k.status) problems.push(`${k.path}: status ${r.status}, not ${k.status} (${text})`);
    if (!k.dutch.test(text)) problems.push(`${k.path}: "${text}" does not match ${k.dutch}`);
    const english = ENGLISH.exec(text);
    if (english) problems.push(`${k.path}: English "${english[0]}" in "${text}"`);
  }
  t.deepEqual(problems, []);

  // The walk can fail: the same posts in English show the API's English text.
  const en = await post(emp.c, `/timesheets/day/${date}/entries?lang=en`, cases[0]!.fields);
  t.regex(shown(en.text), /start: is not a time of day/);
  t.regex(shown((await post(emp.c, `/timesheets/day/${locked}/entries?lang=en`, cases[10]!.fields)).text), /is submitted; its entries cannot change/);
  // An error page (a date that does not exist in the URL) is Dutch too.
  const page = await fetch(`${a.url}/timesheets/day/2026-02-30?lang=nl`, { headers: { accept: 'text/html', cookie: [...emp.c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  t.is(page.status, 422);
  t.regex(shown(await page.text()), /is geen datum \(jjjj-mm-dd\)/);
});

test('the JSON API keeps its English messages and details of field and message only', async (t) => {
  const a = await startTestApp(t);
  const [p] = (await a.db.knex('projects').insert({ name: 'Roosterplanning' }).returning('id')) as Array<{ id: string }>;
  const emp = await person(a);
  const date = daysAgo(1);
  const r = await emp.c.json<{ error: { code: string; message: string; details: Array<Record<string, unknown>> } }>('POST', '/api/v1/me/entries?lang=nl', { start: `${date}T10:00:00Z`, end: `${date}T09:00:00Z`, project_id: p!.id, note: 'x'.repeat(2001) });
  t.is(r.status, 422);
  t.deepEqual(r.body.error.details, [{ field: 'end', message: 'must be after start' }, { field: 'note', message: 'must be at most 2000 characters' }]);
  const z = await emp.c.json<{ error: { details: Array<Record<string, unknown>> } }>('POST', '/api/v1/me/entries', { date, duration_minutes: 0, project_id: 'nope' });
  t.true(z.body.error.details.every((d) => Object.keys(d).sort().join() === 'field,message'));
  t.true(z.body.error.details.some((d) => d.field === 'project_id' && d.message === 'Invalid UUID'));
  const stop = await emp.c.json<{ error: { code: string; message: string } }>('POST', '/api/v1/me/timer/stop', {});
  t.deepEqual([stop.status, stop.body.error.code, stop.body.error.message], [409, 'timer_not_running', 'No timer is running']);
});
