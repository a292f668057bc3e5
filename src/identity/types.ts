/**
 * The row shapes identity owns (accounts, roles, team scopes). Other domains may use
 * these types; only identity writes the rows.
 */

/** Where an account comes from; usernames are unique per source, not across sources. */
export type AccountSource = 'directory' | 'local';

/** active: may sign in; disabled: blocked (by the directory or an operator); deactivated: gone from the directory, kept for retention. */
export type AccountStatus = 'active' | 'disabled' | 'deactivated';

/** The roles Uurwerk knows. */
export type Role = 'employee' | 'team_admin' | 'auditor' | 'operator' | 'dpo' | 'reports' | 'payroll';

/** An account row as stored. */
export interface AccountRow {
  id: string;
  source: AccountSource;
  username: string;
  directory_id: string | null;
  dn: string | null;
  display_name: string | null;
  given_name: string | null;
  surname: string | null;
  email: string | null;
  department: string | null;
  employee_number: string | null;
  status: AccountStatus;
  status_reason: string | null;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  status_changed_at: Date;
  last_seen_in_directory_at: Date | null;
}

/** One role assignment and why it exists (`reason`: the AD group, OU or other cause). */
export interface RoleAssignmentRow {
  account_id: string;
  role: Role;
  team: string;
  reason: string;
  source: AccountSource;
  created_at?: Date;
}

/** One member of a team's scope and the group or OU that put them there. */
export interface TeamScopeRow {
  team: string;
  account_id: string;
  via: string;
  /** Who manages the row (default 'directory'); the directory sync never touches 'local' rows. */
  source?: AccountSource;
}

/** Every role, in the order pages list them. */
export const ROLES: readonly Role[] = ['employee', 'team_admin', 'operator', 'auditor', 'dpo', 'reports', 'payroll'];

/** The account fields the directory supplies (and keeps up to date). */
export type DirectoryAccountFields = Pick<AccountRow, 'username' | 'display_name' | 'given_name' | 'surname' | 'email' | 'department' | 'employee_number' | 'expires_at'> & { dn: string };
