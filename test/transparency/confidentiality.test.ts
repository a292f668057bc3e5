import test from 'ava';
import { randomUUID } from 'node:crypto';
import { worksCouncilPackHtml } from '../../src/transparency/module.js';
import { startTestApp } from '../helpers/app.js';
import type { ApiClient } from '../helpers/client.js';
import { buildAuditor, buildDay, buildDpo, buildEmployee, buildOperator, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';

const GATED = { privacy: { require_acknowledgement: true } };

async function get(c: ApiClient, path: string): Promise<{ status: number; location: string | null; text: string }> {
  const res = await c.call('GET', path);
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string | null }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, location: r.headers.get('location') };
}

/** Confirms the notice in force through the API, as the notice page's form would. */
async function readNotice(c: ApiClient): Promise<void> {
  const { body } = await c.json<{ version: number }>('GET', '/api/v1/privacy/notice');
  await c.json('POST', '/api/v1/privacy/notice/acknowledgements', { version: body.version });
}

test('a team admin agrees to the confidentiality statement before opening another person’s day (API 403, page redirect); employees reading their own days are never asked', async (t) => {
  const a = await startTestApp(t, GATED);
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  const day = await buildDay(emp, { projectId, state: 'submitted' });
  const ownDay = await buildDay(admin, { projectId, state: 'submitted', date: localDate(2) });
  await readNotice(admin.client);
  await readNotice(emp.client);

  // The employee reads their own day, by id, by date and as a page: never asked.
  t.is((await emp.client.json('GET', `/api/v1/days/${day.id}`)).status, 200);
  t.is((await emp.client.json('GET', `/api/v1/me/days/${day.date}`)).status, 200);
  t.is((await get(emp.client, `/timesheets/days/${day.id}`)).status, 200);
  // Nor is the admin, for their own day.
  t.is((await admin.client.json('GET', `/api/v1/days/${ownDay.id}`)).status, 200);

  // Another person's day: refused until the statement is agreed to.
  for (const path of [`/api/v1/days/${day.id}`, '/api/v1/days', `/api/v1/days/${randomUUID()}`]) {
    const r = await admin.client.json<{ error: { code: string; message: string } }>('GET', path);
    t.is(r.status, 403, path);
    t.is(r.body.error.code, 'confidentiality_statement_required');
    t.regex(r.body.error.message, /\/privacy\/confidentiality/);
  }
  const page = await get(admin.client, `/timesheets/days/${day.id}`);
  t.is(page.status, 302);
  t.is(page.location, `/privacy/confidentiality?return=${encodeURIComponent(`/timesheets/days/${day.id}`)}`);
  t.is((await get(admin.client, '/timesheets/inbox')).location, `/privacy/confidentiality?return=${encodeURIComponent('/timesheets/inbox')}`);

  // Only team admins agree (the statement is not theirs to sign for anyone else).
  t.is((await emp.client.json('POST', '/api/v1/privacy/confidentiality/acknowledgements', {})).status, 403);
  t.is((await get(emp.client, '/privacy/confidentiality')).status, 404);
  t.is((await admin.client.json('POST', '/api/v1/privacy/confidentiality/acknowledgements', { extra: 1 })).status, 422);

  const statement = await get(admin.client, `/privacy/confidentiality?return=${encodeURIComponent(`/timesheets/days/${day.id}`)}&lang=en`);
  t.is(statement.status, 200);
  t.regex(statement.text, /Confidentiality statement/);
  const agreed = await postForm(admin.client, '/privacy/confidentiality', { return: `/timesheets/days/${day.id}` });
  t.is(agreed.status, 302);
  t.is(agreed.location, `/timesheets/days/${day.id}`);
  t.is((await get(admin.client, `/timesheets/days/${day.id}`)).status, 200);
  t.is((await admin.client.json('GET', `/api/v1/days/${day.id}`)).status, 200);
  t.is((await admin.client.json('GET', '/api/v1/days')).status, 200);
  // Agreeing again changes nothing; the agreement is stored and audited once.
  t.is((await admin.client.json('POST', '/api/v1/privacy/confidentiality/acknowledgements', {})).status, 201);
  t.is((await a.db.knex('transparency_confidentiality_acks').where({ account_id: admin.id })).length, 1);
  const events = await a.db.knex('audit.events').where({ action: 'transparency.confidentiality.acknowledged' }).select('actor_id', 'subject_id');
  t.deepEqual(events, [{ actor_id: admin.id, subject_id: admin.id }]);
});

test('the works-council pack: privacy officer, auditor and operator open it; team admins and employees get 404; the export renders the same pack', async (t) => {
  const a = await startTestApp(t, { privacy: { dpo_name: 'F. Officier', dpo_email: 'fg@example.org', works_council_email: 'or@example.org' }, retention: { submitted_days: '10 years' } });
  const people = { dpo: await buildDpo(a), auditor: await buildAuditor(a), operator: await buildOperator(a), admin: await buildTeamAdmin(a), emp: await buildEmployee(a) };
  for (const who of ['dpo', 'auditor', 'operator'] as const) {
    const r = await get(people[who].client, '/privacy/works-council?lang=en');
    t.is(r.status, 200, who);
    t.regex(r.text, /Works-council pack/);
    t.regex(r.text, /<tr data-role="team_admin">/);
    t.regex(r.text, /Technical and organisational measures/);
    t.regex(r.text, /<tr data-version="1">/);
  }
  for (const who of ['admin', 'emp'] as const) t.is((await get(people[who].client, '/privacy/works-council')).status, 404, who);

  const file = await worksCouncilPackHtml({ db: a.db.knex, config: a.config, audit: a.app.services.audit }, 'nl');
  t.regex(file, /^<!doctype html>/);
  t.regex(file, /<html lang="nl">/);
  t.regex(file, /Informatie voor de ondernemingsraad/);
  t.regex(file, /F\. Officier/);
  t.regex(file, /mailto:or@example\.org/);
  t.regex(file, /<tr data-version="1">/);
  t.regex(file, /<code>retention\.submitted_days<\/code>: 10 years, langer dan de standaard van 7 years/);
  t.false(/<script/i.test(file));
});
