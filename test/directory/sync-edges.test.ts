/**
 * Issue #18 on a real Samba AD DC (test/helpers/samba.ts): deletions seen by the next
 * incremental run, nested membership resolved from the stored groups (loops, renamed
 * and deleted groups), re-enable, the zero-user held diff, one sync at a time across
 * nodes, and a sync killed halfway. The tests share one Samba and one database and run
 * in order, each building on the directory the previous one left.
 */
import { randomBytes } from 'node:crypto';
import anyTest, { type TestFn } from 'ava';
import { runDirectorySync, type AuditRecorder, type SyncOptions } from '../../src/directory/service.js';
import { isEmptyDiff } from '../../src/directory/plan.js';
import { formatStatus } from '../../src/directory/presenter.js';
import { recentRuns, syncState } from '../../src/directory/repository.js';
import type { DirectoryConfig } from '../../src/platform/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { ADMIN_DN, BASE_DN, FINANCE_OU, GROUPS, GROUPS_OU, SALES_OU, STAFF_OU, USERS, startSamba, userDn, type SambaDirectory } from '../helpers/samba.js';
import { accountByUsername, arrayAuditRecorderStandIn, directoryConfig, insertSession, liveSessions, roleLines } from './support.js';

const test = anyTest as TestFn<{ samba: SambaDirectory; db: TestDatabase; config: DirectoryConfig }>;
const logger = testLogger('directory-sync-edges');
const LOOP_A = `CN=Loop A,${GROUPS_OU}`;
const LOOP_B = `CN=Loop B,${GROUPS_OU}`;

test.before(async (t) => {
  const samba = await startSamba();
  t.context.samba = samba;
  t.context.db = await createTestDatabase();
  // A nested loop: Loop A ∋ Loop B ∋ Loop A, and Loop B ∋ ingrid.
  const admin = await samba.admin();
  await admin.add(LOOP_A, { objectClass: 'group', sAMAccountName: 'loop-a' });
  await admin.add(LOOP_B, { objectClass: 'group', sAMAccountName: 'loop-b', member: [LOOP_A, userDn(USERS.ingrid)] });
  await admin.addMember(LOOP_A, LOOP_B);
  await admin.close();
  t.context.config = directoryConfig({
    urls: [samba.ldapsUrl], ca_file: samba.caFile, bind_dn: ADMIN_DN, bind_password_file: samba.adminPasswordFile,
    base_dns: [STAFF_OU], page_size: 500,
    roles: {
      employee_groups: [GROUPS.employees],
      teams: [
        { name: 'Finance', admin_groups: [GROUPS.financeAdmins], scope: { ou: FINANCE_OU } },
        { name: 'Sales', admin_groups: [GROUPS.salesAdmins], scope: { groups: [GROUPS.salesTeam] } },
      ],
      auditor_groups: [LOOP_A],
      operator_groups: [GROUPS.operators],
    },
  });
});

test.after.always(async (t) => {
  await t.context.db?.drop();
  await t.context.samba?.stop();
});

function sync(t: { context: { db: TestDatabase; config: DirectoryConfig } }, opts: Partial<SyncOptions> = {}, config?: DirectoryConfig, audit?: AuditRecorder) {
  const recorder = arrayAuditRecorderStandIn();
  return runDirectorySync(t.context.db.knex, { config: config ?? t.context.config, audit: audit ?? recorder, logger }, { trigger: 'test', actorId: 'system', ...opts })
    .then((r) => ({ ...r, audit: recorder }));
}

async function snapshot(db: TestDatabase) {
  return {
    accounts: await db.knex('accounts').orderBy('id').select('id', 'status', 'username', 'dn', 'display_name'),
    roles: await db.knex('role_assignments').orderBy(['account_id', 'role', 'team', 'reason']).select('account_id', 'role', 'team', 'reason'),
    groups: await db.knex('directory_groups').orderBy('guid').select('guid', 'dn', 'members'),
    state: await db.knex('directory_sync_state').first(),
  };
}

