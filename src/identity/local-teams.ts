import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import { idConflict, idProblem } from './problems.js';
import { otherActiveOperators } from './repository.js';
import { forgetSessionsOf } from './sessions-service.js';
import { ROLES, type Role } from './types.js';

/**
 * Teams, team membership and role grants an operator manages by hand (sites without a
 * directory, or beside one). They are rows of the same tables the directory fills
 * (`team_scope_members`, `role_assignments`) with source 'local', so row security and
 * every policy read them the same way; the directory sync plans from and removes only
 * its own rows. A local person may be in a directory team and a directory person may
 * hold a local grant: a site can mix both.
 */

/** What the local team and role operations need. */
export interface LocalAdminDeps {
  db: Knex;
  audit: AuditLog;
  config: Readonly<Config>;
}

/** `via` of a scope row an operator made (the directory's rows name a group or OU). */
export const LOCAL_VIA = 'local';

const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/;

/** One team as the operator console lists it. */
export interface TeamView {
  name: string;
  source: 'directory' | 'local';
  members: number;
  admins: number;
}

/** The teams the configuration declares (their scope comes from directory groups or an OU). */
export function directoryTeamNames(config: Readonly<Config>): string[] {
  return config.directory.roles.teams.map((t) => t.name);
}

/** Every team, directory and local, with how many members and admins it has. */
export async function listTeams(db: Knex | Knex.Transaction, config: Readonly<Config>): Promise<TeamView[]> {
  const local = ((await db('local_teams').select('name')) as Array<{ name: string }>).map((r) => r.name);
  const members = (await db('team_scope_members').groupBy('team').select('team', db.raw('count(DISTINCT account_id)::int AS n'))) as Array<{ team: string; n: number }>;
  const admins = (await db('role_assignments').where({ role: 'team_admin' }).groupBy('team').select('team', db.raw('count(DISTINCT account_id)::int AS n'))) as Array<{ team: string; n: number }>;
  const count = (rows: Array<{ team: string; n: number }>, team: string) => rows.find((r) => r.team === team)?.n ?? 0;
  const dir = directoryTeamNames(config);
  return [...dir.map((name) => ({ name, source: 'directory' as const })), ...local.filter((n) => !dir.includes(n)).map((name) => ({ name, source: 'local' as const }))]
    .map((t) => ({ ...t, members: count(members, t.name), admins: count(admins, t.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Throws a validation error naming `field` unless `team` is a directory or local team. */
export async function assertTeamExists(db: Knex | Knex.Transaction, config: Readonly<Config>, team: string, field: string): Promise<void> {
  if (directoryTeamNames(config).includes(team)) return;
  if (await db('local_teams').where({ name: team }).first('name')) return;
  throw new ValidationError([idProblem(field, 'team.none', { team })]);
}

/** Who granted a local row, as its `reason` shows it ("granted by alice", "granted by cli:root"). */
export async function grantedBy(db: Knex | Knex.Transaction, actorId: string): Promise<string> {
  if (!/^[0-9a-f-]{36}$/.test(actorId)) return `granted by ${actorId}`;
  const row = (await db('accounts').where({ id: actorId }).first('username')) as { username: string } | undefined;
  return `granted by ${row?.username ?? actorId}`;
}

async function accountExists(trx: Knex.Transaction, accountId: string): Promise<void> {
  if (!(await trx('accounts').where({ id: accountId }).first('id'))) throw new NotFoundError('No such account');
}

/** Creates a local team; its name may not be taken by a directory or local team. */
export async function createLocalTeam(deps: LocalAdminDeps, name: string, actorId: string): Promise<void> {
  if (!TEAM_NAME.test(name)) throw new ValidationError([idProblem('name', 'team.name_form')]);
  if (directoryTeamNames(deps.config).includes(name)) throw idConflict('already_exists', 'team.from_directory', { team: name });
  await deps.db.transaction(async (trx) => {
    const inserted = await trx('local_teams').insert({ name, created_by: actorId }).onConflict('name').ignore().returning('name');
    if (inserted.length === 0) throw idConflict('already_exists', 'team.exists', { team: name });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.teamCreated, actorId, object: { type: 'team', id: name } });
  });
}

/** Puts an account into a team's scope (its submitted days become visible to that team's admins). */
export async function addTeamMemberIn(trx: Knex.Transaction, deps: LocalAdminDeps, team: string, accountId: string, actorId: string): Promise<boolean> {
  await assertTeamExists(trx, deps.config, team, 'team');
  await accountExists(trx, accountId);
  const added = await trx('team_scope_members').insert({ team, account_id: accountId, via: LOCAL_VIA, source: 'local' }).onConflict(['team', 'account_id', 'via']).ignore().returning('team');
  if (added.length) await deps.audit.record(trx, { action: AUDIT_ACTIONS.teamMemberAdded, actorId, subjectId: accountId, object: { type: 'team', id: team } });
  return added.length > 0;
}

/** Takes an account out of a team's local scope (a directory membership stays). */
export async function removeTeamMemberIn(trx: Knex.Transaction, deps: LocalAdminDeps, team: string, accountId: string, actorId: string): Promise<boolean> {
  const n = await trx('team_scope_members').where({ team, account_id: accountId, source: 'local' }).delete();
  if (n) await deps.audit.record(trx, { action: AUDIT_ACTIONS.teamMemberRemoved, actorId, subjectId: accountId, object: { type: 'team', id: team } });
  return n > 0;
}

function checkGrant(role: string, team: string | undefined): asserts role is Role {
  if (!ROLES.includes(role as Role)) throw new ValidationError([idProblem('role', 'role.one_of', { roles: ROLES.join(', ') })]);
  if (role === 'team_admin' && !team) throw new ValidationError([idProblem('team', 'team.admin_needs_team')]);
  if (role !== 'team_admin' && team) throw new ValidationError([idProblem('team', 'team.only_admin')]);
}

/** Grants a role locally (reason: who granted it), in the caller's transaction; false when already held locally. */
export async function grantLocalRoleIn(trx: Knex.Transaction, deps: LocalAdminDeps, accountId: string, role: string, team: string | undefined, actorId: string): Promise<boolean> {
  checkGrant(role, team);
  if (team) await assertTeamExists(trx, deps.config, team, 'team');
  await accountExists(trx, accountId);
  const held = await trx('role_assignments').where({ account_id: accountId, role, team: team ?? '', source: 'local' }).first('role');
  if (held) return false;
  await trx('role_assignments').insert({ account_id: accountId, role, team: team ?? '', reason: await grantedBy(trx, actorId), source: 'local' });
  forgetSessionsOf(trx, accountId); // the new role counts at once on this node
  await deps.audit.record(trx, { action: AUDIT_ACTIONS.roleGranted, actorId, subjectId: accountId, object: { type: 'account', id: accountId }, payload: { role, team: team ?? null, source: 'local' } });
  return true;
}

/**
 * Revokes a local grant (directory grants stay: the directory manages them), in the
 * caller's transaction. The last active operator cannot lose the role: nobody could
 * administer the appliance any more.
 */
export async function revokeLocalRoleIn(trx: Knex.Transaction, deps: LocalAdminDeps, accountId: string, role: string, team: string | undefined, actorId: string): Promise<boolean> {
  checkGrant(role, team);
  if (role === 'operator') {
    const stillOperator = await trx('role_assignments').where({ account_id: accountId, role: 'operator' }).whereNot({ source: 'local' }).first('role');
    if (!stillOperator && (await otherActiveOperators(trx, accountId)) === 0) throw new ConflictError('This is the last active operator; name another operator first', 'last_operator');
  }
  const n = await trx('role_assignments').where({ account_id: accountId, role, team: team ?? '', source: 'local' }).delete();
  if (n) forgetSessionsOf(trx, accountId); // the lost role counts at once on this node
  if (n) await deps.audit.record(trx, { action: AUDIT_ACTIONS.roleRevoked, actorId, subjectId: accountId, object: { type: 'account', id: accountId }, payload: { role, team: team ?? null, source: 'local' } });
  return n > 0;
}

/** Adds a team member (own transaction). */
export async function addTeamMember(deps: LocalAdminDeps, team: string, accountId: string, actorId: string): Promise<boolean> {
  return deps.db.transaction((trx) => addTeamMemberIn(trx, deps, team, accountId, actorId));
}

/** Removes a local team membership (own transaction). */
export async function removeTeamMember(deps: LocalAdminDeps, team: string, accountId: string, actorId: string): Promise<boolean> {
  return deps.db.transaction((trx) => removeTeamMemberIn(trx, deps, team, accountId, actorId));
}

/** Grants a role locally (own transaction); `team` only for team_admin. */
export async function grantLocalRole(deps: LocalAdminDeps, accountId: string, role: string, team: string | undefined, actorId: string): Promise<boolean> {
  return deps.db.transaction((trx) => grantLocalRoleIn(trx, deps, accountId, role, team, actorId));
}

/** Revokes a local grant (own transaction). */
export async function revokeLocalRole(deps: LocalAdminDeps, accountId: string, role: string, team: string | undefined, actorId: string): Promise<boolean> {
  return deps.db.transaction((trx) => revokeLocalRoleIn(trx, deps, accountId, role, team, actorId));
}
