import type { Transporter } from 'nodemailer';
import type { Config } from './config.js';
import type { Knex } from './db.js';
import type { Logger } from './logger.js';
import { purgeFinishedMail } from './mail/delivery.js';
import type { MailCipher } from './mail/outbox.js';
import { MAIL_QUEUES, startMailWorker } from './mail/worker.js';
import type { DomainModule } from './module.js';

/** The queue of the minute sweep (also the name of its cron row); nudging it sweeps at once. */
export const MAIL_QUEUE = MAIL_QUEUES.sweep;

/**
 * Mail as the appliance runs it: the mail worker (one pg-boss job per message,
 * retried by pg-boss; a NOTIFY at commit sends new mail at once; the minute sweep
 * catches the rest), and the housekeeping step that deletes delivered mail past
 * its retention.
 */
export function mailModule(deps: { db: Knex; config: Readonly<Config>; logger: Logger; transport: Transporter; cipher?: MailCipher }): DomainModule {
  return {
    name: 'mail',
    listeners: [({ connectionString, boss }) => startMailWorker(boss, { ...deps, connectionString })],
    housekeeping: [async () => ({ purgedMail: await purgeFinishedMail(deps.db, deps.config.mail) })],
  };
}
