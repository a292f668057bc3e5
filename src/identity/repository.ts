import type { Knex } from '../platform/db.js';
import type { AccountRow, AccountSource, RoleAssignmentRow, TeamScopeRow } from './types.js';

export type { AccountRow, AccountSource, AccountStatus, Role, RoleAssignmentRow, TeamScopeRow } from './types.js';

/** Every account that came from the directory (all statuses). */
export async function directoryAccounts(db: Knex | Knex.Transaction): Promise<AccountRow[]> {
  return db<AccountRow>('accounts').where({ source: 'directory' }).select('*');
}

/** One account by id, or undefined. */
export async function accountById(db: Knex | Knex.Transaction, id: string): Promise<AccountRow | undefined> {
  return db<AccountRow>('accounts').where({ id }).first();
}

/** Role assignments managed by the given source. */
export async function roleAssignments(db: Knex | Knex.Transaction, source: AccountSource): Promise<RoleAssignmentRow[]> {
  return db<RoleAssignmentRow>('role_assignments').where({ source }).select('account_id', 'role', 'team', 'reason', 'source');
}

/** Role assignments of one account, with their reasons (for "why does X have this role"). */
export async function rolesOf(db: Knex | Knex.Transaction, accountId: string): Promise<RoleAssignmentRow[]> {
  return db<RoleAssignmentRow>('role_assignments').where({ account_id: accountId }).orderBy(['role', 'team', 'reason']);
}

/** The whole team-scope table. */
export async function teamScopeMembers(db: Knex | Knex.Transaction): Promise<TeamScopeRow[]> {
  return db<TeamScopeRow>('team_scope_members').select('team', 'account_id', 'via');
}

/** Mail addresses of active accounts holding the operator role (any source). */
export async function operatorEmails(db: Knex | Knex.Transaction): Promise<string[]> {
  const rows = await db('accounts as a')
    .join('role_assignments as r', 'r.account_id', 'a.id')
    .where('r.role', 'operator')
    .andWhere('a.status', 'active')
    .whereNotNull('a.email')
    .distinct('a.email');
  return rows.map((r: { email: string }) => r.email).sort();
}

/** Inserts many rows in chunks (one statement per chunk keeps big first syncs fast). */
export async function insertChunked<T extends object>(trx: Knex.Transaction, table: string, rows: T[], chunk = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await trx(table).insert(rows.slice(i, i + chunk));
}
