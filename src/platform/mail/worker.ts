import type PgBoss from 'pg-boss';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import type { Knex } from '../db.js';
import type { Logger } from '../logger.js';
import { deliverOne } from './delivery.js';
import { listenForMail } from './listener.js';
import type { MailCipher } from './outbox.js';

/** The mail queues: one job per message, and the once-a-minute sweep that makes sure every pending message has one. */
export const MAIL_QUEUES = { send: 'mail.send', sweep: 'mail.deliver' } as const;

/** What the mail worker needs. */
export interface MailWorkerDeps {
  connectionString: string;
  db: Knex;
  config: Readonly<Config>;
  logger: Logger;
  transport: Transporter;
  /** Opens sealed bodies (the key service); a sealed message fails without it. */
  cipher?: MailCipher;
}

/** The running mail worker. */
export interface MailWorker {
  /** Gives every pending message without a job one, and wakes the local worker; returns how many. */
  sweep(): Promise<number>;
  /** Stops the listener (pg-boss itself is stopped by its owner). */
  stop(): Promise<void>;
}

/**
 * pg-boss's retry settings for a message job, from `mail.*`: `max_attempts` tries in
 * all, the first retry after `retry_base_seconds` (with jitter), each later one about
 * twice as long (pg-boss doubles up to 2^16 and has no upper bound of its own).
 */
export function mailRetryOptions(mail: Config['mail']): { retryLimit: number; retryDelay: number; retryBackoff: true; expireInSeconds: number } {
  return { retryLimit: mail.max_attempts - 1, retryDelay: mail.retry_base_seconds, retryBackoff: true, expireInSeconds: mail.timeout_seconds * 4 + 30 };
}

/**
 * Creates the mail queues, and brings the message queue's retry settings in line with
 * `mail.*` when they changed. Nodes starting at the same moment can deadlock inside
 * pg-boss's queue creation (PostgreSQL 40P01); the loser simply tries again.
 */
async function ensureQueues(boss: PgBoss, mail: Config['mail']): Promise<void> {
  const options = { name: MAIL_QUEUES.send, policy: 'stately' as const, ...mailRetryOptions(mail) };
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.createQueue(MAIL_QUEUES.send, options);
      await boss.createQueue(MAIL_QUEUES.sweep);
      const q = (await boss.getQueue(MAIL_QUEUES.send)) as (Record<string, unknown> & { retryLimit?: number; retryDelay?: number; expireInSeconds?: number }) | null;
      if (q?.retryLimit !== options.retryLimit || q.retryDelay !== options.retryDelay || q.expireInSeconds !== options.expireInSeconds) {
        await boss.updateQueue(MAIL_QUEUES.send, options);
      }
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
    }
  }
}

/**
 * Delivers the outbox through the job engine: one pg-boss job per message (the queue
 * is `stately` and the job's singleton key is the outbox id, so a message has at most
 * one job waiting and one running, across all nodes), retried by pg-boss with its
 * exponential backoff. A committed enqueue NOTIFYs; every node's listener then sweeps
 * (creates the missing job, at most one wins) and wakes its worker, so new mail leaves
 * within seconds. The minute sweep catches anything a listener missed.
 */
export async function startMailWorker(boss: PgBoss, deps: MailWorkerDeps): Promise<MailWorker> {
  const log = deps.logger.child({ module: 'mail' });
  await ensureQueues(boss, deps.config.mail);

  const workerId = await boss.work<{ outboxId: string }>(
    MAIL_QUEUES.send,
    { batchSize: 1, pollingIntervalSeconds: deps.config.mail.poll_seconds, includeMetadata: true },
    async ([job]) => {
      if (!job) return;
      const lastAttempt = job.retryCount >= job.retryLimit;
      const outcome = await deliverOne(deps.db, deps.transport, deps.config.mail, deps.logger, job.data.outboxId, { cipher: deps.cipher, lastAttempt });
      // Thrown, so pg-boss schedules the retry; the message (no personal data) lands in the job's output.
      if (outcome === 'deferred' || outcome === 'unreachable') throw new Error(`outbox ${job.data.outboxId}: relay did not take it (${outcome})`);
    },
  );

  const sweep = async (): Promise<number> => {
    const { rows } = (await deps.db.raw(
      `SELECT o.id FROM mail_outbox o
        WHERE o.status = 'pending'
          AND NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.name = ? AND j.singleton_key = o.id::text AND j.state < 'completed')
        ORDER BY o.created_at LIMIT 500`,
      [MAIL_QUEUES.send],
    )) as { rows: Array<{ id: string }> };
    let created = 0;
    for (const r of rows) {
      // Another node may create the same job at the same moment; the stately queue keeps one.
      if (await boss.send(MAIL_QUEUES.send, { outboxId: r.id }, { singletonKey: r.id })) created++;
    }
    if (created > 0) boss.notifyWorker(workerId);
    return created;
  };

  await boss.work(MAIL_QUEUES.sweep, { batchSize: 1 }, async () => {
    const n = await sweep();
    if (n > 0) log.info({ jobs: n }, 'mail jobs created by the sweep');
  });
  await boss.schedule(MAIL_QUEUES.sweep, '* * * * *', {}, { singletonKey: 'cron' });
  const listener = await listenForMail(deps.connectionString, deps.logger, async () => {
    await sweep();
  });
  return { sweep, stop: () => listener.stop() };
}
