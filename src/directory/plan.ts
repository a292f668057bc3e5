import { randomUUID } from 'node:crypto';
import type { DirectoryConfig } from '../platform/config.js';
import type { DirectoryAccountChanges } from '../identity/directory-accounts.js';
import type { AccountRow, AccountStatus, DirectoryAccountFields, Role, RoleAssignmentRow, TeamScopeRow } from '../identity/types.js';
import type { DirectoryUser } from './entry.js';
import { slicer, type Slicer } from './slices.js';

/**
 * The sync as a pure function: given what the database holds and what the directory
 * returned, decide every change. No I/O here, so the diff a dry run prints is exactly
 * the diff a real run applies.
 */

/** Reason stored for the employee role when no employee groups are configured. */
export const ALL_DIRECTORY_USERS = '(every directory user: no employee_groups configured)';

/** Who an entry of the diff is about; `username` is for people reading the diff. */
export interface DiffPerson {
  accountId: string;
  directoryId: string;
  username: string;
}

/** One role added or removed, with the group (or OU) that causes it. */
export interface RoleChange extends DiffPerson {
  role: Role;
  team: string;
  reason: string;
  change: 'added' | 'removed';
}

/** What a sync would change; stored as the pending diff and printed by a dry run. */
export interface SyncDiff {
  created: DiffPerson[];
  updated: Array<DiffPerson & { fields: string[] }>;
  disabled: Array<DiffPerson & { reason: string }>;
  reEnabled: DiffPerson[];
  deactivated: DiffPerson[];
  roleChanges: RoleChange[];
  scopeChanges: Array<{ team: string; added: number; removed: number }>;
  /** Accounts whose sessions are revoked, and why. */
  revokeSessions: Array<DiffPerson & { reason: string }>;
}

/** Field values of an account as the sync writes them. */
export type AccountFields = DirectoryAccountFields;

/**
 * The write plan behind a diff: the changes identity applies
 * (`DirectoryAccountChanges`, less the session revocations the sync derives from them),
 * with the diff they came from and how many accounts were active before.
 */
export interface SyncPlan extends Omit<DirectoryAccountChanges, 'revokeSessions'> {
  diff: SyncDiff;
  activeBefore: number;
}

/** What the directory said in this run. */
export interface Fetched {
  mode: 'full' | 'incremental';
  users: DirectoryUser[];
  /** Group DN (as configured) → stable ids of its members, nested membership counted. */
  members: Map<string, Set<string>>;
  /** Stable ids of objects deleted in the directory since the bookmark (incremental runs). */
  deleted?: ReadonlySet<string>;
  /** Stable ids of users found outside every base DN (moved out since the bookmark; incremental runs). */
  outOfScope?: ReadonlySet<string>;
}

/** Every group DN the role mapping needs, each once. */
export function configuredGroups(config: DirectoryConfig): string[] {
  const r = config.roles;
  const all = [
    ...r.employee_groups,
    ...r.auditor_groups,
    ...r.operator_groups,
    ...r.dpo_groups,
    ...r.reports_groups,
    ...r.payroll_groups,
    ...r.teams.flatMap((t) => [...t.admin_groups, ...('groups' in t.scope ? t.scope.groups : [])]),
  ];
  return [...new Set(all)];
}

function fieldsOf(u: DirectoryUser): AccountFields {
  return {
    dn: u.dn,
    username: u.username,
    display_name: u.displayName,
    given_name: u.givenName,
    surname: u.surname,
    email: u.email,
    department: u.department,
    employee_number: u.employeeNumber,
    expires_at: u.expiresAt,
  };
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return (a instanceof Date ? a.getTime() : a) === (b instanceof Date ? b.getTime() : b);
  return a === b;
}

/** True when `dn` lies under `ou` (case-insensitive, ignoring blanks after commas). */
export function dnIsUnder(dn: string, ou: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\s*,\s*/g, ',').trim();
  return norm(dn).endsWith(',' + norm(ou));
}

const roleKey = (r: { account_id: string; role: string; team: string; reason: string }) => `${r.account_id}|${r.role}|${r.team}|${r.reason}`;
const scopeKey = (s: TeamScopeRow) => `${s.team}|${s.account_id}|${s.via}`;

