import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { buildQueuedExport, expireComplianceExports, zipPath, type ExportJobDeps } from '../../src/compliance/export-job.js';
import { EXPORT_STRINGS } from '../../src/compliance/export-strings.js';
import { systemClock } from '../../src/platform/clock.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildAuditor, buildDpo, buildEmployee, buildOperator, buildTeamAdmin } from '../helpers/factories.js';

type Started = { id: string; status: string; download_url: string };

/** The job's deps as the module builds them (the job itself runs here: the test app runs no job engine). */
function jobDeps(a: TestApp): ExportJobDeps {
  const s = a.app.services;
  return { db: a.app.db, config: a.config, keys: s.keys, audit: s.audit, clock: systemClock, keyring: s.keyring, ledger: s.ledger, handlers: [], dir: path.join(a.config.data_dir, 'compliance-exports') };
}

const actions = async (a: TestApp, action: string) => (await a.db.knex('audit.events').where({ action }).select('actor_id', 'object_id')) as Array<{ actor_id: string; object_id: string }>;

test('anonymous: 401 from the API, the page sends to sign-in', async (t) => {
  const a = await startTestApp(t);
  const anon = new ApiClient(a.url);
  t.is((await anon.json('POST', '/api/v1/audit/exports', {})).status, 401);
  t.is((await anon.json('GET', '/api/v1/audit/exports')).status, 401);
  const page = await anon.call('GET', '/audit/export');
  t.is(page.status, 302);
  t.regex(page.headers.get('location') ?? '', /\/sign-in/);
});

test('only an auditor starts or sees a compliance export: employee, team admin, operator and privacy officer get 403 from the API and 404 from the page', async (t) => {
  const a = await startTestApp(t);
  const people = { employee: await buildEmployee(a), team_admin: await buildTeamAdmin(a), operator: await buildOperator(a), dpo: await buildDpo(a) };
  const auditor = await buildAuditor(a);
  const started = await auditor.client.json<Started>('POST', '/api/v1/audit/exports', {});
  t.is(started.status, 201);
  const [id, token] = [started.body.id, started.body.download_url.split('token=')[1]!];
  for (const [role, p] of Object.entries(people)) {
    t.is((await p.client.json('POST', '/api/v1/audit/exports', {})).status, 403, `${role} may not start`);
    t.is((await p.client.json('GET', '/api/v1/audit/exports')).status, 403, `${role} may not list`);
    t.is((await p.client.json('GET', `/api/v1/audit/exports/${id}`)).status, 403, `${role} may not watch`);
    t.is((await p.client.call('GET', '/audit/export')).status, 404, `${role}: the page does not exist`);
    t.is((await p.client.call('GET', `/audit/export/${id}/download?token=${token}`)).status, 404, `${role} may not download even with the link`);
  }
  t.is((await actions(a, AUDIT_ACTIONS.complianceExportStarted)).length, 1, 'only the auditor’s start was recorded');
});

test('an auditor starts (bad period 422 naming the field), follows the progress and downloads the signed zip once; another auditor gets 404; the file goes after the download', async (t) => {
  const a = await startTestApp(t);
  const auditor = await buildAuditor(a);
  const other = await buildAuditor(a);
  const bad = await auditor.client.json<{ error: { message: string } }>('POST', '/api/v1/audit/exports', { from: '2026-13-01' });
  t.is(bad.status, 422);
  t.regex(bad.body.error.message, /from/);
  const reversed = await auditor.client.json<{ error: { message: string } }>('POST', '/api/v1/audit/exports', { from: '2026-11-05', to: '2026-11-01' });
  t.is(reversed.status, 422);
  t.regex(reversed.body.error.message, /to/);

  const started = await auditor.client.json<Started>('POST', '/api/v1/audit/exports', { to: new Date().toISOString().slice(0, 10) });
  t.is(started.status, 201);
  t.is(started.body.status, 'queued');
  const { id } = started.body;
  t.is((await auditor.client.json('POST', '/api/v1/audit/exports', {})).status, 409, 'one build at a time per auditor');
  const page = await auditor.client.call('GET', `/audit/export/${id}`);
  t.is(page.status, 200);
  t.is(page.headers.get('refresh'), '3', 'the page follows the job while it runs');

  t.is(await buildQueuedExport(jobDeps(a), id), 'built');
  const st = await auditor.client.json<{ status: string; progress: number; events: number; manifest_sha256: string }>('GET', `/api/v1/audit/exports/${id}`);
  t.is(st.body.status, 'ready');
  t.is(st.body.progress, 100);
  t.true(st.body.events > 0);
  t.is((await other.client.json('GET', `/api/v1/audit/exports/${id}`)).status, 404, 'another auditor does not see it');
  t.is((await other.client.call('GET', started.body.download_url)).status, 404, 'nor fetch it with the link');
  const wrong = started.body.download_url.replace(/token=(.)/, (_m, ch: string) => `token=${ch === 'A' ? 'B' : 'A'}`);
  t.not(wrong, started.body.download_url);
  t.is((await auditor.client.call('GET', wrong)).status, 404, 'a wrong token is no link');

  const res = await auditor.client.call('GET', started.body.download_url);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/zip');
  const work = mkdtempSync(path.join(tmpdir(), 'uurwerk-cexport-dl-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  writeFileSync(path.join(work, 'b.zip'), Buffer.from(await res.arrayBuffer()));
  const list = execFileSync('unzip', ['-Z1', path.join(work, 'b.zip')], { encoding: 'utf8' });
  t.regex(list, /^manifest\.sig$/m);
  t.regex(list, /^audit\/events\.jsonl$/m);
  t.is((await auditor.client.call('GET', started.body.download_url)).status, 410, 'the link works once');
  await new Promise((r) => setTimeout(r, 200));
  t.false(existsSync(zipPath(jobDeps(a).dir, id)), 'the zip is removed once sent');
  for (const act of [AUDIT_ACTIONS.complianceExportStarted, AUDIT_ACTIONS.complianceExportBuilt, AUDIT_ACTIONS.complianceExportDownloaded]) {
    t.deepEqual((await actions(a, act)).map((e) => e.object_id), [id], `${act} recorded`);
  }
  t.is((await actions(a, AUDIT_ACTIONS.complianceExportDownloaded))[0]!.actor_id, auditor.id);
});

test('housekeeping removes a ready zip whose 24 hours are over', async (t) => {
  const a = await startTestApp(t);
  const auditor = await buildAuditor(a);
  const started = await auditor.client.json<Started>('POST', '/api/v1/audit/exports', {});
  await buildQueuedExport(jobDeps(a), started.body.id);
  const file = zipPath(jobDeps(a).dir, started.body.id);
  t.true(existsSync(file));
  await a.db.knex('compliance_exports').where({ id: started.body.id }).update({ expires_at: a.db.knex.raw(`now() - interval '1 minute'`) });
  const counts = await expireComplianceExports(jobDeps(a));
  t.is(counts.expiredComplianceExports, 1);
  t.false(existsSync(file));
  t.is((await auditor.client.call('GET', started.body.download_url)).status, 410);
});

test('the page strings are complete in Dutch and English', (t) => {
  t.deepEqual(Object.keys(EXPORT_STRINGS.nl).sort(), Object.keys(EXPORT_STRINGS.en).sort());
  t.true(Object.values(EXPORT_STRINGS.nl).every((v) => v.length > 0));
});
