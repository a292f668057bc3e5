import type { AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/types.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';

/**
 * Erases what the appliance holds about a person that no legal duty keeps (the
 * retention domain's erase service). The integrator wires it; without it a granted
 * erasure is recorded and its execution stays pending.
 */
export type ErasePerson = (personId: string, reason: string) => Promise<unknown>;

/** What the privacy registers need, passed explicitly. */
export interface PrivacyDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
  clock: Clock;
  erasePerson?: ErasePerson;
  /** Records a person's submitted and approved days into the report store again, in the lift's transaction (the reports domain; wired by src/app). */
  recordFiguresAgain?: RecordFiguresAgain;
}

/** What lifting a restriction hands to the reports domain: the lift's transaction and the person; answers how many days were recorded. */
export type RecordFiguresAgain = (trx: Knex.Transaction, personId: string) => Promise<number>;

/**
 * The key subject the privacy officer's own notes are sealed under (identity check,
 * extension reason, legal ground, what was done): not the person's, so that granting
 * an erasure does not erase the record of it (accountability, art. 5(2)). The
 * person's own request text is sealed under their key.
 */
export const REGISTER_SUBJECT = 'system:privacy-registers';

/** The AES-GCM binding of a sealed column of a request. */
export const requestRef = (id: string, column: string) => ({ table: 'privacy_requests', column, rowId: id });
