import type { Knex } from '../platform/db.js';
import type { Role } from './types.js';

// What the operator console may read about accounts: who, where from, status, roles
// and why. Identity owns these tables, so the console reads them through here.

/** One row of the operator's user list: who, and every role with the group that grants it. */
export interface UserRoleRow {
  id: string;
  username: string;
  source: string;
  status: string;
  display_name: string | null;
  roles: Array<{ role: Role; team: string; reason: string }>;
}

/** Every account with its roles and their reasons (no time data: operators never see any). */
export async function usersWithRoles(db: Knex): Promise<UserRoleRow[]> {
  const accounts = await db('accounts').orderBy(['source', 'username']).select('id', 'username', 'source', 'status', 'display_name');
  const roles = (await db('role_assignments').orderBy(['role', 'team', 'reason']).select('account_id', 'role', 'team', 'reason')) as Array<{ account_id: string; role: Role; team: string; reason: string }>;
  const byAccount = new Map<string, UserRoleRow['roles']>();
  for (const r of roles) (byAccount.get(r.account_id) ?? byAccount.set(r.account_id, []).get(r.account_id)!).push({ role: r.role, team: r.team, reason: r.reason });
  return accounts.map((a) => ({ ...a, roles: byAccount.get(a.id) ?? [] }));
}

/** Whether an account with this id exists (a malformed id does not). */
export async function accountExists(db: Knex, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return false;
  return (await db('accounts').where({ id }).first('id')) !== undefined;
}
