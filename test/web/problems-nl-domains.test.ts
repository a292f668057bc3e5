import test from 'ava';
import { resetTokenHash } from '../../src/identity/password-reset.js';
import { AppError, ConflictError, ForbiddenError } from '../../src/platform/errors.js';
import { errorPageText, problemText } from '../../src/web/problems.js';
import { startTestApp } from '../helpers/app.js';
import type { ApiClient } from '../helpers/client.js';
import { buildAuditor, buildDpo, buildEmployee, buildOperator, buildPerson, buildProject } from '../helpers/factories.js';

/**
 * Issue 16's leftovers: the operator's people pages, the password-reset page, "My
 * activity" (capture), the privacy registers and the auditor's pages word their
 * problems in the page's language, each field by its form label; English pages keep
 * the API's text, and the JSON API's messages stay byte-for-byte English.
 */

/** Words of the API's English messages that Dutch does not use. */
const ENGLISH = /\b(the|and|or|must|not|with|required|choose|give|use|hours|characters|entry|entries|days?|more than|at most|invalid|expected|received|unknown|field|confirm|save|request|already|meanwhile|running|too|long|choices|cannot|submitted|approved|locked|type|time|such|only|share|rule|digits|future|exists|named|after|before)\b/i;

const cookieOf = (c: ApiClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/** A form post as a browser sends it (urlencoded, with the page's CSRF token). */
async function post(c: ApiClient | undefined, path: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' };
  if (c) headers.cookie = cookieOf(c);
  const r = await fetch((c?.base ?? '') + path, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ ...fields, ...(c ? { _csrf: c.csrf ?? '' } : {}) }) });
  return { status: r.status, text: await r.text() };
}

async function get(c: ApiClient, path: string): Promise<{ status: number; text: string }> {
  const r = await fetch(c.base + path, { headers: { accept: 'text/html', cookie: cookieOf(c) } });
  return { status: r.status, text: await r.text() };
}

