import type { DirectoryConfig } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { runDirectorySync, type AuditRecorder, type SyncResult } from './service.js';

/** What the scheduled sync needs from the job engine. */
export interface DirectoryJobDeps {
  db: Knex;
  config: DirectoryConfig;
  logger: Logger;
  /** The audit log; without it the job refuses to run (a sync must leave a trace). */
  audit?: AuditRecorder;
}

/**
 * One scheduled run: incremental (hourly by default) or the full reconcile (nightly).
 * A failed or held-back run is not a job failure: it is recorded, audited and mailed
 * by the sync itself, and retrying at once would only mail again.
 */
export async function runScheduledDirectorySync(deps: DirectoryJobDeps, full: boolean): Promise<SyncResult> {
  if (!deps.audit) throw new Error('directory sync: the audit log is not wired into the job engine (see directoryModule in src/directory/module.ts)');
  return runDirectorySync(deps.db, { config: deps.config, audit: deps.audit, logger: deps.logger }, {
    full, trigger: full ? 'schedule-full' : 'schedule', actorId: 'system',
  });
}
