import type { AuditLog } from '../audit/service.js';
import { SYSTEM_ACTOR } from '../audit/actions.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { DomainModule } from '../platform/module.js';
import type { RetentionHandler } from '../platform/retention.js';
import { registerRetentionApi } from './routes.js';
import { runRetention } from './run.js';

/** The queue (and cron row) of the daily retention run. */
export const RETENTION_QUEUE = 'retention.run';

/** What the retention module is built from: the handlers every other module handed in. */
export interface RetentionModuleDeps {
  db: Knex;
  config: Readonly<Config>;
  audit: AuditLog;
  logger: Logger;
  handlers: readonly RetentionHandler[];
  clock?: Clock;
}

/**
 * Retention as the appliance runs it: the daily job on `retention.cron` (pg-boss
 * runs it on one node; the run's advisory lock makes a second, manual run skip) and
 * the API. The job payload is empty: nothing personal goes into pg-boss.
 */
export function retentionModule(deps: RetentionModuleDeps): DomainModule {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ module: 'retention' });
  return {
    name: 'retention',
    api: (api) => registerRetentionApi(api, { db: deps.db, config: deps.config, audit: deps.audit, handlers: deps.handlers, clock }),
    jobs: [{
      queue: RETENTION_QUEUE,
      cron: deps.config.retention.cron,
      // A long run must not be expired and started again beside itself; a failed one
      // is finished by the next day's run, so no retry storm either.
      queueOptions: { expireInSeconds: 6 * 3600, retryLimit: 0 },
      handler: async () => {
        await runRetention({ db: deps.db, retention: deps.config.retention, handlers: deps.handlers, audit: deps.audit, logger: log, clock }, { startedBy: SYSTEM_ACTOR });
      },
    }],
  };
}
