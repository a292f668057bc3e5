import test from 'ava';
import { startAppliance } from '../../src/app/appliance.js';
import { parseConfig } from '../../src/platform/config.js';
import { safeReturnPath } from '../../src/transparency/gate.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildEmployee, buildOperator } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';

/** The gates are on in these tests (the test app turns them off for every other suite). */
const GATED = { privacy: { require_acknowledgement: true } };

async function get(c: ApiClient, path: string): Promise<{ status: number; location: string | null; text: string }> {
  const res = await c.call('GET', path);
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

/** A form post as a browser sends it (urlencoded, with the page's CSRF token). */
async function postForm(c: ApiClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, _csrf: c.csrf ?? '' }) });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

const acks = (a: TestApp, accountId: string) => a.db.knex('transparency_notice_acks').where({ account_id: accountId }).orderBy('version');
const auditCount = async (a: TestApp, action: string, actorId: string) =>
  Number((await a.db.knex('audit.events').where({ action, actor_id: actorId }).count<{ n: string }[]>({ n: '*' }))[0]!.n);

test('a signed-in person is sent to the notice from any page until they confirm it, then back; API requests and the notice itself are not stopped', async (t) => {
  const a = await startTestApp(t, GATED);
  // 401 first: no session, the notice page asks for sign-in and the API for a session.
  const anonymous = new ApiClient(a.url);
  t.is((await get(anonymous, '/privacy/notice')).location, '/sign-in?next=%2Fprivacy%2Fnotice');
  t.is((await anonymous.json('GET', '/api/v1/privacy/notice')).status, 401);
  t.is((await anonymous.json('POST', '/api/v1/privacy/notice/acknowledgements', { version: 1 })).status, 401);

  const emp = await buildEmployee(a);
  const week = await get(emp.client, '/timesheets?lang=en');
  t.is(week.status, 302);
  t.is(week.location, '/privacy/notice?return=%2Ftimesheets%3Flang%3Den');
  t.is((await get(emp.client, '/me/data')).location, '/privacy/notice?return=%2Fme%2Fdata');
  t.is((await emp.client.json('GET', '/api/v1/me/data')).status, 200, 'API requests are not redirected');

  const notice = await get(emp.client, '/privacy/notice?return=%2Ftimesheets%3Flang%3Den&lang=en');
  t.is(notice.status, 200);
  t.regex(notice.text, /<h1>Privacy notice<\/h1>/);
  t.regex(notice.text, /name="version" value="1"/);
  t.regex(notice.text, /name="return" value="\/timesheets\?lang=en"/);

  const api = await emp.client.json<{ version: number; acknowledgedAt: string | null; notice: { report_threshold_k: number } }>('GET', '/api/v1/privacy/notice');
  t.is(api.status, 200);
  t.is(api.body.version, 1);
  t.is(api.body.acknowledgedAt, null);
  t.is(api.body.notice.report_threshold_k, 5);
  // Group names and hosts are the pack's (for its readers), not every employee's.
  t.false(/granted_by_groups|g_measures|localhost:25/.test(JSON.stringify(api.body)));

  // 400-class before success: a missing version is named; a version not in force is 409.
  const bad = await emp.client.json<{ error: { code: string; message: string } }>('POST', '/api/v1/privacy/notice/acknowledgements', {});
  t.is(bad.status, 422);
  t.regex(JSON.stringify(bad.body), /version/);
  t.is((await emp.client.json('POST', '/api/v1/privacy/notice/acknowledgements', { version: 7 })).status, 409);
  t.is((await acks(a, emp.id)).length, 0, 'nothing written by refused confirmations');

  // A return path off the site is ignored: back to the notice instead.
  const offsite = await postForm(emp.client, '/privacy/notice', { version: '1', return: '//evil.example/x' });
  t.is(offsite.status, 302);
  t.is(offsite.location, '/privacy/notice');
  const again = await postForm(emp.client, '/privacy/notice', { version: '1', return: '/timesheets?lang=en' });
  t.is(again.location, '/timesheets?lang=en');
  t.is((await get(emp.client, '/timesheets?lang=en')).status, 200);
  t.is((await acks(a, emp.id)).length, 1, 'confirmed once, stored once');
  t.is(await auditCount(a, 'transparency.notice.acknowledged', emp.id), 1);
  const after = await emp.client.json<{ acknowledgedAt: string | null }>('GET', '/api/v1/privacy/notice');
  t.truthy(after.body.acknowledgedAt);
  t.regex((await get(emp.client, '/privacy/notice?lang=en')).text, /You confirmed this version on/);
  t.is(await auditCount(a, 'transparency.settings.versioned', 'system'), 1, 'the first version is audited');
});

