/**
 * Directory sync against a real Samba AD DC on loopback (test/helpers/samba.ts).
 * The tests share one Samba and one database and run in order: each builds on the
 * directory state the previous one left.
 */
import anyTest, { type TestFn } from 'ava';
import { runDirectorySync, type SyncOptions } from '../../src/directory/service.js';
import { connectDirectory } from '../../src/directory/ldap.js';
import { runMatchesDigest } from '../../src/directory/digest.js';
import { formatStatus } from '../../src/directory/presenter.js';
import { recentRuns, syncState } from '../../src/directory/repository.js';
import type { DirectoryConfig } from '../../src/platform/config.js';
import { startTestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { ADMIN_DN, BULK_USERS, FIXTURE_USER_PASSWORD, FINANCE_OU, GROUPS, STAFF_OU, USERS, startSamba, userDn, type SambaDirectory } from '../helpers/samba.js';
import { accountByUsername, arrayAuditRecorderStandIn, directoryConfig, insertSession, liveSessions, roleLines } from './support.js';

const test = anyTest as TestFn<{ samba: SambaDirectory; db: TestDatabase; config: DirectoryConfig }>;
const logger = testLogger('directory-sync');
const NAMED = Object.keys(USERS).length;

test.before(async (t) => {
  const samba = await startSamba();
  t.context.samba = samba;
  t.context.db = await createTestDatabase();
  t.context.config = directoryConfig(directoryRaw(samba));
});

/** The directory section used by these tests: LDAPS verified against the test CA. */
function directoryRaw(samba: SambaDirectory) {
  return {
    // LDAPS verified against the test CA: the production path, not plain LDAP.
    urls: [samba.ldapsUrl],
    ca_file: samba.caFile,
    bind_dn: ADMIN_DN,
    bind_password_file: samba.adminPasswordFile,
    base_dns: [STAFF_OU],
    page_size: 250,
    roles: {
      employee_groups: [GROUPS.employees],
      teams: [
        { name: 'Finance', admin_groups: [GROUPS.financeAdmins], scope: { ou: FINANCE_OU } },
        { name: 'Sales', admin_groups: [GROUPS.salesAdmins], scope: { groups: [GROUPS.salesTeam] } },
      ],
      auditor_groups: [GROUPS.auditors],
      operator_groups: [GROUPS.operators],
    },
  };
}

test.after.always(async (t) => {
  await t.context.db?.drop();
  await t.context.samba?.stop();
});

function sync(t: { context: { db: TestDatabase; config: DirectoryConfig } }, opts: Partial<SyncOptions> = {}, config?: DirectoryConfig) {
  const audit = arrayAuditRecorderStandIn();
  const result = runDirectorySync(t.context.db.knex, { config: config ?? t.context.config, audit, logger }, { trigger: 'test', actorId: 'system', ...opts });
  return result.then((r) => ({ ...r, audit }));
}

async function tableCounts(db: TestDatabase) {
  const count = async (table: string) => Number((await db.knex(table).count<{ n: string }[]>({ n: '*' }))[0]!.n);
  return {
    accounts: await count('accounts'), roles: await count('role_assignments'), scope: await count('team_scope_members'),
    runs: await count('directory_sync_runs'), mail: await count('mail_outbox'),
    active: Number((await db.knex('accounts').where({ status: 'active' }).count<{ n: string }[]>({ n: '*' }))[0]!.n),
  };
}

test.serial('first sync over LDAPS: more than 1,000 users through paged search, nested groups, disabled user, missing mail, non-ASCII names', async (t) => {
  const { db } = t.context;
  const r = await sync(t);
  t.is(r.outcome, 'applied', JSON.stringify(r.problem));
  t.is(r.mode, 'full');
  t.is(r.counts.fetched, BULK_USERS + NAMED);
  t.is(r.counts.created, BULK_USERS + NAMED);
  t.is((await tableCounts(db)).accounts, BULK_USERS + NAMED);

  const bob = await accountByUsername(db.knex, 'bob');
  t.is(bob.status, 'disabled');
  const carol = await accountByUsername(db.knex, 'carol');
  t.is(carol.email, null);
  t.is(carol.status, 'active');
  const zoe = await accountByUsername(db.knex, 'zoe');
  t.is(zoe.display_name, 'Zoë Ŝtrüßel-Ørsted');
  t.is(zoe.surname, 'Ŝtrüßel-Ørsted');
  t.is(zoe.department, 'Financiën');
  t.is(zoe.dn, userDn(USERS.zoe));
  t.regex(String(zoe.directory_id), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  // Three levels of nesting: alice ∈ Finance Leads ∈ Team Leads ∈ Uurwerk Finance Admins.
  const alice = await accountByUsername(db.knex, 'alice');
  t.deepEqual(await roleLines(db.knex, alice.id), [`employee <- ${GROUPS.employees}`, `team_admin:Finance <- ${GROUPS.financeAdmins}`]);
  t.deepEqual(await roleLines(db.knex, (await accountByUsername(db.knex, 'oscar')).id), [`employee <- ${GROUPS.employees}`, `operator <- ${GROUPS.operators}`]);
  t.deepEqual(await roleLines(db.knex, (await accountByUsername(db.knex, 'ingrid')).id), [`auditor <- ${GROUPS.auditors}`, `employee <- ${GROUPS.employees}`]);
  // Employees through two levels of nesting (Uurwerk Employees ∋ All Staff ∋ everyone).
  const employees = await db.knex('role_assignments').where({ role: 'employee' }).count<{ n: string }[]>({ n: '*' });
  t.is(Number(employees[0]!.n), BULK_USERS + NAMED);

  const scope = async (team: string) => (await db.knex('team_scope_members as s').join('accounts as a', 'a.id', 's.account_id').where('s.team', team).pluck('a.username')).sort();
  t.deepEqual(await scope('Finance'), ['alice', 'carol', 'zoe']);
  const sales = await scope('Sales');
  t.is(sales.length, 14);
  t.true(['bob', 'dave', 'erin', 'frank'].every((u) => sales.includes(u)));

  const run = await db.knex('directory_sync_runs').first();
  t.is(run.outcome, 'applied');
  t.is(run.counts.created, BULK_USERS + NAMED);
  const state = await db.knex('directory_sync_state').first();
  t.truthy(state.invocation_id);
  t.regex(String(state.highest_usn), /^\d+$/);
  t.true(r.audit.events.some((e) => e.action === 'directory.sync.applied'));
});

test.serial('a directory user signs in through the appliance by binding as themselves over LDAPS (real Samba)', async (t) => {
  const { samba } = t.context;
  const a = await startTestApp(t, { directory: { ...directoryRaw(samba) } });
  const synced = await runDirectorySync(a.db.knex, { config: a.config.directory, audit: a.app.services.audit, logger }, { trigger: 'test', actorId: 'system' });
  t.is(synced.outcome, 'applied', JSON.stringify(synced.problem));
  const signIn = (username: string, password: string) =>
    new ApiClient(a.url).json<{ state: string }>('POST', '/api/v1/session', { username, password });
  const ok = await signIn(USERS.alice.sam, FIXTURE_USER_PASSWORD);
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.is((await signIn(USERS.alice.sam, 'Wrong-Password-123!')).status, 401);
  t.is((await signIn(USERS.bob.sam, FIXTURE_USER_PASSWORD)).status, 401, 'disabled in AD');
  const event = await a.db.knex('audit.events').where({ action: 'auth.login.succeeded' }).first('payload');
  t.is(event.payload.source, 'directory');
  t.false(JSON.stringify(await a.db.knex('accounts').select('*')).includes(FIXTURE_USER_PASSWORD), 'the password is never stored');
});

test.serial('StartTLS on ldap:// with the CA file connects and reads the server state', async (t) => {
  const config = directoryConfig({ ...t.context.config, urls: [t.context.samba.url], starttls: true });
  const reader = await connectDirectory(config, logger);
  try {
    const s = await reader.serverState();
    t.truthy(s.dsServiceName);
    t.truthy(s.invocationId);
  } finally {
    await reader.close();
  }
});

test.serial('dry run prints the diff and changes nothing', async (t) => {
  const { db, samba } = t.context;
  const admin = await samba.admin();
  await admin.replace(userDn(USERS.carol), 'displayName', 'Carol Claes-Verbeek');
  await admin.close();
  const before = await tableCounts(db);
  const carolBefore = await accountByUsername(db.knex, 'carol');
  const r = await sync(t, { dryRun: true });
  t.is(r.outcome, 'dry_run');
  t.deepEqual(r.diff!.updated.map((u) => [u.username, u.fields]), [['carol', ['display_name']]]);
  t.deepEqual(await tableCounts(db), before);
  t.is((await accountByUsername(db.knex, 'carol')).display_name, carolBefore.display_name);
  t.is(r.audit.events.length, 0);
});

test.serial('incremental sync (uSNChanged) picks up a change without reading every user', async (t) => {
  const { db } = t.context;
  const r = await sync(t);
  t.is(r.outcome, 'applied');
  t.is(r.mode, 'incremental');
  t.true(r.counts.fetched! < 10, `fetched ${r.counts.fetched}`);
  t.is(r.counts.updated, 1);
  t.is((await accountByUsername(db.knex, 'carol')).display_name, 'Carol Claes-Verbeek');
});

test.serial('a renamed and a moved user keep their account (identity is objectGUID)', async (t) => {
  const { db, samba } = t.context;
  const daveBefore = await accountByUsername(db.knex, 'dave');
  const erinBefore = await accountByUsername(db.knex, 'erin');
  const admin = await samba.admin();
  const daveNewDn = `CN=${USERS.dave.cn},${FINANCE_OU}`;
  await admin.move(userDn(USERS.dave), daveNewDn);
  const erinNewDn = `CN=Erin Evers-Jansen,${USERS.erin.ou}`;
  await admin.move(userDn(USERS.erin), erinNewDn);
  await admin.replace(erinNewDn, 'sAMAccountName', 'erin.jansen');
  await admin.close();

  const r = await sync(t);
  t.is(r.outcome, 'applied');
  t.is(r.counts.created, 0);
  const dave = await accountByUsername(db.knex, 'dave');
  t.is(dave.id, daveBefore.id);
  t.is(dave.dn, daveNewDn);
  const erin = await accountByUsername(db.knex, 'erin.jansen');
  t.is(erin.id, erinBefore.id);
  t.is(erin.dn, erinNewDn);
  // The move put dave into the Finance OU scope; his Sales group membership stays.
  const teams = await db.knex('team_scope_members').where({ account_id: dave.id }).orderBy('team').pluck('team');
  t.deepEqual(teams, ['Finance', 'Sales']);
  // Erin's role is still explained by the same group after the rename.
  t.true((await roleLines(db.knex, erin.id)).includes(`team_admin:Sales <- ${GROUPS.salesAdmins}`));
});

test.serial('a user disabled in AD is disabled here and their sessions are revoked in the same sync', async (t) => {
  const { db, samba } = t.context;
  const dave = await accountByUsername(db.knex, 'dave');
  await insertSession(db.knex, dave.id);
  await insertSession(db.knex, dave.id);
  const admin = await samba.admin();
  await admin.replace(`CN=${USERS.dave.cn},${FINANCE_OU}`, 'userAccountControl', '514');
  await admin.close();

  const r = await sync(t);
  t.is(r.outcome, 'applied');
  t.deepEqual(r.diff!.disabled.map((d) => d.username), ['dave']);
  t.is((await accountByUsername(db.knex, 'dave')).status, 'disabled');
  t.is(await liveSessions(db.knex, dave.id), 0);
  t.is(r.counts.sessionsRevoked, 2);
  const revoked = await db.knex('sessions').where({ account_id: dave.id }).first();
  t.regex(revoked.revoke_reason, /disabled in the directory/);
  t.true(r.audit.events.some((e) => e.action === 'identity.account.disabled' && e.subjectId === dave.id));
  t.true(r.audit.events.some((e) => e.action === 'auth.session.revoked' && e.subjectId === dave.id));
});

test.serial('removal from a nested admin group removes the role and revokes sessions during the sync', async (t) => {
  const { db, samba } = t.context;
  const alice = await accountByUsername(db.knex, 'alice');
  await insertSession(db.knex, alice.id);
  const admin = await samba.admin();
  // The innermost of the three levels: alice ∈ Finance Leads.
  await admin.removeMember(GROUPS.financeLeads, userDn(USERS.alice));
  await admin.close();

  const r = await sync(t);
  t.is(r.outcome, 'applied');
  t.deepEqual(r.diff!.roleChanges.map((c) => [c.username, c.role, c.team, c.change]), [['alice', 'team_admin', 'Finance', 'removed']]);
  t.deepEqual(await roleLines(db.knex, alice.id), [`employee <- ${GROUPS.employees}`]);
  t.is(await liveSessions(db.knex, alice.id), 0);
  t.is((await accountByUsername(db.knex, 'alice')).status, 'active');
  // One event for the run, whose digest covers the role change; none per role.
  t.false(r.audit.events.some((e) => e.action === 'admin.role.revoked'));
  const applied = r.audit.events.find((e) => e.action === 'directory.sync.applied')!;
  const run = await db.knex('directory_sync_runs').where({ id: applied.payload!.runId }).first();
  t.true(runMatchesDigest(run, applied.payload!.digest));
  run.diff.roleChanges[0].change = 'added';
  t.false(runMatchesDigest(run, applied.payload!.digest), 'an edited run record no longer matches');
});

test.serial('a user moved out of the base DNs is deactivated by the next incremental run, never deleted; the full reconcile agrees', async (t) => {
  const { db, samba } = t.context;
  const frank = await accountByUsername(db.knex, 'frank');
  await insertSession(db.knex, frank.id);
  const admin = await samba.admin();
  // Out of scope, not deleted: no tombstone; the incremental run looks for changed users outside the base DNs.
  await admin.move(userDn(USERS.frank), `CN=${USERS.frank.cn},CN=Users,DC=corp,DC=example,DC=test`);
  await admin.close();

  const incremental = await sync(t);
  t.is(incremental.outcome, 'applied', JSON.stringify(incremental.problem));
  t.is(incremental.mode, 'incremental');
  t.deepEqual(incremental.diff!.deactivated.map((d) => d.username), ['frank']);
  const after = await db.knex('accounts').where({ id: frank.id }).first();
  t.is(after.status, 'deactivated');
  t.is(after.status_reason, 'moved out of the base DNs');
  t.is(await liveSessions(db.knex, frank.id), 0);
  t.deepEqual(await roleLines(db.knex, frank.id), []);

  const full = await sync(t, { full: true });
  t.is(full.outcome, 'applied');
  t.is(full.mode, 'full');
  t.deepEqual(full.diff!.deactivated, []);
  t.is((await db.knex('accounts').where({ id: frank.id }).first()).status, 'deactivated');
});

test.serial('a search that finds zero users changes nothing, records why and mails the operators', async (t) => {
  const { db } = t.context;
  const before = await tableCounts(db);
  const config = directoryConfig({ ...t.context.config, user_filter: '(&(objectClass=user)(sAMAccountName=nobody-by-this-name))' });
  const r = await sync(t, { full: true }, config);
  t.is(r.outcome, 'blocked');
  t.is(r.problem?.code, 'zero_users');
  const after = await tableCounts(db);
  t.is(after.active, before.active);
  t.is(after.accounts, before.accounts);
  const mail = await db.knex('mail_outbox').orderBy('created_at', 'desc').first();
  t.deepEqual(mail.recipients, ['oscar@corp.example.test']);
  t.regex(mail.text_body, /zero users/);
  const run = await db.knex('directory_sync_runs').orderBy('started_at', 'desc').first();
  t.is(run.outcome, 'blocked');
  t.is(run.error_code, 'zero_users');
  t.true(run.operators_mailed);
  t.true(r.audit.events.some((e) => e.action === 'directory.sync.blocked'));
});

test.serial('an unreachable server changes nothing and mails the operators once, not on every retry', async (t) => {
  const { db } = t.context;
  const before = await tableCounts(db);
  const config = directoryConfig({ ...t.context.config, urls: ['ldaps://127.0.0.1:1'], timeout_seconds: 2 });
  const r = await sync(t, { full: true }, config);
  t.is(r.outcome, 'failed');
  t.is(r.problem?.code, 'unreachable');
  t.true(r.operatorsMailed);
  const after = await tableCounts(db);
  t.is(after.active, before.active);
  t.is(after.mail, before.mail + 1);
  const again = await sync(t, { full: true }, config);
  t.is(again.outcome, 'failed');
  t.false(again.operatorsMailed);
  t.is((await tableCounts(db)).mail, before.mail + 1);
});

test.serial('a sync that would deactivate more than max(5, 10%) is held with its pending diff; --confirm-mass-change applies it', async (t) => {
  const { db } = t.context;
  const before = await tableCounts(db);
  // A base DN narrowed by mistake: only the Finance OU remains visible.
  const config = directoryConfig({ ...t.context.config, base_dns: [FINANCE_OU] });
  const held = await sync(t, { full: true }, config);
  t.is(held.outcome, 'blocked');
  t.is(held.problem?.code, 'mass_deactivation');
  t.is((await tableCounts(db)).active, before.active);
  const run = await db.knex('directory_sync_runs').orderBy('started_at', 'desc').first();
  t.is(run.error_code, 'mass_deactivation');
  t.true(run.diff.deactivated.length > 1000);
  // What `uurwerk ldap:status` prints: the held run, why, and the pending diff.
  const status = formatStatus(config, await syncState(db.knex), await recentRuns(db.knex, 3)).join('\n');
  t.regex(status, /blocked full \(test\)/);
  t.regex(status, /mass_deactivation: the sync would deactivate \d+ of \d+ active accounts/);
  t.regex(status, /pending changes \(held back; apply with `uurwerk ldap:sync --confirm-mass-change`\):\n {2}deactivated: \d+/);

  const confirmed = await sync(t, { full: true, confirmMassChange: true }, config);
  t.is(confirmed.outcome, 'applied');
  const after = await tableCounts(db);
  t.is(after.active, 3); // alice, carol, zoe; dave is disabled
  t.is(after.accounts, before.accounts);
});
