import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { strFromU8, unzipSync } from 'fflate';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { coveredColumns } from '../../src/mydata/collect.js';
import { buildExport, expireExports } from '../../src/mydata/exports.js';
import { exportDocument, exportJsonSchema, type ExportDocument } from '../../src/mydata/schema.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildEmployee, buildEntry, buildOperator, buildPerson, buildProject, buildTeamAdmin, localDate, type BuiltPerson } from '../helpers/factories.js';
import { waitUntil } from '../helpers/wait.js';
import { repoRoot } from '../helpers/env.js';

type Started = { id: string; status: string; progress: number; download_url: string };
type Status = { id: string; status: string; progress: number; step: string | null };

const root = repoRoot;

/** Builds the export right here (the job's own function), for tests that run no job engine. */
const build = (a: TestApp, id: string) => buildExport({ db: a.db.knex, keys: a.app.keys, audit: a.app.services.audit }, id);

/** Fetches a download link with the client's session; the unzipped files on 200. */
async function fetchZip(client: ApiClient, url: string): Promise<{ status: number; files?: Record<string, string>; res: Response }> {
  const res = await client.call('GET', url);
  if (res.status !== 200) return { status: res.status, res };
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  return { status: 200, res, files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strFromU8(v)])) };
}

test('anonymous: every My data call answers 401, the pages send to sign-in', async (t) => {
  const a = await startTestApp(t);
  const anon = new ApiClient(a.url);
  const id = '00000000-0000-4000-8000-000000000000';
  t.is((await anon.json('GET', '/api/v1/me/data')).status, 401);
  t.is((await anon.json('POST', '/api/v1/me/data/exports', {})).status, 401);
  t.is((await anon.json('GET', `/api/v1/me/data/exports/${id}`)).status, 401);
  t.is((await anon.call('GET', `/me/data/exports/${id}/download?token=${'a'.repeat(43)}`)).status, 401);
  const page = await anon.call('GET', '/me/data');
  t.is(page.status, 302);
  t.regex(page.headers.get('location') ?? '', /\/sign-in/);
});

test('summary: profile with each field’s source, roles with the group granting them, counts; bad input 422; another person’s export 404', async (t) => {
  const a = await startTestApp(t);
  const local = await buildEmployee(a, { email: 'local@corp.example.test' });
  const dir = await buildPerson(a, ['employee'], { source: 'directory', adminOf: 'ward-7' });
  const sum = await local.client.json<{ profile: Array<{ field: string; value: string | null; source: string }>; roles: Array<{ role: string; reason: string }>; counts: Record<string, unknown>; mail_bodies_note: string; requests: unknown }>('GET', '/api/v1/me/data');
  t.is(sum.status, 200);
  t.true(sum.body.profile.every((f) => f.source === 'uurwerk'), 'a local account’s fields are all Uurwerk’s');
  t.is(sum.body.profile.find((f) => f.field === 'email')?.value, 'local@corp.example.test');
  t.deepEqual(sum.body.roles.map((r) => r.role), ['employee']);
  t.regex(sum.body.mail_bodies_note, /emptied/);
  t.deepEqual(sum.body.requests, [], 'the request register is wired: no requests yet');

  const ds = await dir.client.json<{ profile: Array<{ field: string; source: string }>; roles: Array<{ role: string; team: string | null; reason: string }> }>('GET', '/api/v1/me/data');
  t.is(ds.body.profile.find((f) => f.field === 'display_name')?.source, 'directory');
  t.is(ds.body.profile.find((f) => f.field === 'status')?.source, 'uurwerk');
  const admin = ds.body.roles.find((r) => r.role === 'team_admin');
  t.is(admin?.team, 'ward-7');
  t.regex(admin?.reason ?? '', /^CN=team_admin,OU=Groups/, 'the group that grants the role');

  // 422 naming the field; another person's export is not found.
  const bad = await local.client.json<{ error: { details?: Array<{ field: string }> } }>('GET', '/api/v1/me/data/exports/not-a-uuid');
  t.is(bad.status, 422);
  const started = await dir.client.json<Started>('POST', '/api/v1/me/data/exports', {});
  t.is(started.status, 201);
  t.is((await local.client.json('GET', `/api/v1/me/data/exports/${started.body.id}`)).status, 404);
  t.is((await dir.client.json('POST', '/api/v1/me/data/exports', {})).status, 409, 'one export at a time');
  t.is((await dir.client.json('POST', '/api/v1/me/data/exports', { account_id: local.id })).status, 422, 'no person can be named');
  // A build whose node died (running for over an hour) no longer blocks, and housekeeping marks it failed.
  await a.db.knex('mydata_exports').where({ id: started.body.id }).update({ status: 'running', started_at: a.db.knex.raw(`now() - interval '2 hours'`) });
  t.is((await dir.client.json('POST', '/api/v1/me/data/exports', {})).status, 201);
  t.deepEqual(await expireExports(a.db.knex), { expiredExports: 0, interruptedExports: 1 });
  t.is((await dir.client.json<Status>('GET', `/api/v1/me/data/exports/${started.body.id}`)).body.status, 'failed');

  const html = await (await local.client.call('GET', '/me/data?lang=en')).text();
  t.regex(html, /<h1>My data<\/h1>/);
  t.regex(html, /<button type="submit">Build my download<\/button>/);
  const nl = await (await local.client.call('GET', '/me/data?lang=nl')).text();
  t.regex(nl, /<h1>Mijn gegevens<\/h1>/);
});

