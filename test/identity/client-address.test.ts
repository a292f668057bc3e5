import test from 'ava';
import { UNKNOWN_SIGN_IN_SUBJECT } from '../../src/identity/auth-service.js';
import { currentTotp } from '../../src/identity/totp.js';
import { clientAddress, proxyMatcher, trustedProxyList } from '../../src/platform/http/client-address.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';

const signIn = (a: TestApp, username: string, password: string, xff?: string) =>
  a.request('/api/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(xff ? { 'x-forwarded-for': xff } : {}) },
    body: JSON.stringify({ username, password, source: 'local' }),
  });

/** The decrypted addresses of the sign-in events, in order, with their subject. */
async function signInAddresses(a: TestApp): Promise<Array<{ action: string; subject: string | null; address: unknown }>> {
  const rows = await a.db.knex('audit.events').whereIn('action', ['auth.login.succeeded', 'auth.login.failed']).orderBy('seq').select('seq', 'action', 'subject_id', 'personal');
  const out = [];
  for (const r of rows) {
    assertSealed(r.personal);
    out.push({ action: r.action as string, subject: r.subject_id as string | null, address: (await a.app.services.audit.readPersonal(a.db.knex, Number(r.seq)))?.address });
  }
  return out;
}

function assertSealed(personal: unknown): void {
  if (typeof personal !== 'string' || /\d+\.\d+\.\d+\.\d+/.test(personal)) throw new Error('the address must be stored sealed');
}

test('client address: the peer unless it is a trusted proxy; forwarded hops are read from the right', (t) => {
  const none = proxyMatcher([]);
  const lb = proxyMatcher(['10.0.0.0/8', '::1']);
  t.is(clientAddress('203.0.113.5', '198.51.100.1', none), '203.0.113.5', 'no trusted proxies: the header is ignored');
  t.is(clientAddress('::ffff:203.0.113.5', undefined, none), '203.0.113.5', 'IPv4-mapped peers are shown as IPv4');
  t.is(clientAddress('10.1.2.3', '198.51.100.1', lb), '198.51.100.1');
  t.is(clientAddress('10.1.2.3', '6.6.6.6, 198.51.100.1', lb), '198.51.100.1', 'a forged left-hand entry is not believed');
  t.is(clientAddress('10.1.2.3', '198.51.100.1, 10.9.9.9', lb), '198.51.100.1', 'chained trusted proxies are skipped');
  t.is(clientAddress('10.1.2.3', 'not-an-ip', lb), '10.1.2.3', 'garbage ends the walk at the last trusted hop');
  t.is(clientAddress('203.0.113.5', '198.51.100.1', lb), '203.0.113.5', 'a peer outside the list cannot forward');
  t.deepEqual(trustedProxyList({ trust_proxy: false, trusted_proxies: [] }), []);
  t.deepEqual(trustedProxyList({ trust_proxy: true, trusted_proxies: [] }), ['127.0.0.0/8', '::1'], 'the old boolean means a proxy on this host');
  t.deepEqual(trustedProxyList({ trust_proxy: true, trusted_proxies: ['192.0.2.1'] }), ['192.0.2.1']);
});

test('every sign-in event records the client address sealed, unknown names included; a spoofed X-Forwarded-For from an untrusted peer is ignored', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 1 } });
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit);
  t.is((await signIn(a, u.username, GOOD_PASSWORD, '203.0.113.66')).status, 200);
  t.is((await signIn(a, u.username, 'wrong-password-123', '203.0.113.66')).status, 401);
  t.is((await signIn(a, 'nobody-by-this-name', 'wrong-password-123', '203.0.113.66')).status, 401);
  const events = await signInAddresses(a);
  t.deepEqual(events.map((e) => e.action), ['auth.login.succeeded', 'auth.login.failed', 'auth.login.failed']);
  t.deepEqual(events.map((e) => e.address), ['127.0.0.1', '127.0.0.1', '127.0.0.1'], 'the real peer, not the forged header');
  t.is(events[2]!.subject, UNKNOWN_SIGN_IN_SUBJECT, 'unknown names: sealed under the sign-in records’ subject');
});

test('second-factor events carry the client address too', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 1 } });
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['auditor'] });
  const c = new ApiClient(a.url);
  await c.json('POST', '/api/v1/session', { username: u.username, password: GOOD_PASSWORD, source: 'local' });
  const start = await c.json<{ secret: string }>('POST', '/api/v1/me/totp/enrolment', { password: GOOD_PASSWORD });
  t.is((await c.json('POST', '/api/v1/me/totp/confirm', { code: await currentTotp(start.body.secret) })).status, 200);
  const again = new ApiClient(a.url);
  await again.json('POST', '/api/v1/session', { username: u.username, password: GOOD_PASSWORD, source: 'local' });
  t.is((await again.json('POST', '/api/v1/session/second-factor', { code: '000000' })).status, 401);
  const rows = await a.db.knex('audit.events').whereIn('action', ['auth.second_factor.succeeded', 'auth.second_factor.failed']).orderBy('seq').select('seq', 'action');
  t.deepEqual(rows.map((r) => r.action), ['auth.second_factor.succeeded', 'auth.second_factor.failed']);
  for (const r of rows) t.is((await a.app.services.audit.readPersonal(a.db.knex, Number(r.seq)))?.address, '127.0.0.1', r.action);
});

test('behind a trusted proxy the forwarded client address is recorded', async (t) => {
  const a = await startTestApp(t, { server: { trusted_proxies: ['127.0.0.1'] }, auth: { throttle_base_seconds: 1 } });
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit);
  t.is((await signIn(a, u.username, GOOD_PASSWORD, '6.6.6.6, 198.51.100.20')).status, 200);
  t.is((await signIn(a, 'ghost', 'wrong-password-123', '198.51.100.21')).status, 401);
  t.deepEqual((await signInAddresses(a)).map((e) => e.address), ['198.51.100.20', '198.51.100.21']);
});
