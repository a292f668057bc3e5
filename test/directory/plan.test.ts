/**
 * The pure parts of the sync: GUID and accountExpires decoding, the planner's
 * decisions and the safety-valve limit, and the `directory` config rules.
 */
import test from 'ava';
import type { Entry } from 'ldapts';
import { fileTimeToDate, formatGuid, toDirectoryUser, type DirectoryUser } from '../../src/directory/entry.js';
import { containersOutside, escapeFilterValue } from '../../src/directory/ldap.js';
import { ALL_DIRECTORY_USERS, deactivationLimit, dnIsUnder, planSync, planSyncSliced } from '../../src/directory/plan.js';
import { mapSliced, slicer } from '../../src/directory/slices.js';
import type { AccountRow } from '../../src/identity/repository.js';
import { ConfigError, parseConfig } from '../../src/platform/config.js';
import { directoryConfig } from './support.js';

const config = directoryConfig({});

test('objectGUID bytes format like Windows shows them (first three groups little-endian)', (t) => {
  const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  t.is(formatGuid(bytes), '33221100-5544-7766-8899-aabbccddeeff');
  t.throws(() => formatGuid(Buffer.alloc(15)));
});

test('accountExpires: 0 and int64 max mean never; other values are 100 ns ticks since 1601', (t) => {
  t.is(fileTimeToDate('0'), null);
  t.is(fileTimeToDate('9223372036854775807'), null);
  // 2020-01-01T00:00:00Z
  t.is(fileTimeToDate('132223104000000000')?.toISOString(), '2020-01-01T00:00:00.000Z');
});

test('a user is disabled by userAccountControl bit 2 or by an expired accountExpires', (t) => {
  const now = new Date('2026-11-23T10:00:00Z');
  const entry = (extra: Record<string, string>): Entry => ({ dn: 'CN=X,OU=Staff,DC=x', objectGUID: Buffer.alloc(16, 1), sAMAccountName: 'x', ...extra });
  const u = (e: Entry) => toDirectoryUser(e, config, now) as DirectoryUser;
  t.false(u(entry({ userAccountControl: '512' })).disabled);
  t.true(u(entry({ userAccountControl: '514' })).disabled);
  t.regex(String(u(entry({ userAccountControl: '512', accountExpires: '132223104000000000' })).disabledReason), /expired/);
  t.false(u(entry({ userAccountControl: '512', accountExpires: '0' })).disabled);
  t.deepEqual(toDirectoryUser({ dn: 'CN=Y,DC=x', sAMAccountName: 'y' }, config, now), { skipped: 'no usable objectGUID' });
});

test('filter values are escaped (a group DN with parentheses cannot change the filter)', (t) => {
  t.is(escapeFilterValue('CN=A (B)*,DC=x\\y'), 'CN=A \\28B\\29\\2a,DC=x\\5cy');
});

test('OU scope matching ignores case and blanks after commas', (t) => {
  t.true(dnIsUnder('CN=A,OU=Finance, OU=Staff,DC=x', 'ou=finance,ou=staff,dc=x'));
  t.false(dnIsUnder('CN=A,OU=NotFinance,OU=Staff,DC=x', 'OU=Finance,OU=Staff,DC=x'));
});

test('changed containers whose users are out of scope: outside every base DN and not above one', (t) => {
  const bases = ['OU=Staff,DC=x', 'OU=Finance,OU=Contractors,DC=x'];
  const changed = ['OU=Gone,DC=x', 'ou=Sales, OU=Staff,DC=x', 'OU=Staff,DC=x', 'OU=Contractors,DC=x', 'OU=Sales Elsewhere,OU=Archive,DC=x'];
  t.deepEqual(containersOutside(changed, bases), ['OU=Gone,DC=x', 'OU=Sales Elsewhere,OU=Archive,DC=x']);
});

test('planner: an incremental run deactivates users found outside the base DNs, with that reason', (t) => {
  const plan = planSync({ config, now: new Date(), accounts: [account('a'), account('b')], roles: [], scope: [], fetched: { mode: 'incremental', users: [], members: new Map(), outOfScope: new Set(['guid-a']) } });
  t.deepEqual(plan.statusChanges, [{ id: 'a', status: 'deactivated', reason: 'moved out of the base DNs' }]);
  t.deepEqual(plan.diff.revokeSessions.map((r) => [r.accountId, r.reason]), [['a', 'directory: moved out of the base DNs']]);
});

test('safety valve limit is max(count, percent of active users)', (t) => {
  t.is(deactivationLimit(config, 10), 5);
  t.is(deactivationLimit(config, 1000), 100);
});

function account(id: string, extra: Partial<AccountRow> = {}): AccountRow {
  return {
    id, source: 'directory', username: id, directory_id: `guid-${id}`, dn: `CN=${id},OU=Staff,DC=x`, display_name: null, given_name: null, surname: null,
    email: null, department: null, employee_number: null, status: 'active', status_reason: null, expires_at: null,
    created_at: new Date(), updated_at: new Date(), status_changed_at: new Date(), last_seen_in_directory_at: null, ...extra,
  };
}

function user(id: string, extra: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    directoryId: `guid-${id}`, dn: `CN=${id},OU=Staff,DC=x`, username: id, displayName: null, givenName: null, surname: null, email: null,
    department: null, employeeNumber: null, disabled: false, disabledReason: null, expiresAt: null, ...extra,
  };
}