test.serial('a nested loop of groups (A in B in A) resolves once and grants the role; the groups are stored for incremental runs', async (t) => {
  const { db } = t.context;
  const r = await sync(t);
  t.is(r.outcome, 'applied', JSON.stringify(r.problem));
  t.is(r.mode, 'full');
  const ingrid = await accountByUsername(db.knex, 'ingrid');
  t.true((await roleLines(db.knex, ingrid.id)).includes(`auditor <- ${LOOP_A}`));
  const stored = await db.knex('directory_groups').whereIn('dn', [LOOP_A, LOOP_B, GROUPS.financeLeads]).pluck('dn');
  t.is(stored.length, 3);
  // Member lists are kept as hashed DNs: the table holds no one's name.
  t.false(JSON.stringify(await db.knex('directory_groups').select('members')).includes('Ingrid'));
  t.true((await db.knex('directory_groups').where({ dn: LOOP_B }).first()).members.length === 2);
  // One audit event for the run however many roles it granted.
  t.is(r.audit.events.filter((e) => e.action === 'directory.sync.applied').length, 1);
  t.false(r.audit.events.some((e) => e.action === 'admin.role.granted'));
});

test.serial('a user deleted in the directory is deactivated by the next incremental run, sessions and API tokens ended at once', async (t) => {
  const { db, samba } = t.context;
  const frank = await accountByUsername(db.knex, 'frank');
  await insertSession(db.knex, frank.id);
  await db.knex('api_tokens').insert({ account_id: frank.id, name: 'script', token_hash: randomBytes(32), scopes: ['entries:read'], expires_at: db.knex.raw("now() + interval '30 days'") });
  const admin = await samba.admin();
  await admin.remove(userDn(USERS.frank));
  await admin.close();

  const r = await sync(t);
  t.is(r.outcome, 'applied', JSON.stringify(r.problem));
  t.is(r.mode, 'incremental');
  t.deepEqual(r.diff!.deactivated.map((d) => d.username), ['frank']);
  const after = await db.knex('accounts').where({ id: frank.id }).first();
  t.is(after.status, 'deactivated');
  t.is(after.status_reason, 'deleted in the directory');
  t.is(await liveSessions(db.knex, frank.id), 0);
  t.is(Number((await db.knex('api_tokens').where({ account_id: frank.id }).whereNull('revoked_at').count<{ n: string }[]>({ n: '*' }))[0]!.n), 0);
  t.true(r.audit.events.some((e) => e.action === 'identity.account.deactivated' && e.subjectId === frank.id));
  const tokenEvent = r.audit.events.find((e) => e.action === 'auth.api_token.revoked' && e.subjectId === frank.id);
  t.is((tokenEvent?.payload?.token_ids as string[] | undefined)?.length, 1);
});

test.serial('membership added three levels down is found by an incremental run from the stored groups; a renamed nested group keeps it', async (t) => {
  const { db, samba } = t.context;
  const carol = await accountByUsername(db.knex, 'carol');
  const admin = await samba.admin();
  await admin.addMember(GROUPS.financeLeads, userDn(USERS.carol));
  await admin.close();
  const r = await sync(t);
  t.is(r.mode, 'incremental');
  t.true(r.counts.fetched! < 10);
  t.true((await roleLines(db.knex, carol.id)).includes(`team_admin:Finance <- ${GROUPS.financeAdmins}`));

  // AD rewrites Team Leads' member value on the rename without touching Team Leads.
  const renamed = `CN=Finance Leads Renamed,${GROUPS_OU}`;
  const admin2 = await samba.admin();
  await admin2.move(GROUPS.financeLeads, renamed);
  await admin2.close();
  const again = await sync(t);
  t.is(again.outcome, 'applied', JSON.stringify(again.problem));
  t.deepEqual(again.diff!.roleChanges, []);
  t.true((await roleLines(db.knex, carol.id)).includes(`team_admin:Finance <- ${GROUPS.financeAdmins}`));

  // A nested group deleted: its members lose what it gave them, and keep their account.
  await insertSession(db.knex, carol.id);
  const admin3 = await samba.admin();
  await admin3.remove(renamed);
  await admin3.close();
  const deleted = await sync(t);
  t.is(deleted.mode, 'incremental');
  // alice is in Finance Leads by the fixture, carol since the first step.
  t.deepEqual(deleted.diff!.roleChanges.map((c) => [c.username, c.role, c.change]).sort(), [['alice', 'team_admin', 'removed'], ['carol', 'team_admin', 'removed']]);
  t.is((await accountByUsername(db.knex, 'carol')).status, 'active');
  t.is(await liveSessions(db.knex, carol.id), 0);
});

test.serial('a user re-enabled in the directory is active again with the same account and history', async (t) => {
  const { db, samba } = t.context;
  const bob = await accountByUsername(db.knex, 'bob');
  t.is(bob.status, 'disabled');
  const admin = await samba.admin();
  await admin.replace(userDn(USERS.bob), 'userAccountControl', '512');
  await admin.close();
  const r = await sync(t);
  t.is(r.mode, 'incremental');
  t.deepEqual(r.diff!.reEnabled.map((p) => p.username), ['bob']);
  const after = await accountByUsername(db.knex, 'bob');
  t.is(after.id, bob.id);
  t.is(after.status, 'active');
  t.true(r.audit.events.some((e) => e.action === 'identity.account.reenabled' && e.subjectId === bob.id));
});

