import type { DirectoryConfig } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { applyDirectoryChanges, directoryIdentityState, operatorMailAddresses } from '../identity/directory-accounts.js';
import { connectDirectory, type DirectoryReader, type ServerState } from './ldap.js';
import { DirectorySyncError, type SyncProblemCode } from './errors.js';
import { configuredGroups, deactivationLimit, diffCounts, planSync, type Fetched, type SyncDiff, type SyncPlan } from './plan.js';
import { alreadyMailed, insertRun, lockSync, saveSyncState, syncState, type RunOutcome } from './repository.js';
import { AUDIT_ACTIONS } from '../audit/actions.js';

/**
 * The slice of the audit log the sync needs. The real `AuditLog.record` fits it; the
 * lead wires it in. Ids only (account ids, `system`, `cli:<user>`), never names.
 */
export interface AuditRecorder {
  record(
    trx: Knex.Transaction,
    event: { action: string; actorId: string; subjectId?: string | null; object?: { type: string; id: string } | null; payload?: Record<string, unknown> },
  ): Promise<unknown>;
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
  outcome: RunOutcome | 'dry_run';
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
}

const CONFIRMABLE: ReadonlySet<SyncProblemCode> = new Set(['zero_users', 'mass_deactivation']);

/**
 * Runs one directory sync. Everything the directory says is read first, outside any
 * transaction; then, in one transaction under a lock, the plan is computed against
 * the current rows and either applied (accounts, statuses, session revocations,
 * roles, scopes, bookmark, run record and audit events together) or — when the
 * directory failed or the safety valve holds — nothing changes except the run
 * record, an audit event and a mail to the operators. A dry run writes nothing.
 */
export async function runDirectorySync(db: Knex, deps: SyncDeps, opts: SyncOptions): Promise<SyncResult> {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ module: 'directory' });
  const started = now();
  const connect = deps.connect ?? connectDirectory;
  const prev = await syncState(db);

  let server: ServerState | undefined;
  let fetched: Fetched | undefined;
  let references: string[] = [];
  let mode: 'full' | 'incremental' = opts.full ? 'full' : 'incremental';
  let reader: DirectoryReader | undefined;
  try {
    reader = await connect(deps.config, deps.logger);
    server = await reader.serverState();
    const sameServer = prev !== undefined && prev.server_url === server.url && prev.ds_service_name === server.dsServiceName
      && prev.invocation_id === server.invocationId && prev.highest_usn !== null && server.highestUsn !== null && server.invocationId !== null;
    if (!sameServer) mode = 'full';
    const result = await reader.users({ sinceUsn: mode === 'incremental' ? prev!.highest_usn! : undefined, now: started });
    references = result.references;
    if (result.skipped.length > 0) log.warn({ skipped: result.skipped.length, first: result.skipped[0]?.reason }, 'directory entries skipped');
    const members = new Map<string, Set<string>>();
    for (const g of configuredGroups(deps.config)) members.set(g, await reader.groupMembers(g));
    fetched = { mode, users: result.users, members };
  } catch (err) {
    const e = err instanceof DirectorySyncError ? err : new DirectorySyncError('search_failed', (err as Error).message, { cause: err });
    log.error({ code: e.code, err: e.message }, 'directory sync failed; nothing changed');
    return finishWithoutApplying(db, deps, opts, { started, mode, serverUrl: server?.url ?? reader?.url ?? null, outcome: 'failed', problem: e, plan: undefined, fetchedUsers: 0, references });
  } finally {
    await reader?.close();
  }

  if (mode === 'full' && fetched.users.length === 0 && !opts.confirmMassChange) {
    const problem = new DirectorySyncError('zero_users', 'the directory returned zero users; a full sync would deactivate everyone');
    return finishWithoutApplying(db, deps, opts, { started, mode, serverUrl: server.url, outcome: 'blocked', problem, plan: undefined, fetchedUsers: 0, references });
  }

  let heldBack: { plan: SyncPlan; problem: DirectorySyncError } | undefined;
  const applyInTransaction = () => db.transaction(async (trx): Promise<SyncResult | undefined> => {
    await lockSync(trx);
    const plan = planSync({ config: deps.config, now: started, fetched: fetched!, ...(await directoryIdentityState(trx)) });
    const counts = diffCounts(plan, fetched!.users.length);
    const limit = deactivationLimit(deps.config, plan.activeBefore);
    if (opts.dryRun) return dryRunResult(mode, server!, started, now(), counts, plan, references);
    if (plan.diff.deactivated.length > limit && !opts.confirmMassChange) {
      heldBack = {
        plan,
        problem: new DirectorySyncError('mass_deactivation', `the sync would deactivate ${plan.diff.deactivated.length} of ${plan.activeBefore} active accounts (limit ${limit}); confirm with \`uurwerk ldap:sync --confirm-mass-change\``),
      };
      return undefined;
    }
    const revoked = await applyPlan(trx, plan, opts, deps.audit);
    counts.sessionsRevoked = revoked;
    await saveSyncState(trx, { server_url: server!.url, ds_service_name: server!.dsServiceName, invocation_id: server!.invocationId, highest_usn: server!.highestUsn }, mode === 'full', now());
    const finished = now();
    const durationMs = finished.getTime() - started.getTime();
    await insertRun(trx, {
      started_at: started, finished_at: finished, duration_ms: durationMs, mode, trigger: opts.trigger, outcome: 'applied',
      server_url: server!.url, counts, error_code: null, error: null, diff: plan.diff, operators_mailed: false,
    });
    await deps.audit.record(trx, {
      action: DIRECTORY_AUDIT.syncApplied, actorId: opts.actorId, object: { type: 'directory', id: server!.url },
      payload: { mode, trigger: opts.trigger, confirmedMassChange: opts.confirmMassChange === true, counts },
    });
    return { outcome: 'applied', mode, serverUrl: server!.url, durationMs, counts, diff: plan.diff, references, operatorsMailed: false };
  });
  let result: SyncResult | undefined;
  try {
    result = await applyInTransaction();
  } catch (err) {
    // The transaction rolled back, so nothing changed; say so like any other failure.
    const problem = new DirectorySyncError('apply_failed', `writing the sync failed and was rolled back: ${(err as Error).message}`, { cause: err });
    log.error({ err }, 'directory sync could not be applied; nothing changed');
    return finishWithoutApplying(db, deps, opts, { started, mode, serverUrl: server.url, outcome: 'failed', problem, plan: undefined, fetchedUsers: fetched.users.length, references });
  }
  if (result) {
    log.info({ mode, counts: result.counts, outcome: result.outcome }, 'directory sync done');
    return result;
  }
  const held = heldBack!;
  log.warn({ code: held.problem.code, err: held.problem.message }, 'directory sync held back by the safety valve; nothing changed');
  return finishWithoutApplying(db, deps, opts, { started, mode, serverUrl: server.url, outcome: 'blocked', problem: held.problem, plan: held.plan, fetchedUsers: fetched.users.length, references });
}

