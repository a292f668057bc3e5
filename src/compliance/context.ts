import type { AuditLog } from '../audit/service.js';
import type { Keyring } from '../keys/types.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { RetentionHandler } from '../platform/retention.js';

/** What the auditor's view needs, passed explicitly by the composition root. */
export interface ComplianceDeps {
  db: Knex;
  config: Readonly<Config>;
  audit: AuditLog;
  /** The public half of the audit signing key checks each checkpoint's signature. */
  keyring: Pick<Keyring, 'auditSigningKey'>;
  /** Every module's retention handlers (read at call time: filled once all modules are built). */
  handlers: readonly RetentionHandler[];
  clock: Clock;
}
