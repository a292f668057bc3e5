import pg from 'pg';
import type { Logger } from '../logger.js';
import { MAIL_CHANNEL } from './outbox.js';

/** A running outbox listener. */
export interface MailListener {
  /** Stops listening and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` whenever a transaction that enqueued mail commits (`enqueueMail` sends
 * a NOTIFY, which PostgreSQL delivers at commit and drops on rollback). Passes never
 * overlap: notifications that arrive during one are coalesced into one more pass.
 * This is why a reset link leaves within seconds: the scheduled pass only runs once
 * a minute (pg-boss cron resolution) and is kept as the fallback for retries and for
 * notifications missed while the connection was down. A lost connection is retried.
 */
export async function listenForMail(connectionString: string, logger: Logger, pass: () => Promise<void>): Promise<MailListener> {
  const log = logger.child({ module: 'mail' });
  let client: pg.Client | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let retry: NodeJS.Timeout | undefined;

  const kick = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await pass().catch((err: unknown) => log.warn({ err }, 'mail delivery pass after notification failed'));
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  };

  const connect = async (initial = false): Promise<void> => {
    const c = new pg.Client({ connectionString, application_name: 'uurwerk-mail-listener' });
    c.on('notification', () => kick());
    c.on('error', (err) => {
      log.warn({ err }, 'mail listener connection lost; reconnecting');
      void c.end().catch(() => undefined);
      if (client === c) client = undefined;
      if (!stopped) retry = setTimeout(() => void connect().catch(() => undefined), 2000);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${MAIL_CHANNEL}`);
    } catch (err) {
      void c.end().catch(() => undefined);
      if (initial) throw err; // at start, the caller decides
      if (!stopped) retry = setTimeout(() => void connect().catch(() => undefined), 2000);
      return;
    }
    if (stopped) {
      await c.end();
      return;
    }
    client = c;
    kick(); // whatever was committed while we were not listening
  };

  await connect(true);
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
      await running;
    },
  };
}
