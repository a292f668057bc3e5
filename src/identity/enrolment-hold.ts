import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Knex } from '../platform/db.js';
import { AppError, NotFoundError } from '../platform/errors.js';

/** Thrown when a person on hold tries to enrol a second factor. */
export class EnrolmentNeedsOperatorError extends AppError {
  constructor() {
    super(403, 'enrolment_needs_operator', 'Your password was reset before you had a second factor; an operator must confirm before you can set one up');
  }
}

/**
 * Called inside a password reset: if the account has never confirmed a second factor,
 * enrolment is put on hold until an operator confirms (and any half-started enrolment
 * is dropped, so a pending secret cannot be confirmed either). Returns whether it held.
 */
export async function holdEnrolmentAfterReset(trx: Knex.Transaction, audit: AuditLog, accountId: string): Promise<boolean> {
  const factor = await trx('totp_factors').where({ account_id: accountId }).whereNotNull('confirmed_at').first('account_id');
  if (factor) return false;
  await trx('accounts').where({ id: accountId }).update({ enrolment_needs_confirmation: true });
  await trx('totp_factors').where({ account_id: accountId }).update({ pending_secret: null });
  await audit.record(trx, { action: AUDIT_ACTIONS.totpEnrolmentHeld, actorId: accountId, subjectId: accountId, object: { type: 'account', id: accountId }, payload: { reason: 'password reset before any second factor' } });
  return true;
}

/** Whether the account waits for an operator before it may enrol a second factor. */
export async function enrolmentHeld(db: Knex | Knex.Transaction, accountId: string): Promise<boolean> {
  const row = await db('accounts').where({ id: accountId }).first('enrolment_needs_confirmation');
  return row?.enrolment_needs_confirmation === true;
}

/** Refuses (403 `enrolment_needs_operator`) while the account is on hold. */
export async function assertEnrolmentNotHeld(db: Knex | Knex.Transaction, accountId: string): Promise<void> {
  if (await enrolmentHeld(db, accountId)) throw new EnrolmentNeedsOperatorError();
}

/**
 * An operator confirms that the person may enrol (after checking who they are out of
 * band). 404 for an unknown account; answers whether a hold was lifted. Audited with
 * the operator as actor. The caller checks that the actor is an operator.
 */
export async function allowEnrolment(db: Knex, audit: AuditLog, operatorId: string, accountId: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const account = await trx('accounts').where({ id: accountId }).forUpdate().first('id', 'enrolment_needs_confirmation');
    if (!account) throw new NotFoundError('No such account');
    if (!account.enrolment_needs_confirmation) return false;
    await trx('accounts').where({ id: accountId }).update({ enrolment_needs_confirmation: false });
    await audit.record(trx, { action: AUDIT_ACTIONS.totpEnrolmentAllowed, actorId: operatorId, subjectId: accountId, object: { type: 'account', id: accountId } });
    return true;
  });
}