function dryRunResult(mode: 'full' | 'incremental', server: ServerState, started: Date, finished: Date, counts: Record<string, number>, plan: SyncPlan, references: string[]): SyncResult {
  return { outcome: 'dry_run', mode, serverUrl: server.url, durationMs: finished.getTime() - started.getTime(), counts, diff: plan.diff, references, operatorsMailed: false };
}

/**
 * Has identity apply every change of the plan (identity owns those tables), then
 * records the audit events; returns the number of sessions revoked.
 */
async function applyPlan(trx: Knex.Transaction, plan: SyncPlan, opts: SyncOptions, audit: AuditRecorder): Promise<number> {
  const revokedPerAccount = await applyDirectoryChanges(trx, { ...plan, revokeSessions: plan.diff.revokeSessions });
  const revoked = revokedPerAccount.reduce((n, r) => n + r.count, 0);

  // Audit last: recording takes the audit log's append lock until commit.
  const d = plan.diff;
  for (const p of d.disabled) await audit.record(trx, { action: DIRECTORY_AUDIT.accountDisabled, actorId: opts.actorId, subjectId: p.accountId, object: { type: 'account', id: p.accountId }, payload: { reason: p.reason } });
  for (const p of d.deactivated) await audit.record(trx, { action: DIRECTORY_AUDIT.accountDeactivated, actorId: opts.actorId, subjectId: p.accountId, object: { type: 'account', id: p.accountId }, payload: { reason: 'no longer found in the directory' } });
  for (const p of d.reEnabled) await audit.record(trx, { action: DIRECTORY_AUDIT.accountReenabled, actorId: opts.actorId, subjectId: p.accountId, object: { type: 'account', id: p.accountId }, payload: {} });
  for (const c of d.roleChanges) {
    await audit.record(trx, {
      action: c.change === 'added' ? DIRECTORY_AUDIT.roleGranted : DIRECTORY_AUDIT.roleRevoked, actorId: opts.actorId, subjectId: c.accountId,
      object: { type: 'account', id: c.accountId }, payload: { role: c.role, team: c.team || null, reason: c.reason, source: 'directory' },
    });
  }
  for (const r of revokedPerAccount) {
    if (r.count === 0) continue;
    await audit.record(trx, { action: DIRECTORY_AUDIT.sessionRevoked, actorId: opts.actorId, subjectId: r.accountId, object: { type: 'account', id: r.accountId }, payload: { sessions: r.count, reason: r.reason } });
  }
  return revoked;
}

