import type { Transporter } from 'nodemailer';
import type { Config } from './config.js';
import type { Knex } from './db.js';
import type { Logger } from './logger.js';
import { deliverDue, purgeFinishedMail } from './mail/delivery.js';
import type { DomainModule } from './module.js';

/** The queue of the delivery pass (also the name of its cron row). */
export const MAIL_QUEUE = 'mail.deliver';

/**
 * Mail as the appliance runs it: a delivery pass every minute (and when nudged after
 * enqueueing; retries whose backoff has passed are picked up by the minute tick),
 * and the housekeeping step that deletes delivered mail past its retention.
 */
export function mailModule(deps: { db: Knex; config: Readonly<Config>; logger: Logger; transport: Transporter }): DomainModule {
  const log = deps.logger.child({ module: 'jobs' });
  return {
    name: 'mail',
    jobs: [
      {
        queue: MAIL_QUEUE,
        pollingIntervalSeconds: deps.config.mail.poll_seconds,
        cron: '* * * * *',
        scheduleKey: 'cron',
        handler: async () => {
          const r = await deliverDue(deps.db, deps.transport, deps.config.mail, deps.logger);
          if (r.sent + r.retried + r.failed > 0) log.info(r, 'mail delivery pass');
        },
      },
    ],
    housekeeping: [async () => ({ purgedMail: await purgeFinishedMail(deps.db, deps.config.mail) })],
  };
}
