import PgBoss from 'pg-boss';
import type { Logger } from './logger.js';

/**
 * One background job as a domain declares it. The engine knows nothing about what
 * a job does: domains hand these to the composition root (src/app/), which passes
 * them here.
 */
export interface JobDefinition {
  /** The pg-boss queue name; it also names the cron row, so it never changes. */
  queue: string;
  /**
   * Runs one job with the data it was sent with (`{}` for cron ticks and nudges).
   * Absent: the queue exists but this node takes no work from it.
   */
  handler?: (data: Record<string, unknown>) => Promise<void>;
  /**
   * The queue's retry, expiry and retention policy (pg-boss applies it to every job of
   * the queue, so a domain need not write its own retries and back-off).
   */
  queueOptions?: Omit<PgBoss.Queue, 'name'>;
  /**
   * The cron schedule. A string (re)schedules; `null` removes a schedule left from
   * an earlier start (the feature was switched off); absent leaves schedules alone.
   */
  cron?: string | null;
  /** Schedule options, e.g. a singleton key so a cron tick coalesces with nudges. */
  scheduleKey?: string;
  /** Worker options (defaults: one job at a time, pg-boss's polling interval). */
  pollingIntervalSeconds?: number;
}

/** The job engine plus the handle to stop it. */
export interface JobEngine {
  boss: PgBoss;
  /** Asks for one run of a queue soon; calls within a second coalesce into one job. */
  nudge(queue: string): Promise<void>;
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

/**
 * Installs the pg-boss schema and the given queues without starting workers (used by
 * `uurwerk migrate` and the test runner; the composition root supplies the list).
 */
export async function installJobSchema(connectionString: string, logger: Logger, queues: readonly string[]): Promise<void> {
  const boss = createBoss(connectionString, logger, { supervise: false, schedule: false });
  await boss.start();
  for (const q of queues) await boss.createQueue(q);
  await boss.stop({ graceful: false, wait: true });
}

/**
 * Starts the job engine with the given jobs: creates every queue, registers the
 * workers and applies the schedules. pg-boss keeps jobs and cron schedules in
 * PostgreSQL and locks them there, so several app nodes can run this side by side
 * and each job runs once.
 */
export async function startJobEngine(opts: { connectionString: string; logger: Logger; queues: readonly string[]; jobs: readonly JobDefinition[] }): Promise<JobEngine> {
  const boss = createBoss(opts.connectionString, opts.logger, { supervise: true, schedule: true });
  await boss.start();
  const queues = new Set([...opts.queues, ...opts.jobs.map((j) => j.queue)]);
  for (const q of queues) await boss.createQueue(q);
  for (const job of opts.jobs) {
    const handler = job.handler;
    if (handler) {
      const options = job.pollingIntervalSeconds === undefined ? { batchSize: 1 } : { batchSize: 1, pollingIntervalSeconds: job.pollingIntervalSeconds };
      await boss.work<Record<string, unknown>>(job.queue, options, async (batch) => {
        for (const j of batch) await handler(j.data ?? {});
      });
    }
    if (job.queueOptions) await boss.updateQueue(job.queue, { name: job.queue, ...job.queueOptions });
    if (typeof job.cron === 'string') await boss.schedule(job.queue, job.cron, {}, job.scheduleKey ? { singletonKey: job.scheduleKey } : {});
    else if (job.cron === null) await boss.unschedule(job.queue);
  }

  let stopped = false;
  return {
    boss,
    async nudge(queue) {
      await boss.send(queue, {}, { singletonKey: 'nudge', singletonSeconds: 1 });
    },
    async stop(timeoutMs) {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
    },
  };
}
