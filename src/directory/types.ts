import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { DirectoryConfig } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { SyncProblemCode } from './errors.js';
import type { DirectoryReader } from './ldap.js';
import type { SyncDiff } from './plan.js';
import type { RunOutcome } from './repository.js';

/** One audit event as the sync records it. Ids only (account ids, `system`, `cli:<user>`), never names. */
export interface SyncAuditEvent {
  action: string;
  actorId: string;
  subjectId?: string | null;
  object?: { type: string; id: string } | null;
  payload?: Record<string, unknown>;
}

/** The slice of the audit log the sync needs; the real `AuditLog` fits it. */
export interface AuditRecorder {
  record(trx: Knex.Transaction, event: SyncAuditEvent): Promise<unknown>;
  /** Several events under one append lock and one insert. */
  recordMany(trx: Knex.Transaction, events: SyncAuditEvent[]): Promise<unknown>;
}

/** Audit action names this module records (defined with all others in src/audit/actions.ts). */
export const DIRECTORY_AUDIT = {
  syncApplied: AUDIT_ACTIONS.directorySyncApplied,
  syncBlocked: AUDIT_ACTIONS.directorySyncBlocked,
  syncFailed: AUDIT_ACTIONS.directorySyncFailed,
  accountDisabled: AUDIT_ACTIONS.accountDisabled,
  accountDeactivated: AUDIT_ACTIONS.accountDeactivated,
  accountReenabled: AUDIT_ACTIONS.accountReenabled,
  roleGranted: AUDIT_ACTIONS.roleGranted,
  roleRevoked: AUDIT_ACTIONS.roleRevoked,
  sessionRevoked: AUDIT_ACTIONS.sessionRevoked,
  apiTokenRevoked: AUDIT_ACTIONS.apiTokenRevoked,
} as const;

/** What the sync is given: config, audit log, logger, and (for tests) the directory and clock. */
export interface SyncDeps {
  config: DirectoryConfig;
  audit: AuditRecorder;
  logger: Logger;
  /** Opens the directory; defaults to ldapts against `config.urls`. */
  connect?: (config: DirectoryConfig, logger: Logger) => Promise<DirectoryReader>;
  now?: () => Date;
}

/** How to run: dry run (print, change nothing), force a full reconcile, confirm a held-back mass change. */
export interface SyncOptions {
  dryRun?: boolean;
  full?: boolean;
  confirmMassChange?: boolean;
  /** 'schedule', 'schedule-full', 'cli', ... — stored on the run. */
  trigger: string;
  /** Audit actor: `system` for jobs, `cli:<user>` for the command line. */
  actorId: string;
}

/** The result of a run, for the CLI and the job log. */
export interface SyncResult {
  /** `skipped`: another node or process was running a sync; nothing was read or recorded. */
  outcome: RunOutcome | 'dry_run' | 'skipped';
  mode: 'full' | 'incremental';
  serverUrl: string | null;
  durationMs: number;
  counts: Record<string, number>;
  diff: SyncDiff | null;
  /** Why the run failed or was held back. */
  problem?: { code: SyncProblemCode; message: string };
  /** Continuation references the server returned and we did not follow. */
  references: string[];
  operatorsMailed: boolean;
  /** Where an applied run's time went: reading the directory, deciding and writing. */
  phases?: { readMs: number; applyMs: number };
}
