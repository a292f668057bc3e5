import type { Logger } from '../platform/logger.js';
import type { DomainModule } from '../platform/module.js';
import { timesheetPages } from './pages.js';
import { sendReminders } from './reminders.js';
import { draftsHandler, submittedDaysHandler } from './retention.js';
import { registerTimesheetApi } from './routes.js';
import type { TimesheetDeps } from './context.js';

/** The queue of the reminder mail for unsubmitted days (also the name of its cron row). */
export const REMINDER_QUEUE = 'timesheets.reminders';

/**
 * The timesheets domain as the appliance mounts and runs it: JSON API, pages, the
 * retention handlers of its data (retention.ts) and,
 * when `timesheets.reminder.enabled`, the reminder job on its cron (switched off,
 * the schedule is removed).
 */
export function timesheetsModule(deps: TimesheetDeps & { logger: Logger }): DomainModule {
  const log = deps.logger.child({ module: 'jobs' });
  const reminder = deps.config.timesheets.reminder;
  return {
    name: 'timesheets',
    api: (api) => registerTimesheetApi(api, deps),
    pages: timesheetPages(deps),
    retention: [submittedDaysHandler(deps), draftsHandler(deps)],
    jobs: [
      reminder.enabled
        ? {
            queue: REMINDER_QUEUE,
            cron: reminder.cron,
            handler: async () => {
              const r = await sendReminders(deps);
              log.info(r, 'timesheet reminders sent');
            },
          }
        : { queue: REMINDER_QUEUE, cron: null },
    ],
  };
}
