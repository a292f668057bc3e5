import type { Config } from '../platform/config.js';
import { ForbiddenError, NotFoundError } from '../platform/errors.js';
import type { Role } from './repository.js';

/** Roles whose holders must always pass a second factor. */
export const PRIVILEGED_ROLES: readonly Role[] = ['team_admin', 'auditor', 'operator', 'dpo', 'reports', 'payroll'];

/** What a signed-in person is, for authorization decisions (no I/O here). */
export interface Actor {
  accountId: string;
  roles: ReadonlySet<Role>;
  /** Teams this person administers (team_admin role). */
  teams: ReadonlySet<string>;
}

/** True when the person must pass TOTP before reaching anything but the second-factor pages. */
export function needsSecondFactor(roles: ReadonlySet<Role>, hasConfirmedFactor: boolean, auth: Config['auth']): boolean {
  if (hasConfirmedFactor || auth.totp_required_for_all) return true;
  return PRIVILEGED_ROLES.some((r) => roles.has(r));
}

/** Whether the actor holds at least one of the roles. */
export function hasAnyRole(actor: Actor, roles: readonly string[]): boolean {
  return roles.some((r) => actor.roles.has(r as Role));
}

/** Operators open the operator console (directory sync status, users and roles). */
export function canOpenOperatorConsole(actor: Actor): boolean {
  return hasRole(actor, 'operator');
}

/** What an actor may try to do in the identity domain, with the object each action concerns. */
export interface IdentityActions {
  /** Call an endpoint declared for some roles (the route's `auth.roles`). */
  call: { roles: readonly string[] };
  /** End every session of an account. */
  revoke_sessions: { accountId: string };
  /** Let a person whose password was reset before any second factor enrol one. */
  allow_enrolment: { accountId: string };
  /** Open the operator console; others must not learn it exists. */
  open_operator_console: undefined;
}

/**
 * The one decision point of the identity domain, composed from this file's predicates.
 * Throws 403 for role-gated calls and actions the actor may not take, 404 where the
 * thing must stay invisible (the operator console).
 */
export function authorize<A extends keyof IdentityActions>(actor: Actor, action: A, object: IdentityActions[A]): void {
  switch (action) {
    case 'call': {
      const { roles } = object as IdentityActions['call'];
      if (roles.length && !hasAnyRole(actor, roles)) throw new ForbiddenError(`This call needs the role ${roles.join(' or ')}`, 'role_required');
      return;
    }
    case 'revoke_sessions':
      if (!canRevokeSessionsOf(actor, (object as IdentityActions['revoke_sessions']).accountId)) throw new ForbiddenError('Only operators may revoke other people’s sessions');
      return;
    case 'allow_enrolment':
      if (!canAllowEnrolmentOf(actor, (object as IdentityActions['allow_enrolment']).accountId)) throw new ForbiddenError('Only operators may confirm a second-factor enrolment');
      return;
    case 'open_operator_console':
      if (!canOpenOperatorConsole(actor)) throw new NotFoundError();
      return;
  }
}

/** Whether the actor holds a role. */
export function hasRole(actor: Actor, role: Role): boolean {
  return actor.roles.has(role);
}

/** Operators administer the appliance: they may revoke anyone's sessions (and see no time data). */
export function canRevokeSessionsOf(actor: Actor, _accountId: string): boolean {
  return hasRole(actor, 'operator');
}

/** Operators confirm that a person whose password was reset before any second factor may enrol one. */
export function canAllowEnrolmentOf(actor: Actor, _accountId: string): boolean {
  return hasRole(actor, 'operator');
}
