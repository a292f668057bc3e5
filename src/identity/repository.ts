import type { Knex } from '../platform/db.js';
import type { AccountRow, AccountSource, RoleAssignmentRow, TeamScopeRow } from './types.js';

export { ROLES } from './types.js';

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

/** The team-scope table: every row, or only the rows one source manages. */
export async function teamScopeMembers(db: Knex | Knex.Transaction, source?: AccountSource): Promise<TeamScopeRow[]> {
  const q = db<TeamScopeRow>('team_scope_members').select('team', 'account_id', 'via');
  return source ? q.where({ source }) : q;
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

/** A local account by username (case-insensitive), or undefined. */
export async function localAccountByName(db: Knex | Knex.Transaction, username: string): Promise<AccountRow | undefined> {
  return db<AccountRow>('accounts').where({ source: 'local' }).andWhereRaw('lower(username) = lower(?)', [username]).first();
}

/** The teams whose scope holds an account, per source. */
export async function teamsOf(db: Knex | Knex.Transaction, accountId: string): Promise<TeamScopeRow[]> {
  return db<TeamScopeRow>('team_scope_members').where({ account_id: accountId }).orderBy(['team', 'via']).select('team', 'account_id', 'via', 'source');
}

/** How many active accounts hold the operator role, leaving one account out. */
export async function otherActiveOperators(db: Knex | Knex.Transaction, exceptId: string): Promise<number> {
  const row = await db('role_assignments as r')
    .join('accounts as a', 'a.id', 'r.account_id')
    .where({ 'r.role': 'operator', 'a.status': 'active' })
    .whereNot('a.id', exceptId)
    .countDistinct<{ n: string }[]>({ n: 'a.id' })
    .first();
  return Number(row?.n ?? 0);
}