test('safe return paths: only local paths', (t) => {
  t.is(safeReturnPath('/timesheets?lang=en'), '/timesheets?lang=en');
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'timesheets', '/a b', 42, undefined]) t.is(safeReturnPath(bad), undefined, String(bad));
});

test('without require_acknowledgement nobody is stopped, and the notice and pack say so', async (t) => {
  const a = await startTestApp(t);
  const emp = await buildEmployee(a);
  t.is((await get(emp.client, '/timesheets')).status, 200);
  t.regex((await get(emp.client, '/privacy/notice?lang=en')).text, /Privacy notice/);
  const op = await buildOperator(a);
  t.regex((await get(op.client, '/privacy/works-council?lang=en')).text, /privacy\.require_acknowledgement<\/code>: People are not asked/);
});

test('a changed retention setting makes a new version: the notice shows it, everyone is asked again, the pack lists the change', async (t) => {
  const a = await startTestApp(t, GATED);
  const emp = await buildEmployee(a);
  const op = await buildOperator(a);
  const first = await get(emp.client, '/privacy/notice?lang=en');
  t.regex(first.text, /<tr data-category="raw_capture"><th scope="row">Automatically captured activity<\/th><td>30 days<\/td>/);
  t.is((await postForm(emp.client, '/privacy/notice', { version: '1' })).status, 302);
  t.is((await get(emp.client, '/timesheets')).status, 200);

  // The same database, started again with a shorter raw-capture period and a higher k.
  const changed = parseConfig({ ...JSON.parse(JSON.stringify(a.config)), server: { port: 0, host: '127.0.0.1' }, retention: { ...a.config.retention, raw_capture: '14 days' }, reports: { ...a.config.reports, k: 7 } }, 'test');
  const second = await startAppliance(changed, testLogger(t.title), { jobs: false });
  t.teardown(() => second.stop());
  const emp2 = Object.assign(new ApiClient(second.url), { cookies: emp.client.cookies, csrf: emp.client.csrf });
  t.is((await get(emp2, '/timesheets')).location, '/privacy/notice?return=%2Ftimesheets', 'a new version asks again');
  const notice = await get(emp2, '/privacy/notice?lang=en');
  t.regex(notice.text, /name="version" value="2"/);
  t.regex(notice.text, /<td>14 days <small>\(default: 30 days\)<\/small><\/td>/);
  t.regex(notice.text, /fewer than 7 different people/);
  t.regex((await get(emp2, '/privacy/notice?lang=nl')).text, /minder dan 7 verschillende personen/);
  // The old version can no longer be confirmed.
  t.is((await postForm(emp2, '/privacy/notice', { version: '1' })).status, 409);
  t.is((await postForm(emp2, '/privacy/notice', { version: '2' })).status, 302);
  t.deepEqual((await acks(a, emp.id)).map((r: { version: number }) => r.version), [1, 2]);

  const op2 = Object.assign(new ApiClient(second.url), { cookies: op.client.cookies, csrf: op.client.csrf });
  await op2.json('POST', '/api/v1/privacy/notice/acknowledgements', { version: 2 });
  const pack = await get(op2, '/privacy/works-council?lang=en');
  t.is(pack.status, 200);
  t.regex(pack.text, /<tr data-version="1">/);
  t.regex(pack.text, /<tr data-version="2">.*<code>reports\.k<\/code>: 5 → 7/s);
  t.regex(pack.text, /<code>retention\.raw_capture<\/code>: 30 days → 14 days/);
  t.regex(pack.text, /href="\/static\/transparency\.css"/);
  const versioned = await a.db.knex('audit.events').where({ action: 'transparency.settings.versioned' }).orderBy('seq').select('payload');
  t.deepEqual(versioned.map((e: { payload: { version: number; changed: string[] } }) => [e.payload.version, e.payload.changed]), [[1, versioned[0].payload.changed], [2, ['reports.k', 'retention.raw_capture']]]);
});
