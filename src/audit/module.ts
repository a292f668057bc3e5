import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { DomainModule } from '../platform/module.js';
import type { Keyring } from '../keys/types.js';
import { checkpointAndLog } from './checkpoints.js';
import { auditRetentionHandler } from './retention.js';

/** The queue of the hourly checkpoint (also the name of its cron row). */
export const AUDIT_CHECKPOINT_QUEUE = 'audit.checkpoint';

/**
 * The audit log as the appliance runs it: a signed checkpoint at least hourly (and,
 * wired by the composition root, one at shutdown), so a deleted tail is detectable;
 * and its ageing (`retention.audit_events`), which removes events only up to one.
 */
export function auditModule(deps: { db: Knex; keyring: Pick<Keyring, 'auditSigningKey'>; logger: Logger }): DomainModule {
  return {
    name: 'audit',
    jobs: [
      {
        queue: AUDIT_CHECKPOINT_QUEUE,
        cron: '0 * * * *',
        handler: async () => {
          await checkpointAndLog(deps.db, deps.keyring, deps.logger, 'hourly');
        },
      },
    ],
    retention: [auditRetentionHandler()],
  };
}
