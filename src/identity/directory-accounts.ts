import type { Knex } from '../platform/db.js';
import { directoryAccounts, insertChunked, operatorEmails, roleAssignments, teamScopeMembers } from './repository.js';
import { revokeAccess } from './sessions.js';
import { forgetSessionsOfMany } from './sessions-service.js';
import type { AccountRow, AccountStatus, DirectoryAccountFields, RoleAssignmentRow, TeamScopeRow } from './types.js';

/**
 * Identity's side of the directory sync. The directory decides what should change
 * (src/directory/plan.ts); identity owns accounts, roles, team scopes and sessions,
 * so the reads it plans from and every write it decided go through here.
 */

/** Identity's rows the directory plans from: its accounts, its role assignments, the team scopes. */
export interface DirectoryIdentityState {
  accounts: AccountRow[];
  roles: RoleAssignmentRow[];
  scope: TeamScopeRow[];
}

/** What the directory sync decided should change in identity's tables. */
export interface DirectoryAccountChanges {
  inserts: Array<DirectoryAccountFields & { id: string; directory_id: string; status: AccountStatus; status_reason: string | null }>;
  fieldUpdates: Array<{ id: string; fields: Partial<DirectoryAccountFields> }>;
  statusChanges: Array<{ id: string; status: AccountStatus; reason: string | null }>;
  /** Accounts seen in this search (their last_seen_in_directory_at is bumped). */
  seen: string[];
  rolesToAdd: RoleAssignmentRow[];
  rolesToRemove: RoleAssignmentRow[];
  scopeToAdd: TeamScopeRow[];
  scopeToRemove: TeamScopeRow[];
  /** Accounts whose sessions end (disabled, deactivated, lost a role), with why. */
  revokeSessions: ReadonlyArray<{ accountId: string; reason: string }>;
}

/** Sessions (and personal API tokens) revoked for one account by applyDirectoryChanges. */
export interface RevokedSessions {
  accountId: string;
  /** Sessions ended. */
  count: number;
  /** Ids of the API tokens that ended with them (ids only: names are the owner's words). */
  tokenIds: string[];
  reason: string;
}

/** Reads what the directory sync plans against, in the caller's (locked) transaction. */
export async function directoryIdentityState(trx: Knex.Transaction): Promise<DirectoryIdentityState> {
  return { accounts: await directoryAccounts(trx), roles: await roleAssignments(trx, 'directory'), scope: await teamScopeMembers(trx, 'directory') };
}

/** Mail addresses of the active operators (the directory mails them when a sync fails or is held back). */
export async function operatorMailAddresses(trx: Knex | Knex.Transaction): Promise<string[]> {
  return operatorEmails(trx);
}

/**
 * Applies what the directory sync decided, in the caller's transaction (so it
 * commits with the sync's run record and audit events, or not at all): statuses,
 * field updates, new accounts, last-seen marks, roles, team scopes, and the
 * revocation of the sessions of everyone who lost access. Returns the revocations
 * per account (accounts with none included) for the audit trail.
 */
export async function applyDirectoryChanges(trx: Knex.Transaction, changes: DirectoryAccountChanges): Promise<RevokedSessions[]> {
  const now = trx.fn.now();
  // Deactivations first: a vanished user's username may be taken by a new account in the same run.
  const order = { deactivated: 0, disabled: 1, active: 2 } as const;
  for (const s of [...changes.statusChanges].sort((a, b) => order[a.status] - order[b.status])) {
    await trx('accounts').where({ id: s.id }).update({ status: s.status, status_reason: s.reason, status_changed_at: now, updated_at: now });
  }
  for (const u of changes.fieldUpdates) await trx('accounts').where({ id: u.id }).update({ ...u.fields, updated_at: now });
  await insertChunked(trx, 'accounts', changes.inserts.map((i) => ({ ...i, source: 'directory', last_seen_in_directory_at: now })));
  for (let i = 0; i < changes.seen.length; i += 1000) {
    await trx('accounts').whereIn('id', changes.seen.slice(i, i + 1000)).update({ last_seen_in_directory_at: now });
  }

  for (const r of changes.rolesToRemove) {
    await trx('role_assignments').where({ account_id: r.account_id, role: r.role, team: r.team, reason: r.reason, source: 'directory' }).delete();
  }
  await insertChunked(trx, 'role_assignments', changes.rolesToAdd);
  // A gained or lost role counts at once on this node, not after the session cache's lifetime.
  forgetSessionsOfMany(trx, [...changes.rolesToAdd, ...changes.rolesToRemove].map((r) => r.account_id));
  for (const s of changes.scopeToRemove) await trx('team_scope_members').where({ team: s.team, account_id: s.account_id, via: s.via, source: 'directory' }).delete();
  await insertChunked(trx, 'team_scope_members', changes.scopeToAdd);

  const revoked: RevokedSessions[] = [];
  for (const r of changes.revokeSessions) {
    const ended = await revokeAccess(trx, r.accountId, r.reason);
    revoked.push({ accountId: r.accountId, count: ended.sessions, tokenIds: ended.tokens.map((tk) => tk.id), reason: r.reason });
  }
  return revoked;
}

/**
 * What an incremental sync that read no change needs to know to skip planning: how
 * many directory accounts are active, and whether a stored expiry has passed (an
 * expiry changes no uSNChanged, so it must be looked for here).
 */
export async function directoryQuietCheck(trx: Knex.Transaction, now: Date): Promise<{ active: number; expired: number }> {
  const row = await trx('accounts')
    .where({ source: 'directory' })
    .first(
      trx.raw("count(*) FILTER (WHERE status = 'active') AS active"),
      trx.raw("count(*) FILTER (WHERE status = 'active' AND expires_at <= ?) AS expired", [now]),
    ) as { active: string; expired: string } | undefined;
  return { active: Number(row?.active ?? 0), expired: Number(row?.expired ?? 0) };
}
