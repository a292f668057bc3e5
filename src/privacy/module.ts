import { systemClock, type Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { MetricsRegistry } from '../platform/metrics.js';
import type { AlarmKeyring } from './alarms.js';
import { registerAlarmMetrics, runAlarmChecks } from './alarm-job.js';
import type { DomainModule } from '../platform/module.js';
import type { PrivacyDeps } from './context.js';
import { sendPrivacyReminders } from './reminders.js';
import { alarmRetention, breachRetention, requestRetention } from './retention.js';
import { privacyPages } from './pages.js';
import { registerPrivacyApi } from './routes.js';

/** The queue of the privacy officers' reminder mail (also the name of its cron row). */
export const PRIVACY_REMINDER_QUEUE = 'privacy.reminders';

/** The queue of the alarm checks (suspected breaches and operational failures). */
export const PRIVACY_ALARM_QUEUE = 'privacy.alarms';

/** Hourly, so a breach's last 24 of 72 hours are announced within the hour. */
const REMINDER_CRON = '25 * * * *';

/**
 * The privacy officer's registers as the appliance mounts and runs them: the API,
 * the pages, the reminder job and the retention handlers for closed requests and
 * breaches, and (given the keyring) the alarm checks, whose figures go to /metrics
 * when a registry is given. The clock defaults to the system's; `erasePerson` is wired by the
 * composition root once the erase service exists.
 */
export function privacyModule(input: Omit<PrivacyDeps, 'clock'> & { clock?: Clock; logger: Logger; keyring?: AlarmKeyring; metrics?: MetricsRegistry }): DomainModule {
  const { logger, keyring, metrics, ...rest } = input;
  const deps: PrivacyDeps = { ...rest, clock: input.clock ?? systemClock };
  const log = logger.child({ module: 'jobs' });
  if (metrics) registerAlarmMetrics(metrics, deps);
  const alarmJobs = keyring ? [{
    queue: PRIVACY_ALARM_QUEUE,
    cron: deps.config.alarms.check_cron,
    handler: async () => {
      const r = await runAlarmChecks({ ...deps, keyring });
      log.info(r, 'alarm checks');
    },
  }] : [];
  return {
    name: 'privacy',
    api: (api) => registerPrivacyApi(api, deps),
    pages: privacyPages(deps),
    retention: [requestRetention, breachRetention, alarmRetention],
    jobs: [{
      queue: PRIVACY_REMINDER_QUEUE,
      cron: REMINDER_CRON,
      handler: async () => {
        const r = await sendPrivacyReminders(deps);
        log.info(r, 'privacy register reminders');
      },
    }, ...alarmJobs],
  };
}