/**
 * Plans one sync. A full run deactivates directory accounts it no longer finds; an
 * incremental run only sees changed users, so it deactivates only the users the
 * directory reports deleted (tombstones since the bookmark) or found outside the base
 * DNs (moved out, alone or with their OU), but it still
 * disables accounts whose stored expiry has passed (expiry changes no USN).
 * Roles and team scopes are recomputed completely on every run from the resolved group
 * membership (src/directory/groups.ts). Runs in one go; the sync itself uses
 * `planSyncSliced`, the same plan with event-loop turns between slices.
 */
export function planSync(input: PlanInput): SyncPlan {
  const steps = planSteps(input);
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/**
 * `planSync` cut into slices (src/directory/slices.ts): a full sync of thousands of
 * users plans for tens of milliseconds, and requests sharing the event loop should
 * not wait that long. Reads and writes nothing either.
 */
export async function planSyncSliced(input: PlanInput, s: Slicer = slicer()): Promise<SyncPlan> {
  const steps = planSteps(input);
  let r = steps.next();
  while (!r.done) {
    await s.tick();
    r = steps.next();
  }
  return r.value;
}

/** What the planner is given: the configuration, the clock, identity's rows and what the directory said. */
export interface PlanInput {
  config: DirectoryConfig;
  now: Date;
  accounts: AccountRow[];
  roles: RoleAssignmentRow[];
  scope: TeamScopeRow[];
  fetched: Fetched;
  newId?: () => string;
}

/** The planner as a generator: it yields after each unit of work, so a driver can pause between any two. */
function* planSteps(input: PlanInput): Generator<void, SyncPlan, void> {
  const { config, now, accounts, fetched } = input;
  const newId = input.newId ?? randomUUID;
  const diff: SyncDiff = { created: [], updated: [], disabled: [], reEnabled: [], deactivated: [], roleChanges: [], scopeChanges: [], revokeSessions: [] };
  const plan: SyncPlan = {
    diff, inserts: [], fieldUpdates: [], statusChanges: [], seen: [], rolesToAdd: [], rolesToRemove: [], scopeToAdd: [], scopeToRemove: [],
    activeBefore: accounts.filter((a) => a.status === 'active').length,
  };

  const byDirectoryId = new Map(accounts.map((a) => [a.directory_id!, a]));
  /** Final state of every directory account after this plan: id, directory id, username, dn, status. */
  const final = new Map<string, { accountId: string; directoryId: string; username: string; dn: string; status: AccountStatus }>();
  for (const a of accounts) final.set(a.directory_id!, { accountId: a.id, directoryId: a.directory_id!, username: a.username, dn: a.dn ?? '', status: a.status });
  const person = (f: { accountId: string; directoryId: string; username: string }): DiffPerson => ({ accountId: f.accountId, directoryId: f.directoryId, username: f.username });
  const revoke = new Map<string, DiffPerson & { reason: string }>();

  const seenIds = new Set<string>();
  for (const u of fetched.users) {
    yield;
    seenIds.add(u.directoryId);
    const status: AccountStatus = u.disabled ? 'disabled' : 'active';
    const existing = byDirectoryId.get(u.directoryId);
    if (!existing) {
      const id = newId();
      plan.inserts.push({ id, directory_id: u.directoryId, status, status_reason: u.disabledReason, ...fieldsOf(u) });
      const f = { accountId: id, directoryId: u.directoryId, username: u.username, dn: u.dn, status };
      final.set(u.directoryId, f);
      diff.created.push(person(f));
      continue;
    }
    plan.seen.push(existing.id);
    const wanted = fieldsOf(u);
    const changed: Partial<AccountFields> = {};
    for (const [k, v] of Object.entries(wanted) as Array<[keyof AccountFields, AccountFields[keyof AccountFields]]>) {
      if (!same(existing[k], v)) (changed as Record<string, unknown>)[k] = v;
    }
    const f = { accountId: existing.id, directoryId: u.directoryId, username: u.username, dn: u.dn, status };
    final.set(u.directoryId, f);
    if (Object.keys(changed).length > 0) {
      plan.fieldUpdates.push({ id: existing.id, fields: changed });
      diff.updated.push({ ...person(f), fields: Object.keys(changed).sort() });
    }
    if (existing.status !== status) {
      plan.statusChanges.push({ id: existing.id, status, reason: u.disabledReason });
      if (status === 'disabled') {
        diff.disabled.push({ ...person(f), reason: u.disabledReason ?? 'disabled' });
        revoke.set(existing.id, { ...person(f), reason: `directory: ${u.disabledReason ?? 'disabled'}` });
      } else {
        diff.reEnabled.push(person(f));
      }
    }
  }

  for (const a of accounts) {
    yield;
    if (seenIds.has(a.directory_id!)) continue;
    const f = final.get(a.directory_id!)!;
    const deletedNow = fetched.deleted?.has(a.directory_id!) === true;
    const movedOut = !deletedNow && fetched.outOfScope?.has(a.directory_id!) === true;
    if ((fetched.mode === 'full' || deletedNow || movedOut) && a.status !== 'deactivated') {
      const reason = deletedNow ? 'deleted in the directory' : movedOut ? 'moved out of the base DNs' : 'no longer found in the directory';
      plan.statusChanges.push({ id: a.id, status: 'deactivated', reason });
      f.status = 'deactivated';
      diff.deactivated.push(person(f));
      revoke.set(a.id, { ...person(f), reason: `directory: ${reason}` });
    } else if (a.status === 'active' && a.expires_at && a.expires_at.getTime() <= now.getTime()) {
      plan.statusChanges.push({ id: a.id, status: 'disabled', reason: 'account expired in the directory' });
      f.status = 'disabled';
      diff.disabled.push({ ...person(f), reason: 'account expired in the directory' });
      revoke.set(a.id, { ...person(f), reason: 'directory: account expired' });
    }
  }

  // Roles: every non-deactivated account that a configured group names. Group members
  // we hold no account for (outside the base DNs or the user filter) are ignored.
  const live = new Map([...final.values()].filter((f) => f.status !== 'deactivated').map((f) => [f.directoryId, f]));
  const desired: RoleAssignmentRow[] = [];
  function* grant(groups: string[], role: Role, team = ''): Generator<void, void, void> {
    for (const g of groups) {
      for (const id of fetched.members.get(g) ?? []) {
        yield;
        const f = live.get(id);
        if (f) desired.push({ account_id: f.accountId, role, team, reason: g, source: 'directory' });
      }
    }
  }
  const r = config.roles;
  if (r.employee_groups.length === 0) {
    for (const f of live.values()) desired.push({ account_id: f.accountId, role: 'employee', team: '', reason: ALL_DIRECTORY_USERS, source: 'directory' });
  } else {
    yield* grant(r.employee_groups, 'employee');
  }
  for (const t of r.teams) yield* grant(t.admin_groups, 'team_admin', t.name);
  yield* grant(r.auditor_groups, 'auditor');
  yield* grant(r.operator_groups, 'operator');
  yield* grant(r.dpo_groups, 'dpo');
  yield* grant(r.reports_groups, 'reports');
  yield* grant(r.payroll_groups, 'payroll');

  const currentRoles = new Map(input.roles.map((x) => [roleKey(x), x]));
  const desiredRoles = new Map(desired.map((x) => [roleKey(x), x]));
  const byAccountId = new Map([...final.values()].map((f) => [f.accountId, f]));
  for (const [k, x] of desiredRoles) {
    yield;
    if (currentRoles.has(k)) continue;
    plan.rolesToAdd.push(x);
    diff.roleChanges.push({ ...person(byAccountId.get(x.account_id)!), role: x.role, team: x.team, reason: x.reason, change: 'added' });
  }
  for (const [k, x] of currentRoles) {
    yield;
    if (desiredRoles.has(k)) continue;
    plan.rolesToRemove.push(x);
    const f = byAccountId.get(x.account_id);
    if (!f) continue;
    diff.roleChanges.push({ ...person(f), role: x.role, team: x.team, reason: x.reason, change: 'removed' });
  }
  // Losing a role takes effect now, not at the next login: the sessions that carried
  // it are revoked. A role that still holds through another group is not lost.
  const stillHeld = new Set(desired.map((x) => `${x.account_id}|${x.role}|${x.team}`));
  for (const x of plan.rolesToRemove) {
    if (stillHeld.has(`${x.account_id}|${x.role}|${x.team}`) || revoke.has(x.account_id)) continue;
    const f = byAccountId.get(x.account_id);
    if (f) revoke.set(x.account_id, { ...person(f), reason: `directory: role ${x.role}${x.team ? ` (${x.team})` : ''} removed` });
  }

  // Team scopes: members of the scope groups, or every live account under the OU.
  const desiredScope: TeamScopeRow[] = [];
  for (const t of r.teams) {
    if ('groups' in t.scope) {
      for (const g of t.scope.groups) {
        for (const id of fetched.members.get(g) ?? []) {
          yield;
          const f = live.get(id);
          if (f) desiredScope.push({ team: t.name, account_id: f.accountId, via: g });
        }
      }
    } else {
      for (const f of live.values()) if (dnIsUnder(f.dn, t.scope.ou)) desiredScope.push({ team: t.name, account_id: f.accountId, via: t.scope.ou });
    }
  }
  const currentScope = new Map(input.scope.map((s) => [scopeKey(s), s]));
  const wantedScope = new Map(desiredScope.map((s) => [scopeKey(s), s]));
  const perTeam = new Map<string, { added: number; removed: number }>();
  const bump = (team: string, k: 'added' | 'removed') => {
    const c = perTeam.get(team) ?? { added: 0, removed: 0 };
    c[k]++;
    perTeam.set(team, c);
  };
  for (const [k, x] of wantedScope) if (!currentScope.has(k)) { plan.scopeToAdd.push(x); bump(x.team, 'added'); }
  for (const [k, x] of currentScope) if (!wantedScope.has(k)) { plan.scopeToRemove.push(x); bump(x.team, 'removed'); }
  diff.scopeChanges = [...perTeam.entries()].map(([team, c]) => ({ team, ...c })).sort((a, b) => a.team.localeCompare(b.team));

  diff.revokeSessions = [...revoke.values()];
  return plan;
}

/** A plan that changes nothing (an incremental run that read no change). */
export function emptyPlan(activeBefore: number): SyncPlan {
  return {
    diff: { created: [], updated: [], disabled: [], reEnabled: [], deactivated: [], roleChanges: [], scopeChanges: [], revokeSessions: [] },
    inserts: [], fieldUpdates: [], statusChanges: [], seen: [], rolesToAdd: [], rolesToRemove: [], scopeToAdd: [], scopeToRemove: [], activeBefore,
  };
}

/** Counts for the run record and `ldap:status`. */
export function diffCounts(plan: SyncPlan, fetchedUsers: number): Record<string, number> {
  const d = plan.diff;
  return {
    fetched: fetchedUsers,
    activeBefore: plan.activeBefore,
    created: d.created.length,
    updated: d.updated.length,
    disabled: d.disabled.length,
    reEnabled: d.reEnabled.length,
    deactivated: d.deactivated.length,
    rolesAdded: d.roleChanges.filter((c) => c.change === 'added').length,
    rolesRemoved: d.roleChanges.filter((c) => c.change === 'removed').length,
    scopeAdded: plan.scopeToAdd.length,
    scopeRemoved: plan.scopeToRemove.length,
    sessionsRevoked: d.revokeSessions.length,
  };
}

/** The safety-valve limit: more deactivations than this in one run are held back. */
export function deactivationLimit(config: DirectoryConfig, activeBefore: number): number {
  return Math.max(config.safety.max_deactivate_count, Math.floor((activeBefore * config.safety.max_deactivate_percent) / 100));
}

/** True when the diff changes nothing at all. */
export function isEmptyDiff(d: SyncDiff): boolean {
  return d.created.length + d.updated.length + d.disabled.length + d.reEnabled.length + d.deactivated.length + d.roleChanges.length + d.scopeChanges.length === 0;
}
