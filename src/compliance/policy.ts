import type { Actor } from '../identity/policy.js';
import { ForbiddenError } from '../platform/errors.js';

/**
 * Who may use the auditor's view: holders of the auditor role, and nobody else — not
 * the privacy officer, not an operator, not a team admin (PRODUCT.md's visibility
 * matrix: "audit log, compliance export … auditor: read; others: no"). The view's
 * existence is no secret (the role is documented), so others get 403, not 404.
 */

/** Holds the auditor role. */
export const isAuditor = (actor: Actor): boolean => actor.roles.has('auditor');

/** The one decision point of the auditor's view: 403 unless the actor is an auditor. */
export function authorizeAuditorRead(actor: Actor): void {
  if (!isAuditor(actor)) throw new ForbiddenError('This view is for auditors', 'auditor_only');
}
