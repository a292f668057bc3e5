import type { Actor } from '../identity/policy.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../platform/errors.js';

/**
 * Who may do what with the privacy registers. The privacy officer (`dpo`) keeps both
 * registers; auditors read them; a person sees and files only their own requests.
 * Operators and team admins have no business here: the registers stay invisible to
 * them (404 on pages, 403 on role-gated API routes).
 */

/** Holds the role of privacy officer. */
export const isPrivacyOfficer = (actor: Actor): boolean => actor.roles.has('dpo');
/** May read both registers (privacy officer or auditor). */
export const canReadRegisters = (actor: Actor): boolean => actor.roles.has('dpo') || actor.roles.has('auditor');

/** What an actor may try, with the object each action concerns. */
export interface PrivacyActions {
  read_registers: undefined;
  keep_registers: undefined;
  read_own_request: { subjectId: string | null };
  change_request: { status: 'open' | 'decided' | 'closed' };
}

/** The one decision point of the privacy domain: 404 for what stays invisible, 403 for read-only, 409 for the wrong state. */
export function authorize<A extends keyof PrivacyActions>(actor: Actor, action: A, object: PrivacyActions[A]): void {
  switch (action) {
    case 'read_registers':
      if (!canReadRegisters(actor)) throw new NotFoundError();
      return;
    case 'keep_registers':
      if (!canReadRegisters(actor)) throw new NotFoundError();
      if (!isPrivacyOfficer(actor)) throw Object.assign(new ForbiddenError('Only the privacy officer keeps the registers; auditors read them'), { params: { key: 'registers.dpo_only' } });
      return;
    case 'read_own_request':
      if ((object as PrivacyActions['read_own_request']).subjectId !== actor.accountId) throw new NotFoundError();
      return;
    case 'change_request':
      if ((object as PrivacyActions['change_request']).status === 'closed') throw new ConflictError('The request is closed', 'request_closed');
      return;
  }
}
