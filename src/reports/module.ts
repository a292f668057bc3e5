import type { AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { DomainModule } from '../platform/module.js';
import type { DayFiguresHook } from '../timesheets/context.js';
import { reportPages } from './pages.js';
import { registerBillingApi } from './billing-routes.js';
import { registerReportsApi } from './routes.js';
import { registerWorkingTimeApi } from './working-time-service.js';
import { foldPending, reportStoreHook } from './store.js';

/** The queue (and cron row) of the fold of submitted, returned and reopened days into the report store. */
export const REPORTS_FOLD_QUEUE = 'reports.fold';

/** What the reports module is built from. */
export interface ReportsModuleDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
  logger: Logger;
}

/** The hook the timesheet workflow calls at submit, return and reopen (give it to the timesheets module). */
export function reportsHook(deps: ReportsModuleDeps): DayFiguresHook {
  return reportStoreHook(deps);
}

/** The reports domain as the appliance mounts and runs it: API, pages, and the fold job on its cron. */
export function reportsModule(deps: ReportsModuleDeps): DomainModule {
  const log = deps.logger.child({ module: 'reports' });
  return {
    name: 'reports',
    api: (api) => {
      registerReportsApi(api, deps);
      registerBillingApi(api, deps);
      registerWorkingTimeApi(api, deps);
    },
    pages: reportPages(deps),
    jobs: [
      {
        queue: REPORTS_FOLD_QUEUE,
        cron: deps.config.reports.fold_cron,
        handler: async () => {
          const r = await foldPending(deps);
          log.info(r, 'report store fold');
        },
      },
    ],
  };
}