test('download: built by the job with progress, fetched once by its owner only (others 404, tokens 403, anonymous 401), expires after 24 hours, audited', async (t) => {
  const a = await startTestApp(t, {}, { jobs: true });
  const owner = await buildEmployee(a, { team: 'team-a' });
  const other = await buildEmployee(a, { team: 'team-a' });
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const operator = await buildOperator(a);
  const { projectId } = await buildProject(a, { by: operator });
  await buildEntry(owner, { projectId, note: 'a note only the owner wrote' });

  const started = await owner.client.json<Started>('POST', '/api/v1/me/data/exports', {});
  t.is(started.status, 201);
  t.regex(started.body.download_url, /^\/me\/data\/exports\/[0-9a-f-]{36}\/download\?token=[A-Za-z0-9_-]{43}$/);
  const steps = new Set<string>();
  const done = await waitUntil(async () => {
    const s = await owner.client.json<Status>('GET', `/api/v1/me/data/exports/${started.body.id}`);
    if (s.body.step) steps.add(s.body.step);
    return s.body.status === 'ready' && s.body;
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'the export job' });
  t.is(done.progress, 100);
  t.true(steps.size >= 1, `progress was reported (${[...steps].join(', ')})`);
  const stored = await a.db.knex('mydata_exports').where({ id: started.body.id }).first();
  t.false(String(stored.archive).includes('UEsDB'), 'the archive rests sealed (not the base64 of a zip)');
  t.false(JSON.stringify(await a.db.knex('pgboss.job').where({ name: 'mydata.export' }).select('data')).includes(owner.id), 'the job carries the export id only');

  // Nobody else fetches it, whatever their role; a wrong token is as unknown.
  for (const who of [other, admin, operator]) t.is((await fetchZip(who.client, started.body.download_url)).status, 404);
  t.is((await fetchZip(new ApiClient(a.url), started.body.download_url)).status, 401);
  const tokenRes = await owner.client.json<{ token: string }>('POST', '/api/v1/me/tokens', { name: 'agent', scopes: ['entries:read'] });
  const viaToken = await fetch(a.url + started.body.download_url, { headers: { authorization: `Bearer ${tokenRes.body.token}` } });
  t.is(viaToken.status, 403);
  t.is((await fetchZip(owner.client, started.body.download_url.replace(/token=.*/, `token=${'A'.repeat(43)}`))).status, 404);

  const got = await fetchZip(owner.client, started.body.download_url);
  t.is(got.status, 200);
  t.is(got.res.headers.get('content-type'), 'application/zip');
  t.regex(got.res.headers.get('cache-control') ?? '', /no-store/);
  const doc = exportDocument.parse(JSON.parse(got.files!['export.json']!)) as ExportDocument;
  t.is(doc.account_id, owner.id);
  const captureColumns = ['public.capture_events.account_id', 'public.capture_days.account_id', 'public.capture_buckets.account_id', 'public.capture_settings.account_id'];
  t.deepEqual(doc.sources, { ...coveredColumns({}), 'public.privacy_requests.subject_id': 'requests', ...Object.fromEntries(captureColumns.map((c) => [c, 'capture'])) }, 'the export names every table it read and the section each fed');
  t.true(doc.entries.some((e) => e.note === 'a note only the owner wrote'));
  t.deepEqual(JSON.parse(got.files!['export.schema.json']!), exportJsonSchema(), 'the schema ships beside the JSON');
  t.deepEqual(JSON.parse(readFileSync(path.join(root, 'src/mydata/export.schema.json'), 'utf8')), exportJsonSchema(), 'and the copy in the repository is current');
  for (const table of ['profile', 'roles', 'days', 'entries', 'audit_events', 'sessions', 'api_tokens', 'mails', 'requests']) t.truthy(got.files![`csv/${table}.csv`], table);
  t.regex(got.files!['csv/entries.csv']!, /a note only the owner wrote/);
  t.false(got.files!['export.json']!.includes(tokenRes.body.token), 'no token secret');

  // Once: the second use answers 410 and the archive is gone.
  t.is((await fetchZip(owner.client, started.body.download_url)).status, 410);
  t.is((await a.db.knex('mydata_exports').where({ id: started.body.id }).first()).archive, null);
  const actions = (await a.db.knex('audit.events').where({ subject_id: owner.id }).where('action', 'like', 'privacy.my_data.%').orderBy('seq').pluck('action')) as string[];
  t.deepEqual(actions, [AUDIT_ACTIONS.myDataExportRequested, AUDIT_ACTIONS.myDataExportBuilt, AUDIT_ACTIONS.myDataExportDownloaded]);

  // Expiry: a link past its 24 hours answers 410; housekeeping empties it.
  const second = await owner.client.json<Started>('POST', '/api/v1/me/data/exports', {});
  await waitUntil(async () => (await owner.client.json<Status>('GET', `/api/v1/me/data/exports/${second.body.id}`)).body.status === 'ready', { timeoutMs: 60_000, intervalMs: 200, what: 'the second export' });
  await a.db.knex('mydata_exports').where({ id: second.body.id }).update({ expires_at: a.db.knex.raw(`now() - interval '1 second'`), created_at: a.db.knex.raw(`now() - interval '24 hours'`) });
  t.is((await owner.client.json<Status>('GET', `/api/v1/me/data/exports/${second.body.id}`)).body.status, 'expired');
  t.is((await fetchZip(owner.client, second.body.download_url)).status, 410);
  t.deepEqual(await expireExports(a.db.knex), { expiredExports: 1, interruptedExports: 0 });
  t.is((await a.db.knex('mydata_exports').where({ id: second.body.id }).first()).archive, null);
});

