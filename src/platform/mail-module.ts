import type { Transporter } from 'nodemailer';
import type { Config } from './config.js';
import type { Knex } from './db.js';
import type { Logger } from './logger.js';
import type { MailCipher } from './mail/outbox.js';
import { mailOutboxRetention } from './mail/retention.js';
import { MAIL_QUEUES, startMailWorker } from './mail/worker.js';
import type { DomainModule } from './module.js';

/** The queue of the minute sweep (also the name of its cron row); nudging it sweeps at once. */
export const MAIL_QUEUE = MAIL_QUEUES.sweep;

/**
 * Mail as the appliance runs it: the mail worker (one pg-boss job per message,
 * retried by pg-boss; a NOTIFY at commit sends new mail at once; the minute sweep
 * catches the rest), and the retention handler that deletes delivered and abandoned
 * mail after `retention.mail_outbox` (`mail.sent_retention_days` no longer counts).
 */
export function mailModule(deps: { db: Knex; config: Readonly<Config>; logger: Logger; transport: Transporter; cipher?: MailCipher }): DomainModule {
  return {
    name: 'mail',
    listeners: [({ connectionString, boss }) => startMailWorker(boss, { ...deps, connectionString })],
    retention: [mailOutboxRetention()],
  };
}
