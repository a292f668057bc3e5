import { AUDIT_CHECKPOINT_QUEUE } from '../audit/module.js';
import { COMPLIANCE_EXPORT_QUEUE } from '../compliance/export-module.js';
import { DIRECTORY_QUEUES } from '../directory/module.js';
import type { Config } from '../platform/config.js';
import { startJobEngine, type JobDefinition, type JobEngine } from '../platform/jobs.js';
import type { Logger } from '../platform/logger.js';
import { MAIL_QUEUE } from '../platform/mail-module.js';
import { MYDATA_EXPORT_QUEUE } from '../mydata/module.js';
import type { BackgroundListener, DomainModule } from '../platform/module.js';
import { RETENTION_QUEUE } from '../retention/module.js';
import { PRIVACY_ALARM_QUEUE, PRIVACY_REMINDER_QUEUE } from '../privacy/module.js';
import { REPORTS_FOLD_QUEUE } from '../reports/module.js';
import { REMINDER_QUEUE } from '../timesheets/module.js';

/** The queue of the shared housekeeping job, which runs every module's housekeeping steps. */
export const HOUSEKEEPING_QUEUE = 'housekeeping';

/**
 * Every queue of this appliance, by the module that owns it. `uurwerk migrate` and
 * the test runner create them all, so a node that has a job switched off still
 * finds the queue (names never change: cron rows and queued jobs refer to them).
 */
export const QUEUES = {
  mailDeliver: MAIL_QUEUE,
  housekeeping: HOUSEKEEPING_QUEUE,
  auditCheckpoint: AUDIT_CHECKPOINT_QUEUE,
  timesheetReminders: REMINDER_QUEUE,
  directorySync: DIRECTORY_QUEUES.sync,
  directoryReconcile: DIRECTORY_QUEUES.reconcile,
  retention: RETENTION_QUEUE,
  mydataExport: MYDATA_EXPORT_QUEUE,
  privacyReminders: PRIVACY_REMINDER_QUEUE,
  reportsFold: REPORTS_FOLD_QUEUE,
  privacyAlarms: PRIVACY_ALARM_QUEUE,
  complianceExport: COMPLIANCE_EXPORT_QUEUE,
} as const;

/** The list form of QUEUES, for installJobSchema. */
export const ALL_QUEUES: readonly string[] = Object.values(QUEUES);

/** The running job engine of the appliance. */
export interface Jobs extends JobEngine {
  /** Asks for a mail delivery pass soon (coalesced: many calls, one job). */
  nudgeMail(): Promise<void>;
}

/**
 * Collects the jobs of the given modules, adds the shared housekeeping job that
 * runs their housekeeping steps, starts the engine, then the modules' listeners
 * (stopped again before the engine). A job on a queue missing
 * from QUEUES is refused: `uurwerk migrate` would not have created it.
 */
export async function startJobs(deps: {
  connectionString: string; config: Readonly<Config>; logger: Logger; modules: readonly DomainModule[];
  /** Wraps each job's handler (the audit log chains what the job staged before the job counts as done). */
  aroundJob?: <T>(fn: () => Promise<T>) => Promise<T>;
}): Promise<Jobs> {
  const log = deps.logger.child({ module: 'jobs' });
  const around = deps.aroundJob;
  const jobs: JobDefinition[] = deps.modules.flatMap((m) => m.jobs ?? [])
    .map((j) => (around && j.handler ? { ...j, handler: ((h) => (data: Record<string, unknown>) => around(() => h(data)))(j.handler) } : j));
  for (const j of jobs) if (!ALL_QUEUES.includes(j.queue)) throw new Error(`job queue ${j.queue} is not listed in src/app/jobs.ts QUEUES`);
  const steps = deps.modules.flatMap((m) => m.housekeeping ?? []);
  if (steps.length > 0) {
    jobs.push({
      queue: HOUSEKEEPING_QUEUE,
      cron: deps.config.jobs.housekeeping_cron,
      handler: async () => {
        const run = async () => {
          const counts: Record<string, number> = {};
          for (const step of steps) Object.assign(counts, await step());
          log.info(counts, 'housekeeping done');
        };
        await (around ? around(run) : run());
      },
    });
  }
  const engine = await startJobEngine({ connectionString: deps.connectionString, logger: deps.logger, queues: ALL_QUEUES, jobs });
  const listeners: BackgroundListener[] = [];
  try {
    for (const start of deps.modules.flatMap((m) => m.listeners ?? [])) listeners.push(await start({ connectionString: deps.connectionString, boss: engine.boss }));
  } catch (err) {
    for (const l of listeners.reverse()) await l.stop();
    await engine.stop(1000);
    throw err;
  }
  let stopped = false;
  return {
    ...engine,
    nudgeMail: () => engine.nudge(MAIL_QUEUE),
    async stop(timeoutMs) {
      if (stopped) return;
      stopped = true;
      for (const l of listeners.reverse()) await l.stop();
      await engine.stop(timeoutMs);
    },
  };
}