test('planner: an incremental run never deactivates; a full run does; a lost role revokes sessions unless another group still grants it', (t) => {
  const now = new Date('2026-11-23T10:00:00Z');
  const cfg = directoryConfig({ roles: { auditor_groups: ['CN=Aud1,DC=x', 'CN=Aud2,DC=x'] } });
  const accounts = [account('a'), account('b'), account('c')];
  const roles = [
    { account_id: 'a', role: 'auditor' as const, team: '', reason: 'CN=Aud1,DC=x', source: 'directory' as const },
    { account_id: 'a', role: 'auditor' as const, team: '', reason: 'CN=Aud2,DC=x', source: 'directory' as const },
    { account_id: 'b', role: 'auditor' as const, team: '', reason: 'CN=Aud1,DC=x', source: 'directory' as const },
  ];
  const members = new Map([['CN=Aud1,DC=x', new Set<string>()], ['CN=Aud2,DC=x', new Set(['guid-a'])]]);
  const incremental = planSync({ config: cfg, now, accounts, roles, scope: [], fetched: { mode: 'incremental', users: [user('a')], members } });
  t.deepEqual(incremental.diff.deactivated, []);
  // a keeps auditor through Aud2, so only b's sessions go.
  t.deepEqual(incremental.diff.revokeSessions.map((r) => r.accountId), ['b']);
  t.deepEqual(incremental.diff.roleChanges.filter((c) => c.change === 'removed').map((c) => `${c.accountId} ${c.reason}`).sort(), ['a CN=Aud1,DC=x', 'b CN=Aud1,DC=x']);
  // Every live account gets the employee role when no employee groups are configured.
  t.is(incremental.rolesToAdd.filter((r) => r.role === 'employee' && r.reason === ALL_DIRECTORY_USERS).length, 3);

  const full = planSync({ config: cfg, now, accounts, roles, scope: [], fetched: { mode: 'full', users: [user('a')], members } });
  t.deepEqual(full.diff.deactivated.map((d) => d.accountId).sort(), ['b', 'c']);
  t.is(full.rolesToAdd.filter((r) => r.role === 'employee').length, 1);
});

test('planner: a stored expiry that passed disables the account even when the user did not change', (t) => {
  const now = new Date('2026-11-23T10:00:00Z');
  const accounts = [account('a', { expires_at: new Date('2026-11-01T00:00:00Z') })];
  const plan = planSync({ config, now, accounts, roles: [], scope: [], fetched: { mode: 'incremental', users: [], members: new Map() } });
  t.deepEqual(plan.diff.disabled.map((d) => [d.accountId, d.reason]), [['a', 'account expired in the directory']]);
  t.deepEqual(plan.diff.revokeSessions.map((r) => r.accountId), ['a']);
});

test('the sync plans in slices: the event loop gets turns in between, and the plan is the one planSync makes', async (t) => {
  const now = new Date('2026-11-23T10:00:00Z');
  const ids = Array.from({ length: 1200 }, (_, i) => `u${i}`);
  const cfg = directoryConfig({ roles: { employee_groups: ['CN=Staff,DC=x'], auditor_groups: ['CN=Aud,DC=x'] } });
  const members = new Map([['CN=Staff,DC=x', new Set(ids.map((id) => `guid-${id}`))], ['CN=Aud,DC=x', new Set(['guid-u1'])]]);
  // Half the accounts exist already, a third of the users changed their name: every branch has work.
  const accounts = ids.filter((_, i) => i % 2 === 0).map((id) => account(id));
  const users = ids.map((id, i) => user(id, { displayName: i % 3 === 0 ? `Name ${id}` : null }));
  const input = () => {
    let n = 0;
    return { config: cfg, now, accounts, roles: [], scope: [], fetched: { mode: 'full' as const, users, members }, newId: () => `new-${n++}` };
  };
  // Counts turns of the loop with a self-renewing setImmediate (not a timer, whose 1 ms
  // floor a fast machine's slices never reach): synchronous planning would give it none.
  let turns = 0;
  let stop = false;
  const spin = () => {
    if (stop) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  try {
    // A 0 ms budget: a turn at every check, so the test does not depend on the machine's speed.
    const sliced = await planSyncSliced(input(), slicer(0));
    t.true(turns > 10, `the loop ran timers ${turns} times while planning`);
    t.deepEqual(sliced, planSync(input()));
    t.is(sliced.inserts.length, 600);
  } finally {
    stop = true;
  }
  let mapped = 0;
  const immediate = setImmediate(() => mapped++);
  t.deepEqual(await mapSliced(ids, (id) => id.length, slicer(0)), ids.map((id) => id.length));
  clearImmediate(immediate);
  t.is(mapped, 1, 'mapSliced gave the loop a turn');
});

test('config: plain ldap:// is refused unless StartTLS or allow_plain_ldap; base DNs and bind pairs are checked', (t) => {
  const problems = (raw: Record<string, unknown>) => {
    try {
      parseConfig({ directory: raw }, 'test');
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.map((p) => p.key);
      throw err;
    }
  };
  t.deepEqual(problems({ urls: ['ldap://dc1:389'], base_dns: ['DC=x'] }), ['directory.urls.0']);
  t.deepEqual(problems({ urls: ['ldap://dc1:389'], base_dns: ['DC=x'], starttls: true }), []);
  t.deepEqual(problems({ urls: ['ldap://dc1:389'], base_dns: ['DC=x'], allow_plain_ldap: true }), []);
  t.deepEqual(problems({ urls: ['ldaps://dc1'] }), ['directory.base_dns']);
  t.deepEqual(problems({ urls: ['ldaps://dc1'], base_dns: ['DC=x'], bind_dn: 'CN=svc,DC=x' }), ['directory.bind_password_file']);
  t.deepEqual(problems({ urls: ['https://dc1'], base_dns: ['DC=x'] }), ['directory.urls.0']);
});
