import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import { KeyShreddedError } from '../keys/errors.js';
import type { Clock } from '../platform/clock.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import type { RetentionCounts, RetentionHandler } from '../platform/retention.js';
import { activeHolds, UUID } from './holds.js';

/** What an erasure did (or, dry, would do). */
export interface EraseResult {
  personId: string;
  dryRun: boolean;
  /** Per category, from each handler's `erase`. */
  counts: Record<string, RetentionCounts>;
  /** Whether the account is (now) restricted. */
  restricted: boolean;
}

/** 409: a legal hold on the person forbids erasure. */
export class PersonHeldError extends ConflictError {
  constructor() {
    super('This person is under a legal hold: nothing may be erased until the hold is released or ends', 'person_held');
  }
}

/**
 * Erases what no legal duty keeps about one person (`uurwerk erase --person`): every
 * handler's `erase`, then `accounts.restricted_at`, so what a duty keeps is only
 * stored until its own end (GDPR art. 17(3)(b) and 18). Refused with 409 while a
 * legal hold is on the person (a dry run still counts).
 *
 * One `retention.erased` audit event with the counts in clear; the reason goes into
 * the event's personal details, encrypted under the person's own data key: a reason
 * often names the request or the person ("mail of 3 March from J."), so it must not
 * sit in clear in the append-only log, yet an auditor must be able to read why an
 * erasure happened while the person's records exist. Only its length is in clear
 * (and, should the person's key already be shredded, only the length is kept).
 */
export async function erasePerson(
  deps: { db: Knex; audit: AuditLog; handlers: readonly RetentionHandler[]; clock: Clock },
  input: { personId: string; reason: string; dryRun: boolean; actorId: string },
): Promise<EraseResult> {
  const { db } = deps;
  if (!UUID.test(input.personId) || !(await db('accounts').where({ id: input.personId }).first('id'))) throw new NotFoundError('No such person');
  const holds = await activeHolds(db, deps.clock.now());
  if (holds.persons.has(input.personId) && !input.dryRun) throw new PersonHeldError();
  const counts: Record<string, RetentionCounts> = {};
  for (const h of deps.handlers) {
    if (h.erase) counts[h.category] = await h.erase(db, input.personId, { dryRun: input.dryRun, holds });
  }
  if (input.dryRun) {
    const row = (await db('accounts').where({ id: input.personId }).first('restricted_at')) as { restricted_at: Date | null };
    return { personId: input.personId, dryRun: true, counts, restricted: row.restricted_at !== null };
  }
  const record = (sealed: boolean) => db.transaction(async (trx) => {
    await trx('accounts').where({ id: input.personId }).whereNull('restricted_at').update({ restricted_at: trx.fn.now() });
    await deps.audit.record(trx, {
      action: AUDIT_ACTIONS.retentionErased, actorId: input.actorId, subjectId: input.personId,
      object: { type: 'account', id: input.personId },
      payload: { counts, restricted: true, reason_length: input.reason.length, reason_sealed: sealed },
      personal: sealed ? { reason: input.reason } : null,
    });
  });
  try {
    await record(true);
  } catch (err) {
    // The person's key for this year may be gone already (shredded by an earlier
    // erasure); the event is then written without the reason rather than not at all.
    if (!(err instanceof KeyShreddedError)) throw err;
    await record(false);
  }
  return { personId: input.personId, dryRun: false, counts, restricted: true };
}