/** The problem a page shows: its alert line, the reset page's error line, or the error page's message. */
function shown(text: string): string {
  const alert = /<p class="(?:notice )?error"(?: role="alert")?>([\s\S]*?)<\/p>/.exec(text)?.[1];
  const error = /<h1>[^<]*\(\d{3}\)<\/h1>\s*<p>([\s\S]*?)<\/p>/.exec(text)?.[1];
  return (alert ?? error ?? '').replace(/<[^>]+>/g, '').replace(/&[a-z]+;|&#\d+;/g, ' ');
}

const inFuture = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

test('the operator, password-reset, capture, privacy and audit forms with bad input in Dutch show Dutch, fields by their labels; English keeps the API text', async (t) => {
  const a = await startTestApp(t);
  const op = await buildOperator(a);
  const emp = await buildEmployee(a);
  const dpo = await buildDpo(a);
  const auditor = await buildAuditor(a);
  const { projectId } = await buildProject(a, { name: 'Roosterplanning' });
  t.is((await op.client.json('POST', '/api/v1/people', { username: 'bestaand', email: 'bestaand@example.org' })).status, 201);
  const req = await dpo.client.json<{ id: string }>('POST', '/api/v1/privacy/requests', { subject_reference: 'brief 7', kind: 'access', channel: 'letter', received_at: new Date(Date.now() - 86_400_000).toISOString() });
  t.is(req.status, 201);
  t.is((await dpo.client.json('POST', `/api/v1/privacy/requests/${req.body.id}/extension`, { reason: 'complex' })).status, 200);
  const token = 'een-bekende-hersteltoken';
  await a.db.knex('password_resets').insert({ token_hash: resetTokenHash(token), account_id: emp.id, expires_at: a.db.knex.raw("now() + interval '1 hour'") });
  const date = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const nowhere = '00000000-0000-4000-8000-000000000000';

  const cases: Array<{ as?: ApiClient; path: string; fields?: Record<string, string>; status: number; dutch: RegExp; english?: RegExp }> = [
    { as: op.client, path: '/operator/people', fields: { username: 'p!', email: 'piet@example.org', roles: 'employee' }, status: 422, dutch: /Aanmeldnaam: gebruik 2 tot 64 letters/, english: /: use 2–64 letters, digits/ },
    { as: op.client, path: '/operator/people', fields: { username: 'piet', email: 'piet@example.org', teams: 'Onbekend' }, status: 422, dutch: /: er is geen team .Onbekend./, english: /: no team named .Onbekend./ },
    { as: op.client, path: '/operator/people', fields: { username: 'bestaand', email: 'b2@example.org' }, status: 409, dutch: /Er bestaat al een lokaal account met de naam bestaand/, english: /A local account named bestaand already exists/ },
    { path: `${a.url}/password-reset/complete`, fields: { token, new_password: 'kort' }, status: 422, dutch: /moet minstens 12 tekens lang zijn/, english: /must be at least 12 characters/ },
    { as: emp.client, path: '/capture/rules', fields: { date, field: 'app', pattern: 'planner', project: nowhere }, status: 422, dutch: /Project: dit project bestaat niet \(of is gearchiveerd\)/, english: /rules\.0\.project_id: no such project \(or it is archived\)/ },
    { as: emp.client, path: '/capture/rules', fields: { date, field: 'app', pattern: '', project: projectId }, status: 422, dutch: /Patroon: is verplicht/ },
    { as: emp.client, path: '/capture/rules/7/delete', fields: { date }, status: 422, dutch: /deze regel bestaat niet/, english: /path\.n: no such rule/ },
    { as: emp.client, path: '/capture/templates', fields: { date, team: 'ward-9', name: 'Rondes' }, status: 422, dutch: /Team: u kunt alleen delen met een team waar u bij hoort/, english: /team: you can share only with a team you belong to/ },
    { as: emp.client, path: '/privacy/my-requests', fields: { kind: 'access' }, status: 422, dutch: /Verzoek: is geen van de keuzes/ },
    { as: dpo.client, path: '/privacy/requests', fields: { kind: 'access', channel: 'letter', received_at: new Date().toISOString() }, status: 422, dutch: /Account-id van de persoon: geef een account-id of een dossierkenmerk/, english: /subject_id: give subject_id or subject_reference/ },
    { as: dpo.client, path: '/privacy/requests', fields: { subject_reference: 'brief 8', kind: 'access', channel: 'letter', received_at: inFuture() }, status: 422, dutch: /Ontvangen op: mag niet in de toekomst liggen/, english: /received_at: must not lie in the future/ },
    { as: dpo.client, path: `/privacy/requests/${req.body.id}/extension`, fields: { reason: 'nogmaals' }, status: 409, dutch: /De termijn is al verlengd/, english: /The deadline was already extended/ },
    { as: dpo.client, path: '/privacy/breaches', fields: { detected_at: new Date(Date.now() - 3_600_000).toISOString(), aware_at: new Date(Date.now() - 7_200_000).toISOString(), what_happened: 'mail', data_categories: 'uren' }, status: 422, dutch: /Bekend sinds: mag niet vóór het moment van ontdekken liggen/, english: /aware_at: must not lie before detected_at/ },
    { as: auditor.client, path: '/privacy/requests', fields: { subject_reference: 'brief 9', kind: 'access', channel: 'letter', received_at: new Date().toISOString() }, status: 403, dutch: /Alleen de functionaris gegevensbescherming houdt de registers bij/, english: /Only the privacy officer keeps the registers/ },
    { as: auditor.client, path: '/audit/export', fields: { from: '2026-11-20', to: '2026-11-10' }, status: 422, dutch: /: mag niet vóór de begindatum liggen/, english: /to: must not be before from/ },
  ];
  const problems: string[] = [];
  for (const k of cases) {
    const r = await post(k.as, `${k.path}?lang=nl`, k.fields ?? {});
    const text = shown(r.text);
    if (r.status !== k.status) problems.push(`${k.path}: status ${r.status}, not ${k.status} (${text})`);
    if (!k.dutch.test(text)) problems.push(`${k.path}: "${text}" does not match ${k.dutch}`);
    const english = ENGLISH.exec(text.replace(/"[^"]*"/g, ''));
    if (english) problems.push(`${k.path}: English "${english[0]}" in "${text}"`);
    if (k.english) {
      const en = shown((await post(k.as, `${k.path}?lang=en`, k.fields ?? {})).text);
      if (!k.english.test(en)) problems.push(`${k.path} (en): "${en}" does not match ${k.english}`);
    }
  }
  t.deepEqual(problems, []);

  // The audit log's filter (a GET form): the field by its label in Dutch, the API's name in English.
  const log = await get(auditor.client, '/audit/log?from=2026-11-20&to=2026-11-10&lang=nl');
  t.is(log.status, 422);
  t.regex(shown(log.text), /: moet na de begindatum liggen/);
  t.notRegex(shown(log.text), /query\.to|after/);
  t.regex(shown((await get(auditor.client, '/audit/log?from=2026-11-20&to=2026-11-10&lang=en')).text), /query\.to: must be after from/);
  t.is(await a.db.knex('accounts').where({ username: 'piet' }).first('id'), undefined, 'nothing half-written');
});

test("the JSON API keeps identity's, capture's, privacy's and compliance's English messages byte for byte", async (t) => {
  const a = await startTestApp(t);
  const op = await buildOperator(a);
  const emp = await buildEmployee(a);
  const dpo = await buildDpo(a);
  const auditor = await buildAuditor(a);
  type Err = { error: { code: string; message: string; details?: unknown } };
  const bad = await op.client.json<Err>('POST', '/api/v1/people?lang=nl', { username: 'p!', email: 'piet@example.org', roles: ['employee'], teams: ['Onbekend'] });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details, [
    { field: 'username', message: 'use 2–64 letters, digits, dots, dashes or underscores' },
    { field: 'teams', message: 'no team named "Onbekend" (create it first with team:create or on the operator page)' },
  ]);
  t.is((await op.client.json('POST', '/api/v1/people', { username: 'bestaand', email: 'b@example.org' })).status, 201);
  const dup = await op.client.json<Err>('POST', '/api/v1/people?lang=nl', { username: 'bestaand', email: 'b2@example.org' });
  t.deepEqual([dup.status, dup.body.error.code, dup.body.error.message], [409, 'already_exists', 'A local account named bestaand already exists']);

  const rules = await emp.client.json<Err>('PUT', '/api/v1/me/capture/mapping?lang=nl', { rules: [{ field: 'url', pattern: '*jira*', project_id: '00000000-0000-4000-8000-000000000000' }] });
  t.deepEqual(rules.body.error.details, [{ field: 'rules.0.project_id', message: 'no such project (or it is archived)' }]);

  const future = await dpo.client.json<Err>('POST', '/api/v1/privacy/requests?lang=nl', { subject_reference: 'brief', kind: 'access', channel: 'letter', received_at: inFuture() });
  t.deepEqual(future.body.error.details, [{ field: 'received_at', message: 'must not lie in the future' }]);
  const refused = await auditor.client.json<Err>('POST', '/api/v1/privacy/requests?lang=nl', { subject_reference: 'brief', kind: 'access', channel: 'letter', received_at: new Date().toISOString() });
  t.deepEqual([refused.status, refused.body.error.code, refused.body.error.message], [403, 'role_required', 'This call needs the role dpo']);

  const range = await auditor.client.json<Err>('GET', '/api/v1/audit/events?from=2026-11-20&to=2026-11-10');
  t.deepEqual(range.body.error.details, [{ field: 'query.to', message: 'must be after from' }]);
  const period = await auditor.client.json<Err>('POST', '/api/v1/audit/exports?lang=nl', { from: '2026-11-20', to: '2026-11-10' });
  t.deepEqual(period.body.error.details, [{ field: 'to', message: 'must not be before from' }]);
});

test('the common refusals of other domains are worded in Dutch, not as the generic line', (t) => {
  const generic = { 403: problemText('nl', new ForbiddenError())!, 409: problemText('nl', new ConflictError('x'))! };
  const refusals: AppError[] = [
    new ForbiddenError('This call needs the role reports', 'role_required'),
    new ForbiddenError('Entry-level detail is for team admins whose scope holds the people', 'detail_needs_scope'),
    new AppError(403, 'token_not_allowed', 'Personal API tokens cannot be used for this call; sign in instead'),
    new AppError(403, 'token_scope', 'This API token lacks the scope reports'),
    new AppError(403, 'csrf_failed', 'Missing or wrong CSRF token; reload the page'),
    new AppError(403, 'confidentiality_statement_required', 'Agree to the confidentiality statement first'),
    new AppError(403, 'password_incorrect', 'The password is not correct'),
    new ConflictError('The payroll period holding 2026-11-02 is locked', 'payroll_locked'),
    new ConflictError('Version 2 is no longer in force; read version 3 and confirm that', 'notice_version_changed'),
    new ConflictError('This legal hold is already released', 'already_released'),
    new ConflictError('An export of your data is already being built; wait for it to finish', 'export_in_progress'),
    new AppError(409, 'totp_enrolment_required', 'No second factor is enrolled; enrol one first'),
  ];
  for (const err of refusals) {
    const nl = problemText('nl', err)!;
    t.not(nl, generic[err.status as 403 | 409], err.code);
    t.notRegex(nl, ENGLISH, err.code);
    t.is(errorPageText('nl', err.status, err.message, err), nl, err.code);
    t.is(problemText('en', err), err.message, 'English pages keep the API text');
  }
});

test('the reports page words its problems in Dutch; the API keeps its English text', async (t) => {
  const a = await startTestApp(t);
  const reports = await buildPerson(a, ['reports']);
  const nl = await get(reports.client, '/reports?period=week&from=2026-11-20&to=2026-11-10&lang=nl');
  t.is(nl.status, 422);
  t.regex(shown(nl.text), /mag niet vóór de begindatum liggen/);
  t.notRegex(shown(nl.text), /must|before/);
  const tooLong = await get(reports.client, '/reports?period=week&from=2000-01-03&to=2026-11-09&lang=nl');
  t.is(tooLong.status, 422);
  t.regex(shown(tooLong.text), /een rapport beslaat hoogstens \d+ perioden/);
  t.regex(shown((await get(reports.client, '/reports?period=week&from=2026-11-20&to=2026-11-10&lang=en')).text), /must not lie before from/);
  const api = await reports.client.json<{ error: { details: unknown } }>('GET', '/api/v1/reports/hours?period=week&from=2000-01-03&to=2026-11-09');
  t.is(api.status, 422);
  t.deepEqual(api.body.error.details, [{ field: 'query.to', message: 'a week report spans at most 106 periods' }]);
});
