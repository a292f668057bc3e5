import type { DirectoryConfig } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { AppError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { DomainModule } from '../platform/module.js';
import { runScheduledDirectorySync } from './job.js';
import { directorySyncRunsRetention } from './retention.js';
import type { AuditRecorder } from './service.js';
import { bindAsUser } from './user-bind.js';

/** The directory's queues (also the names of their cron rows). */
export const DIRECTORY_QUEUES = {
  /** Incremental directory sync (changes since the last uSNChanged). */
  sync: 'directory.sync',
  /** Full directory reconcile (also finds deleted users). */
  reconcile: 'directory.reconcile',
} as const;

/**
 * The directory as the appliance runs it: the incremental sync and the full
 * reconcile on their crons. Without configured directory URLs the schedules are
 * removed (the directory was taken out of the config); the workers stay, so a
 * manually queued run still ends with a recorded, mailed failure.
 */
export function directoryModule(deps: { db: Knex; config: DirectoryConfig; logger: Logger; audit: AuditRecorder }): DomainModule {
  const log = deps.logger.child({ module: 'jobs' });
  const on = deps.config.urls.length > 0;
  // A sync that fails or is held back is recorded and mailed by the sync itself; no retry storm.
  const run = (full: boolean) => async () => {
    const r = await runScheduledDirectorySync(deps, full);
    log.info({ outcome: r.outcome, mode: r.mode, counts: r.counts }, full ? 'directory full reconcile' : 'directory sync');
  };
  return {
    name: 'directory',
    jobs: [
      { queue: DIRECTORY_QUEUES.sync, cron: on ? deps.config.sync_cron : null, handler: run(false) },
      { queue: DIRECTORY_QUEUES.reconcile, cron: on ? deps.config.full_reconcile_cron : null, handler: run(true) },
    ],
    retention: [directorySyncRunsRetention()],
  };
}

/**
 * The password check for directory accounts: a bind as the user against the
 * configured servers; `undefined` when no directory is configured. A directory that
 * cannot be reached is a 503, never a wrong-password answer.
 */
export function directoryAuthenticator(config: DirectoryConfig, logger: Logger): { verify(dn: string, password: string): Promise<boolean> } | undefined {
  if (config.urls.length === 0) return undefined;
  return {
    async verify(dn, password) {
      try {
        return await bindAsUser(config, dn, password, logger);
      } catch {
        throw new AppError(503, 'directory_unavailable', 'The directory cannot be reached to check the password; try again later');
      }
    },
  };
}
