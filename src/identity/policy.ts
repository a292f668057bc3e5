import type { Config } from '../platform/config.js';
import type { Role } from './repository.js';

/** Roles whose holders must always pass a second factor. */
export const PRIVILEGED_ROLES: readonly Role[] = ['team_admin', 'auditor', 'operator'];

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
