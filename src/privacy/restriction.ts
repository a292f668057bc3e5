import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import type { PrivacyDeps } from './context.js';
import { authorize } from './policy.js';

/**
 * Lifting a restriction of processing (GDPR art. 18(3): the person is told before it
 * is lifted — the privacy officer records the reason). A restricted person's data is
 * only stored: it is out of inboxes and reports (src/reports/restricted.ts). Lifting
 * clears `accounts.restricted_at` and, in the same transaction, records the person's
 * submitted and approved days into the report store again, as their submits did
 * (`PrivacyDeps.recordFiguresAgain`); audited, with the reason sealed under the person's key.
 */

/** What a lift answers. */
export interface LiftResult {
  account_id: string;
  restricted: false;
  days_recorded: number;
}

/** The privacy officer lifts a person's restriction; 404 for an unknown account, 409 when none is in force. */
export async function liftRestriction(deps: PrivacyDeps, actor: Actor, accountId: string, reason: string): Promise<LiftResult> {
  authorize(actor, 'keep_registers', undefined);
  return deps.db.transaction(async (trx) => {
    const row = (await trx('accounts').where({ id: accountId }).forUpdate().first('id', 'restricted_at')) as { id: string; restricted_at: Date | null } | undefined;
    if (!row) throw new NotFoundError();
    if (!row.restricted_at) throw new ConflictError('No restriction is in force for this person', 'not_restricted');
    // While still marked restricted, so the store first drops what it holds for them (no day counts twice).
    const days = deps.recordFiguresAgain ? await deps.recordFiguresAgain(trx, accountId) : 0;
    await trx('accounts').where({ id: accountId }).update({ restricted_at: null });
    await deps.audit.record(trx, {
      action: AUDIT_ACTIONS.privacyRestrictionLifted, actorId: actor.accountId, subjectId: accountId,
      object: { type: 'account', id: accountId }, payload: { fields: ['restricted_at'], days_recorded: days },
      personal: { reason },
    });
    return { account_id: accountId, restricted: false as const, days_recorded: days };
  });
}