test.serial('a renamed OU: the next incremental run re-reads what lies under it — new DNs, the same accounts and roles', async (t) => {
  const { db, samba } = t.context;
  const before = await snapshot(db);
  const bob = await accountByUsername(db.knex, 'bob');
  const bobRoles = await roleLines(db.knex, bob.id);
  const renamedOu = `OU=Sales Renamed,${STAFF_OU}`;
  const admin = await samba.admin();
  await admin.move(SALES_OU, renamedOu);
  await admin.close();
  try {
    const r = await sync(t);
    t.is(r.outcome, 'applied', JSON.stringify(r.problem));
    t.is(r.mode, 'incremental');
    const after = await accountByUsername(db.knex, 'bob');
    t.is(after.id, bob.id);
    t.is(after.dn, `CN=${USERS.bob.cn},${renamedOu}`, 'the DN follows the renamed OU');
    t.is(after.status, bob.status);
    t.deepEqual(r.diff!.roleChanges, []);
    t.deepEqual(await roleLines(db.knex, bob.id), bobRoles);
    t.is(r.diff!.deactivated.length, 0);
  } finally {
    const back = await samba.admin();
    await back.move(renamedOu, SALES_OU);
    await back.close();
  }
  const restored = await sync(t);
  t.is(restored.mode, 'incremental');
  t.is((await accountByUsername(db.knex, 'bob')).dn, userDn(USERS.bob));
  t.deepEqual((await snapshot(db)).roles, before.roles);
});

test.serial('an OU moved out of the base DNs: the next incremental run deactivates its users at once, sessions and API tokens ended; moved back, the same accounts return', async (t) => {
  const { db, samba } = t.context;
  const erin = await accountByUsername(db.knex, 'erin');
  const bob = await accountByUsername(db.knex, 'bob');
  t.is(erin.status, 'active');
  await insertSession(db.knex, erin.id);
  await db.knex('api_tokens').insert({ account_id: erin.id, name: 'script', token_hash: randomBytes(32), scopes: ['entries:read'], expires_at: db.knex.raw("now() + interval '30 days'") });
  // Moving the OU changes the DNs below it without touching those users' uSNChanged.
  const elsewhere = `OU=Sales Elsewhere,${BASE_DN}`;
  const admin = await samba.admin();
  await admin.move(SALES_OU, elsewhere);
  await admin.close();
  try {
    const r = await sync(t);
    t.is(r.outcome, 'applied', JSON.stringify(r.problem));
    t.is(r.mode, 'incremental');
    t.deepEqual(r.diff!.deactivated.map((d) => d.username).sort(), ['bob', 'dave', 'erin']);
    for (const id of [erin.id, bob.id]) {
      const row = await db.knex('accounts').where({ id }).first();
      t.is(row.status, 'deactivated');
      t.is(row.status_reason, 'moved out of the base DNs');
      t.deepEqual(await roleLines(db.knex, id), []);
    }
    t.is(await liveSessions(db.knex, erin.id), 0);
    t.is(Number((await db.knex('api_tokens').where({ account_id: erin.id }).whereNull('revoked_at').count<{ n: string }[]>({ n: '*' }))[0]!.n), 0);
    const event = r.audit.events.find((e) => e.action === 'identity.account.deactivated' && e.subjectId === erin.id);
    t.is(event?.payload?.reason, 'moved out of the base DNs');
    t.true(r.audit.events.some((e) => e.action === 'auth.api_token.revoked' && e.subjectId === erin.id));
    // Nothing else moved: the accounts outside the OU are untouched.
    t.is((await accountByUsername(db.knex, 'alice')).status, 'active');
  } finally {
    const back = await samba.admin();
    await back.move(elsewhere, SALES_OU);
    await back.close();
  }
  const returned = await sync(t);
  t.is(returned.mode, 'incremental');
  t.deepEqual(returned.diff!.reEnabled.map((p) => p.username).sort(), ['bob', 'dave', 'erin']);
  const again = await accountByUsername(db.knex, 'erin');
  t.is(again.id, erin.id, 'the same account, with its history');
  t.is(again.status, 'active');
  t.true((await roleLines(db.knex, erin.id)).includes(`team_admin:Sales <- ${GROUPS.salesAdmins}`));
});

