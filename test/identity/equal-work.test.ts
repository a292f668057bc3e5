import test from 'ava';
import { signIn, type AuthDeps, type DirectoryAuthenticator } from '../../src/identity/auth-service.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildDirectoryAccount, buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';

/** Service-level deps on the test app's database, with a bcrypt check that counts its calls. */
function countingDeps(a: TestApp, directory?: DirectoryAuthenticator): { deps: AuthDeps; bcrypt: () => number } {
  let n = 0;
  const deps: AuthDeps = {
    db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, logger: testLogger('equal-work'), directory,
    verifyPassword: async (password, stored) => {
      n++;
      return verifyPassword(password, stored);
    },
  };
  return { deps, bcrypt: () => n };
}

const meta = { address: '192.0.2.10' };
const attempt = (deps: AuthDeps, username: string, password: string, source: 'local' | 'directory') => signIn(deps, { username, password, source }, meta).then(() => 'ok', () => 'refused');

test('(injected bcrypt counter) every local sign-in path costs exactly one bcrypt verify: known, unknown, wrong password, disabled', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 1, account_max_failures: 100, address_max_failures: 100 } });
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit);
  const off = await buildLocalAccount(a.db.knex, a.app.services.audit);
  await a.db.knex('accounts').where({ id: off.id }).update({ status: 'disabled' });
  const cases: Array<[string, string, string, string]> = [
    ['known, right password', u.username, GOOD_PASSWORD, 'ok'],
    ['known, wrong password', u.username, 'wrong-password-123456', 'refused'],
    ['unknown name', 'nobody-by-this-name', GOOD_PASSWORD, 'refused'],
    ['disabled account', off.username, GOOD_PASSWORD, 'refused'],
  ];
  for (const [what, name, password, outcome] of cases) {
    const { deps, bcrypt } = countingDeps(a);
    t.is(await attempt(deps, name, password, 'local'), outcome, what);
    t.is(bcrypt(), 1, `${what}: one bcrypt verify`);
  }
});

test('(injected directory authenticator, counts binds) known and unknown directory names each cost exactly one bind and no bcrypt', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 1, account_max_failures: 100, address_max_failures: 100 } });
  await buildDirectoryAccount(a.db.knex, { username: 'jdoe' });
  const known = (await a.db.knex('accounts').where({ username: 'jdoe' }).first('dn')).dn as string;
  for (const [what, name] of [['known', 'jdoe'], ['unknown', 'no-such-person']] as const) {
    const binds: string[] = [];
    const { deps, bcrypt } = countingDeps(a, { verify: async (dn) => (binds.push(dn), false) });
    t.is(await attempt(deps, name, 'some-password-123', 'directory'), 'refused', what);
    t.is(binds.length, 1, `${what}: one bind`);
    t.is(bcrypt(), 0, `${what}: no bcrypt`);
    if (what === 'known') t.is(binds[0], known);
    else t.not(binds[0], known, 'the equal-work bind uses a DN no account has');
  }
});

test('a directory outage answers the same for known and unknown names (no 401 that would tell them apart)', async (t) => {
  const a = await startTestApp(t);
  await buildDirectoryAccount(a.db.knex, { username: 'jdoe' });
  const down: DirectoryAuthenticator = { verify: async () => { throw new Error('unreachable'); } };
  const { deps } = countingDeps(a, down);
  const known = await signIn(deps, { username: 'jdoe', password: 'x-password-123', source: 'directory' }, meta).catch((e: Error) => e.message);
  const unknown = await signIn(deps, { username: 'ghost', password: 'x-password-123', source: 'directory' }, meta).catch((e: Error) => e.message);
  t.is(known, 'unreachable');
  t.is(unknown, 'unreachable');
});

test('the reset request is answered without waiting for the existence-dependent work (a held table lock proves it)', async (t) => {
  const a = await startTestApp(t);
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { email: 'lock@example.test' });
  const anon = new ApiClient(a.url);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  // Holding password_resets blocks only the known-account path (it writes a token there).
  const holder = a.db.knex.transaction(async (trx) => {
    await trx.raw('LOCK TABLE password_resets IN ACCESS EXCLUSIVE MODE');
    locked();
    await released;
  });
  await isLocked;
  const answer = await Promise.race([
    anon.json('POST', '/api/v1/password-reset', { username: u.username }).then((r) => r.status),
    new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000)),
  ]);
  t.is(answer, 202, 'the answer for an existing account came while its work was blocked');
  t.is((await anon.json('POST', '/api/v1/password-reset', { username: 'nobody-at-all' })).status, 202);
  t.is(await a.db.knex('mail_outbox').count({ n: '*' }).first().then((r) => Number(r!.n)), 0, 'no mail yet: the work waits on the lock');
  release();
  await holder;
  let n = 0;
  for (let i = 0; i < 200 && n === 0; i++) {
    n = await a.db.knex('mail_outbox').count({ n: '*' }).first().then((r) => Number(r!.n));
    if (n === 0) await new Promise((r) => setTimeout(r, 25));
  }
  t.is(n, 1, 'after the lock, exactly one mail: for the existing account only');
});
