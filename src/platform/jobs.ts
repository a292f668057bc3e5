import PgBoss from 'pg-boss';
import type { Transporter } from 'nodemailer';
import type { Config } from './config.js';
import type { Knex } from './db.js';
import type { Logger } from './logger.js';
import { purgeFinishedMail } from './mail/delivery.js';
import type { MailCipher } from './mail/outbox.js';
import { startMailWorker } from './mail/worker.js';
import { runScheduledDirectorySync } from '../directory/job.js';
import type { AuditRecorder } from '../directory/service.js';
import { checkpointAndLog } from '../audit/checkpoints.js';
import { purgeExpiredAuthRows } from '../identity/housekeeping.js';
import { sendReminders } from '../timesheets/reminders.js';
import type { Keyring } from '../keys/types.js';

/** Names of the queues this appliance runs. */
export const QUEUES = {
  mailDeliver: 'mail.deliver',
  housekeeping: 'housekeeping',
  auditCheckpoint: 'audit.checkpoint',
  timesheetReminders: 'timesheets.reminders',
  /** Incremental directory sync (changes since the last uSNChanged). */
  directorySync: 'directory.sync',
  /** Full directory reconcile (also finds deleted users). */
  directoryReconcile: 'directory.reconcile',
} as const;

/** The job engine plus the handle to stop it. */
export interface Jobs {
  boss: PgBoss;
  /** Gives every pending mail its delivery job now and wakes the worker. */
  nudgeMail(): Promise<void>;
  /** Stops taking jobs, waits for running ones (bounded), closes its pool. */
  stop(timeoutMs: number): Promise<void>;
}

/** Creates pg-boss against the app database (schema `pgboss`); installs/upgrades its schema. */
export function createBoss(connectionString: string, logger: Logger, options: { supervise: boolean; schedule: boolean }): PgBoss {
  const boss = new PgBoss({
    connectionString,
    schema: 'pgboss',
    application_name: 'uurwerk-jobs',
    max: 4,
    supervise: options.supervise,
    schedule: options.schedule,
    migrate: true,
  });
  const log = logger.child({ module: 'jobs' });
  boss.on('error', (err) => log.error({ err }, 'job engine error'));
  return boss;
}

/** Installs the pg-boss schema and queues without starting workers (used by `uurwerk migrate`). */
export async function installJobSchema(connectionString: string, logger: Logger): Promise<void> {
  const boss = createBoss(connectionString, logger, { supervise: false, schedule: false });
  await boss.start();
  for (const q of Object.values(QUEUES)) await boss.createQueue(q);
  await boss.stop({ graceful: false, wait: true });
}

export interface JobDeps {
  connectionString: string;
  db: Knex;
  config: Readonly<Config>;
  logger: Logger;
  transport: Transporter;
  /** Opens sealed outbox bodies (the key service); without it a sealed message fails after its retries. */
  mailCipher?: MailCipher;
  /** The audit log for the directory sync; the scheduled sync refuses to run without it. */
  directoryAudit?: AuditRecorder;
  /** Signs the hourly audit checkpoints. */
  keyring?: Pick<Keyring, 'auditSigningKey'>;
}

/**
 * Starts the job engine with this appliance's workers and schedules. pg-boss keeps
 * jobs and cron schedules in PostgreSQL and locks them there, so several app nodes
 * can run this side by side and each job runs once.
 */
export async function startJobs(deps: JobDeps): Promise<Jobs> {
  const log = deps.logger.child({ module: 'jobs' });
  const boss = createBoss(deps.connectionString, deps.logger, { supervise: true, schedule: true });
  await boss.start();
  for (const q of Object.values(QUEUES)) await boss.createQueue(q);

  // One job per message, retried by pg-boss; new mail leaves at once (src/platform/mail/worker.ts).
  const mail = await startMailWorker(boss, { connectionString: deps.connectionString, db: deps.db, config: deps.config, logger: deps.logger, transport: deps.transport, cipher: deps.mailCipher });
  await boss.work(QUEUES.housekeeping, { batchSize: 1 }, async () => {
    const mails = await purgeFinishedMail(deps.db, deps.config.mail);
    const auth = await purgeExpiredAuthRows(deps.db);
    log.info({ purgedMail: mails, purgedSessions: auth.sessions, purgedResets: auth.resets, purgedThrottles: auth.throttles }, 'housekeeping done');
  });
  const directory = { db: deps.db, config: deps.config.directory, logger: deps.logger, audit: deps.directoryAudit };
  // A sync that fails or is held back is recorded and mailed by the sync itself; no retry storm.
  await boss.work(QUEUES.directorySync, { batchSize: 1 }, async () => {
    const r = await runScheduledDirectorySync(directory, false);
    log.info({ outcome: r.outcome, mode: r.mode, counts: r.counts }, 'directory sync');
  });
  await boss.work(QUEUES.directoryReconcile, { batchSize: 1 }, async () => {
    const r = await runScheduledDirectorySync(directory, true);
    log.info({ outcome: r.outcome, mode: r.mode, counts: r.counts }, 'directory full reconcile');
  });
  if (deps.config.directory.urls.length > 0) {
    await boss.schedule(QUEUES.directorySync, deps.config.directory.sync_cron, {});
    await boss.schedule(QUEUES.directoryReconcile, deps.config.directory.full_reconcile_cron, {});
  } else {
    // The directory was removed from the config: stop its schedules.
    await boss.unschedule(QUEUES.directorySync);
    await boss.unschedule(QUEUES.directoryReconcile);
  }
  await boss.schedule(QUEUES.housekeeping, deps.config.jobs.housekeeping_cron, {});
  if (deps.config.timesheets.reminder.enabled) {
    await boss.work(QUEUES.timesheetReminders, { batchSize: 1 }, async () => {
      const r = await sendReminders({ db: deps.db, config: deps.config });
      log.info(r, 'timesheet reminders sent');
    });
    await boss.schedule(QUEUES.timesheetReminders, deps.config.timesheets.reminder.cron, {});
  } else {
    await boss.unschedule(QUEUES.timesheetReminders);
  }
  if (deps.keyring) {
    const keyring = deps.keyring;
    await boss.work(QUEUES.auditCheckpoint, { batchSize: 1 }, async () => {
      await checkpointAndLog(deps.db, keyring, deps.logger, 'hourly');
    });
    // At least hourly (issue: "signed checkpoints at least hourly and at shutdown").
    await boss.schedule(QUEUES.auditCheckpoint, '0 * * * *', {});
  }

  let stopped = false;
  return {
    boss,
    async nudgeMail() {
      await mail.sweep();
    },
    async stop(timeoutMs) {
      if (stopped) return;
      stopped = true;
      await mail.stop();
      await boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
    },
  };
}
