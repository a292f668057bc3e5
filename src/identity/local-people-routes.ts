import type { ApiRegistry } from '../platform/http/api.js';
import type { Knex } from '../platform/db.js';
import { NotFoundError } from '../platform/errors.js';
import type { AuthDeps } from './auth-service.js';
import { signedIn } from './http.js';
import { createLocalPerson, deactivateLocalPerson, reactivateLocalPerson, resendSetPasswordMail, updateLocalPerson } from './local-people.js';
import { addTeamMember, createLocalTeam, grantLocalRole, listTeams, removeTeamMember, revokeLocalRole } from './local-teams.js';
import {
  changedResponse, personCreateBody, personCreatedResponse, personResponse, personUpdateBody, roleGrantBody, teamCreateBody, teamListResponse,
  teamMemberBody, teamMemberParams, teamParams,
} from './local-schema.js';
import { accountById, rolesOf, teamsOf } from './repository.js';
import { idParams, okResponse } from './schema.js';
import type { z } from 'zod';

/** A person as the operator API answers: account fields, roles and teams with their source. */
export async function personView(db: Knex | Knex.Transaction, id: string): Promise<z.infer<typeof personResponse>> {
  const a = await accountById(db, id);
  if (!a) throw new NotFoundError('No such account');
  const roles = (await rolesOf(db, id)).map((r) => ({ role: r.role, team: r.team || null, reason: r.reason, source: r.source }));
  const teams = (await teamsOf(db, id)).map((s) => ({ team: s.team, via: s.via, source: s.source ?? 'directory' }));
  return { id: a.id, username: a.username, source: a.source, status: a.status, display_name: a.display_name, email: a.email, roles, teams };
}

/**
 * The operator's API for people and teams without a directory (or beside one):
 * create, edit, deactivate local people; create teams, put people in them, name team
 * admins; grant and revoke any role locally. Every change is audited by the service.
 */
export function registerLocalPeopleApi(api: ApiRegistry, deps: AuthDeps): void {
  const tags = ['operator'];
  const auth = { session: true, roles: ['operator'] } as const;
  const actor = (ctx: Parameters<typeof signedIn>[0]) => signedIn(ctx).accountId;
  api.add({
    method: 'get', path: '/people/:id', operationId: 'getPerson', summary: 'Operator: one account with its roles and teams (no time data)', tags, auth,
    params: idParams, response: personResponse,
    handler: async (_ctx, { params }) => personView(deps.db, params.id),
  });
  api.add({
    method: 'post', path: '/people', operationId: 'createPerson', summary: 'Operator: create a local person; a set-password link is mailed to them', tags, auth, status: 201,
    body: personCreateBody, response: personCreatedResponse,
    handler: async (ctx, { body }) => {
      const r = await createLocalPerson(deps, { username: body.username, displayName: body.display_name, email: body.email, roles: body.roles, teams: body.teams, adminOf: body.admin_of }, actor(ctx));
      return { ...(await personView(deps.db, r.id)), set_password_mailed: r.mailed };
    },
  });
  api.add({
    method: 'patch', path: '/people/:id', operationId: 'updatePerson', summary: 'Operator: change name, mail (local people), local roles, teams and team-admin grants', tags, auth,
    params: idParams, body: personUpdateBody, response: personResponse,
    handler: async (ctx, { params, body }) => {
      await updateLocalPerson(deps, params.id, { displayName: body.display_name, email: body.email, roles: body.roles, teams: body.teams, adminOf: body.admin_of }, actor(ctx));
      return personView(deps.db, params.id);
    },
  });
  api.add({
    method: 'post', path: '/people/:id/deactivate', operationId: 'deactivatePerson', summary: 'Operator: deactivate a local person (no sign-in; sessions and tokens end)', tags, auth,
    params: idParams, response: personResponse,
    handler: async (ctx, { params }) => {
      await deactivateLocalPerson(deps, params.id, actor(ctx));
      return personView(deps.db, params.id);
    },
  });
  api.add({
    method: 'post', path: '/people/:id/reactivate', operationId: 'reactivatePerson', summary: 'Operator: let a deactivated local person sign in again', tags, auth,
    params: idParams, response: personResponse,
    handler: async (ctx, { params }) => {
      await reactivateLocalPerson(deps, params.id, actor(ctx));
      return personView(deps.db, params.id);
    },
  });
  api.add({
    method: 'post', path: '/people/:id/set-password-mail', operationId: 'resendSetPasswordMail', summary: 'Operator: mail a local person a new set-password link', tags, auth,
    params: idParams, response: okResponse,
    handler: async (ctx, { params }) => {
      await resendSetPasswordMail(deps, params.id, actor(ctx));
      return { status: 'ok' as const };
    },
  });
  api.add({
    method: 'post', path: '/people/:id/roles', operationId: 'grantRole', summary: 'Operator: grant a role locally (team_admin with its team)', tags, auth,
    params: idParams, body: roleGrantBody, response: changedResponse,
    handler: async (ctx, { params, body }) => ({ changed: await grantLocalRole(deps, params.id, body.role, body.team, actor(ctx)) }),
  });
  api.add({
    method: 'post', path: '/people/:id/roles/revoke', operationId: 'revokeRole', summary: 'Operator: revoke a local grant (directory grants stay)', tags, auth,
    params: idParams, body: roleGrantBody, response: changedResponse,
    handler: async (ctx, { params, body }) => ({ changed: await revokeLocalRole(deps, params.id, body.role, body.team, actor(ctx)) }),
  });
  api.add({
    method: 'get', path: '/teams', operationId: 'listTeams', summary: 'Operator: every team (directory and local) with members and admins counted', tags, auth,
    response: teamListResponse,
    handler: async () => ({ teams: await listTeams(deps.db, deps.config) }),
  });
  api.add({
    method: 'post', path: '/teams', operationId: 'createTeam', summary: 'Operator: create a local team', tags, auth, status: 201,
    body: teamCreateBody, response: okResponse,
    handler: async (ctx, { body }) => {
      await createLocalTeam(deps, body.name, actor(ctx));
      return { status: 'ok' as const };
    },
  });
  api.add({
    method: 'post', path: '/teams/:name/members', operationId: 'addTeamMember', summary: 'Operator: put a person in a team (its admins see their submitted days)', tags, auth,
    params: teamParams, body: teamMemberBody, response: changedResponse,
    handler: async (ctx, { params, body }) => ({ changed: await addTeamMember(deps, params.name, body.account_id, actor(ctx)) }),
  });
  api.add({
    method: 'delete', path: '/teams/:name/members/:id', operationId: 'removeTeamMember', summary: 'Operator: take a person out of a team (local membership only)', tags, auth,
    params: teamMemberParams, response: changedResponse,
    handler: async (ctx, { params }) => ({ changed: await removeTeamMember(deps, params.name, params.id, actor(ctx)) }),
  });
}