/**
 * Ends a run that changes nothing: a failed one (the directory erred) or a blocked one
 * (the safety valve held). Records the run with its error and pending diff, an audit
 * event, and mails the operators (once a day per problem). A dry run writes nothing.
 */
async function finishWithoutApplying(
  db: Knex,
  deps: SyncDeps,
  opts: SyncOptions,
  r: { started: Date; mode: 'full' | 'incremental'; serverUrl: string | null; outcome: 'failed' | 'blocked'; problem: DirectorySyncError; plan: SyncPlan | undefined; fetchedUsers: number; references: string[] },
): Promise<SyncResult> {
  const now = deps.now ?? (() => new Date());
  const counts = r.plan ? diffCounts(r.plan, r.fetchedUsers) : { fetched: r.fetchedUsers };
  const problem = { code: r.problem.code, message: r.problem.message };
  const base = { mode: r.mode, serverUrl: r.serverUrl, counts, diff: r.plan?.diff ?? null, problem, references: r.references };
  if (opts.dryRun) {
    return { ...base, outcome: r.outcome, durationMs: now().getTime() - r.started.getTime(), operatorsMailed: false };
  }
  return db.transaction(async (trx) => {
    await lockSync(trx);
    const finished = now();
    const durationMs = finished.getTime() - r.started.getTime();
    const recipients = (await alreadyMailed(trx, r.problem.code, finished)) ? [] : await operatorMailAddresses(trx);
    if (recipients.length > 0) await enqueueMail(trx, operatorMail(recipients, r.outcome, problem, counts, r.serverUrl));
    await insertRun(trx, {
      started_at: r.started, finished_at: finished, duration_ms: durationMs, mode: r.mode, trigger: opts.trigger, outcome: r.outcome,
      server_url: r.serverUrl, counts, error_code: problem.code, error: problem.message, diff: r.plan?.diff ?? null, operators_mailed: recipients.length > 0,
    });
    await deps.audit.record(trx, {
      action: r.outcome === 'failed' ? DIRECTORY_AUDIT.syncFailed : DIRECTORY_AUDIT.syncBlocked, actorId: opts.actorId,
      object: { type: 'directory', id: r.serverUrl ?? 'unreachable' },
      payload: { mode: r.mode, trigger: opts.trigger, code: problem.code, counts, operatorsMailed: recipients.length },
    });
    return { ...base, outcome: r.outcome, durationMs, operatorsMailed: recipients.length > 0 };
  });
}

/** The operators' mail: what happened and what to do, without anyone's personal data. */
function operatorMail(to: string[], outcome: 'failed' | 'blocked', problem: { code: string; message: string }, counts: Record<string, number>, serverUrl: string | null) {
  const confirm = CONFIRMABLE.has(problem.code as SyncProblemCode);
  const lines = [
    outcome === 'failed'
      ? 'The directory sync failed. Nothing was changed: no account was disabled, deactivated or lost a role.'
      : 'The directory sync was held back by the safety valve. Nothing was changed.',
    '',
    `Server: ${serverUrl ?? '(none reachable)'}`,
    `Problem (${problem.code}): ${problem.message}`,
    '',
    'Counts: ' + Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', '),
    '',
    'See `uurwerk ldap:status` for the details and the pending changes.',
    confirm
      ? 'If the change is intended, apply it with `uurwerk ldap:sync --confirm-mass-change` (try `--dry-run` first).'
      : 'The next scheduled sync tries again; you will not be mailed again about this problem for 24 hours unless a sync succeeds in between.',
  ];
  return { to, subject: outcome === 'failed' ? 'Uurwerk: directory sync failed' : 'Uurwerk: directory sync held back (safety valve)', text: lines.join('\n') };
}