test.serial('zero users: the held-back diff is stored and `ldap:status` shows it', async (t) => {
  const { db } = t.context;
  const before = await snapshot(db);
  const config = directoryConfig({ ...t.context.config, user_filter: '(&(objectClass=user)(sAMAccountName=nobody-by-this-name))' });
  const r = await sync(t, { full: true }, config);
  t.is(r.outcome, 'blocked');
  t.is(r.problem?.code, 'zero_users');
  t.true(r.diff!.deactivated.length > 1000);
  t.deepEqual(await snapshot(db), before);
  const run = await db.knex('directory_sync_runs').orderBy('started_at', 'desc').first();
  t.is(run.diff.deactivated.length, r.diff!.deactivated.length);
  const status = formatStatus(config, await syncState(db.knex), await recentRuns(db.knex, 3)).join('\n');
  t.regex(status, /zero_users: the directory returned zero users/);
  t.regex(status, /pending changes \(held back; apply with `uurwerk ldap:sync --confirm-mass-change`\):\n {2}deactivated: \d+/);
});

test.serial('several nodes: while one sync runs, another skips and changes nothing', async (t) => {
  const { db } = t.context;
  // Another node's run holds the lock (the same advisory lock, from another connection).
  const other = await db.knex.transaction();
  try {
    await other.raw("SELECT pg_advisory_xact_lock(hashtext('uurwerk.directory.run'))");
    const runsBefore = (await recentRuns(db.knex, 100)).length;
    const r = await sync(t);
    t.is(r.outcome, 'skipped');
    t.is((await recentRuns(db.knex, 100)).length, runsBefore);
  } finally {
    await other.rollback();
  }
  const two = await Promise.all([sync(t), sync(t)]);
  t.deepEqual(two.map((r) => r.outcome).sort(), ['applied', 'skipped']);
});

test.serial('a sync killed halfway (its connection gone after every row was written) leaves accounts as they were', async (t) => {
  const { db, samba } = t.context;
  const admin = await samba.admin();
  await admin.replace(userDn(USERS.zoe), 'displayName', 'Zoë Killed-Halfway');
  await admin.remove(userDn(USERS.dave));
  await admin.close();
  const before = await snapshot(db);
  const killer: AuditRecorder = {
    record: async () => undefined,
    async recordMany(trx) {
      // The apply step has written everything but the audit events: end its backend like a dying node would.
      const { rows } = await trx.raw<{ rows: Array<{ pid: number }> }>('SELECT pg_backend_pid() AS pid');
      await db.knex.raw('SELECT pg_terminate_backend(?)', [rows[0]!.pid]);
      await trx.raw('SELECT 1');
    },
  };
  const r = await sync(t, {}, undefined, killer);
  t.not(r.outcome, 'applied');
  t.deepEqual(await snapshot(db), before);
  // The next run applies what the killed one did not.
  const next = await sync(t);
  t.is(next.outcome, 'applied', JSON.stringify(next.problem));
  t.is((await accountByUsername(db.knex, 'zoe')).display_name, 'Zoë Killed-Halfway');
  t.is((await accountByUsername(db.knex, 'dave')).status, 'deactivated');
});

test.serial('an incremental run with no change plans nothing; a changed role mapping makes the next run a full one', async (t) => {
  const { db } = t.context;
  const quiet = await sync(t);
  t.is(quiet.outcome, 'applied', JSON.stringify(quiet.problem));
  t.is(quiet.mode, 'incremental');
  t.is(quiet.counts.fetched, 0);
  t.true(isEmptyDiff(quiet.diff!));
  const config = directoryConfig({ ...t.context.config, roles: { ...t.context.config.roles, operator_groups: [GROUPS.operators, GROUPS.auditors] } });
  const remapped = await sync(t, {}, config);
  t.is(remapped.mode, 'full');
  t.true((await roleLines(db.knex, (await accountByUsername(db.knex, 'ingrid')).id)).includes(`operator <- ${GROUPS.auditors}`));
  t.is((await sync(t)).mode, 'full', 'and back');
});

test.serial('a configured group deleted in the directory fails the run and strips nobody', async (t) => {
  const { db, samba } = t.context;
  const before = await snapshot(db);
  const admin = await samba.admin();
  await admin.remove(GROUPS.operators);
  await admin.close();
  const r = await sync(t);
  t.is(r.outcome, 'failed');
  t.is(r.problem?.code, 'group_missing');
  t.deepEqual((await snapshot(db)).roles, before.roles);
});