/** Records an entry with a marker note on `date` and takes the day to `state`. */
async function markedDay(owner: BuiltPerson, admin: BuiltPerson, projectId: string, date: string, state: 'draft' | 'submitted' | 'returned' | 'approved', marker: string): Promise<void> {
  await buildEntry(owner, { projectId, date, note: marker });
  if (state === 'draft') return;
  const day = await owner.client.json<{ id: string }>('POST', `/api/v1/me/days/${date}/submit`);
  if (state === 'returned') await admin.client.json('POST', `/api/v1/days/${day.body.id}/return`, { comment: `${marker}-comment` });
  if (state === 'approved') await admin.client.json('POST', `/api/v1/days/${day.body.id}/approve`);
}

test('marker notes in a draft, a submitted, a returned and an approved day, and the return comment, all reach the export (JSON and CSV)', async (t) => {
  const a = await startTestApp(t);
  const owner = await buildEmployee(a, { team: 'team-m', email: 'marker-owner@corp.example.test' });
  const admin = await buildTeamAdmin(a, { team: 'team-m' });
  const { projectId } = await buildProject(a);
  const markers = { draft: 'MARKER-draft-1f3a', submitted: 'MARKER-submitted-2b4c', returned: 'MARKER-returned-3d5e', approved: 'MARKER-approved-4f6a' } as const;
  const states: Array<keyof typeof markers> = ['draft', 'submitted', 'returned', 'approved'];
  for (const [i, state] of states.entries()) await markedDay(owner, admin, projectId, localDate(i + 1), state, markers[state]);

  const started = await owner.client.json<Started>('POST', '/api/v1/me/data/exports', {});
  t.is(await build(a, started.body.id), 'built');
  const got = await fetchZip(owner.client, started.body.download_url);
  t.is(got.status, 200);
  const doc = JSON.parse(got.files!['export.json']!) as ExportDocument;
  for (const [state, marker] of Object.entries(markers)) {
    const entry = doc.entries.find((e) => e.note === marker);
    t.truthy(entry, `the ${state} day's note`);
    t.is(doc.days.find((d) => d.date === entry!.first_date)?.state, state as ExportDocument['days'][number]['state']);
    t.true(got.files!['csv/entries.csv']!.includes(marker), `${state} in CSV`);
  }
  t.is(doc.days.find((d) => d.state === 'returned')?.comment, `${markers.returned}-comment`, 'the return comment, decrypted');
  t.true(got.files!['csv/days.csv']!.includes(`${markers.returned}-comment`));
  // The audit trail about the person, and the mail they were sent about the return (subject only).
  t.true(doc.audit_events.some((e) => e.action === AUDIT_ACTIONS.timesheetDayReturned && e.relation === 'about_me'));
  t.true(doc.audit_events.some((e) => e.action === AUDIT_ACTIONS.timesheetEntryCreated && e.relation === 'both'));
  t.true(doc.mails.length >= 1, 'the return mail');
  t.true(doc.notes.some((n) => /emptied/.test(n)));
  // The admin's export holds their approval as an event by them, not the owner's notes.
  const adminExport = await admin.client.json<Started>('POST', '/api/v1/me/data/exports', {});
  t.is(await build(a, adminExport.body.id), 'built');
  const adminZip = await fetchZip(admin.client, adminExport.body.download_url);
  const adminDoc = JSON.parse(adminZip.files!['export.json']!) as ExportDocument;
  t.true(adminDoc.audit_events.some((e) => e.action === AUDIT_ACTIONS.timesheetDayApproved && e.relation === 'by_me'));
  t.false(adminZip.files!['export.json']!.includes('MARKER-'), 'no content of the owner’s days in the admin’s export');

  // A year whose data key was shredded: its entry is marked unreadable, the rest stays readable.
  const old = await buildEntry(owner, { projectId, date: localDate(370), note: 'MARKER-shredded-year' });
  await a.app.keys.shred(a.db.knex, owner.id, Number(old.date.slice(0, 4)));
  const later = await owner.client.json<Started>('POST', '/api/v1/me/data/exports', {});
  t.is(await build(a, later.body.id), 'built');
  const laterDoc = JSON.parse((await fetchZip(owner.client, later.body.download_url)).files!['export.json']!) as ExportDocument;
  const gone = laterDoc.entries.find((e) => e.id === old.id);
  t.is(gone?.note, null);
  t.regex(gone?.unreadable ?? '', /shredded/);
  t.true(laterDoc.entries.some((e) => e.note === markers.approved), 'other years still read');
  t.true(laterDoc.notes.some((n) => /unreadable/.test(n)));
});
