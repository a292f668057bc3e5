import type { Actor } from '../identity/policy.js';
import { ForbiddenError, NotFoundError } from '../platform/errors.js';

/**
 * Who sees which reports (pure, no I/O): the `reports` role the whole organisation,
 * a team admin the teams they administer; both under the same k rule. Everyone else
 * — operators, auditors, employees — none (the routes answer 403 before this).
 */

/** The teams whose figures the actor may see: null for the whole organisation. */
export function reportScope(actor: Actor): readonly string[] | null {
  if (actor.roles.has('reports')) return null;
  if (actor.roles.has('team_admin') && actor.teams.size) return [...actor.teams].sort();
  throw new ForbiddenError('Reports need the reports role or a team to administer', 'role_required');
}

/** Checks a team filter against the scope: 404 for a team outside it (as if it did not exist). */
export function authorizeTeam(scope: readonly string[] | null, team: string | undefined): void {
  if (team !== undefined && scope && !scope.includes(team)) throw new NotFoundError();
}
