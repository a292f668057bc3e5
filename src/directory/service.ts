import type { Knex } from '../platform/db.js';
import { performance } from 'node:perf_hooks';
import { applyDirectoryChanges, directoryIdentityState, directoryQuietCheck } from '../identity/directory-accounts.js';
import { configDigest, syncDigest } from './digest.js';
import { DirectorySyncError } from './errors.js';
import { dnKey, mergeGroups, resolveMembers, type KeyedGroup, type MergedGroups } from './groups.js';
import { connectDirectory, type DirectoryReader } from './ldap.js';
import { readDirectory, type Read } from './read.js';
import { readInWorker, WorkerReadError } from './worker-read.js';
import { finishWithoutApplying } from './outcome.js';
import { configuredGroups, deactivationLimit, diffCounts, emptyPlan, planSyncSliced, type SyncPlan } from './plan.js';
import { insertRun, lockSync, replaceGroups, saveSyncState, storedGroups, syncState, withRunLock, writeGroups } from './repository.js';
import { mapSliced, slicer, yieldToLoop, type Slicer } from './slices.js';
import { DIRECTORY_AUDIT, type SyncAuditEvent, type SyncDeps, type SyncOptions, type SyncResult } from './types.js';

export { DIRECTORY_AUDIT, type AuditRecorder, type SyncDeps, type SyncOptions, type SyncResult } from './types.js';

/**
 * Runs one directory sync, one at a time across every node (another run in progress:
 * `skipped`). Everything the directory says is read first, outside any transaction —
 * on an incremental run only the users and groups whose uSNChanged moved, the
 * objects deleted since the bookmark and the users moved out of the base DNs; then, in one transaction, nested membership is
 * resolved from the stored groups, the plan is computed against the current rows and
 * either applied (accounts, statuses, session revocations, roles, scopes, groups,
 * bookmark, run record and its audit events together) or — when the directory failed
 * or the safety valve holds — nothing changes except the run record (with the diff
 * that was held back), an audit event and a mail to the operators. A dry run writes nothing.
 */
export async function runDirectorySync(db: Knex, deps: SyncDeps, opts: SyncOptions): Promise<SyncResult> {
  const started = (deps.now ?? (() => new Date()))();
  const result = await withRunLock(db, () => syncLocked(db, deps, opts, started));
  if (result) return result;
  deps.logger.child({ module: 'directory' }).info('another directory sync is running; this one is skipped');
  return { outcome: 'skipped', mode: opts.full ? 'full' : 'incremental', serverUrl: null, durationMs: 0, counts: {}, diff: null, references: [], operatorsMailed: false };
}

async function syncLocked(db: Knex, deps: SyncDeps, opts: SyncOptions, started: Date): Promise<SyncResult> {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ module: 'directory' });
  const prev = await syncState(db);
  const t0 = performance.now();
  let read: Read | undefined;
  let reader: DirectoryReader | undefined;
  try {
    // A full read (thousands of entries to parse and map) runs in a worker thread at a lower
    // priority, off this event loop; an hourly incremental read is small and stays here, where
    // it costs no thread start. (A run that turns out full only on the server's answer — a
    // restored or other DC — reads here too.)
    const full = opts.full === true || prev === undefined || prev.config_digest !== configDigest(deps.config);
    if (deps.connect || !full) {
      reader = await (deps.connect ?? connectDirectory)(deps.config, deps.logger);
      read = await readDirectory(reader, prev, deps.config, opts.full === true, started);
    } else {
      read = await readInWorker(deps.config, prev, opts.full === true, started, deps.logger);
    }
  } catch (err) {
    const e = err instanceof DirectorySyncError ? err : new DirectorySyncError('search_failed', (err as Error).message, { cause: err });
    log.error({ code: e.code, err: e.message }, 'directory sync failed; nothing changed');
    const serverUrl = e instanceof WorkerReadError ? e.url : reader?.url ?? null;
    return finishWithoutApplying(db, deps, opts, { started, mode: opts.full ? 'full' : 'incremental', serverUrl, outcome: 'failed', problem: e, plan: undefined, fetchedUsers: 0, references: [] });
  } finally {
    await reader?.close();
  }
  const r = read;
  if (r.skipped.count > 0) log.warn({ skipped: r.skipped.count, first: r.skipped.firstReason }, 'directory entries skipped');
  const readMs = Math.round(performance.now() - t0);
  // Let requests queued behind the read run before the planning pass (the sync shares the event loop with them).
  await yieldToLoop();
  const notApplied = (outcome: 'failed' | 'blocked', problem: DirectorySyncError, plan: SyncPlan | undefined) =>
    finishWithoutApplying(db, deps, opts, { started, mode: r.mode, serverUrl: r.server.url, outcome, problem, plan, fetchedUsers: r.users.length, references: r.references });

  let held: { plan: SyncPlan; problem: DirectorySyncError } | undefined;
  let result: SyncResult | undefined;
  try {
    result = await db.transaction(async (trx): Promise<SyncResult | undefined> => {
      await lockSync(trx);
      const { plan, groupsToWrite } = await decide(trx, deps, r, started);
      const counts = diffCounts(plan, r.users.length);
      if (opts.dryRun) return { outcome: 'dry_run', mode: r.mode, serverUrl: r.server.url, durationMs: now().getTime() - started.getTime(), counts, diff: plan.diff, references: r.references, operatorsMailed: false };
      if (r.mode === 'full' && r.users.length === 0 && !opts.confirmMassChange) {
        held = { plan, problem: new DirectorySyncError('zero_users', 'the directory returned zero users; a full sync would deactivate everyone') };
        return undefined;
      }
      const limit = deactivationLimit(deps.config, plan.activeBefore);
      if (plan.diff.deactivated.length > limit && !opts.confirmMassChange) {
        held = {
          plan,
          problem: new DirectorySyncError('mass_deactivation', `the sync would deactivate ${plan.diff.deactivated.length} of ${plan.activeBefore} active accounts (limit ${limit}); confirm with \`uurwerk ldap:sync --confirm-mass-change\``),
        };
        return undefined;
      }
      const revoked = await applyDirectoryChanges(trx, { ...plan, revokeSessions: plan.diff.revokeSessions });
      counts.sessionsRevoked = revoked.reduce((n, x) => n + x.count, 0);
      if (Array.isArray(groupsToWrite)) await replaceGroups(trx, groupsToWrite);
      else if (groupsToWrite) await writeGroups(trx, groupsToWrite);
      const s = r.server;
      await saveSyncState(trx, {
        server_url: s.url, ds_service_name: s.dsServiceName, invocation_id: s.invocationId, highest_usn: s.highestUsn, config_digest: configDigest(deps.config),
      }, r.mode === 'full', now());
      const finished = now();
      const durationMs = finished.getTime() - started.getTime();
      const runId = await insertRun(trx, {
        started_at: started, finished_at: finished, duration_ms: durationMs, mode: r.mode, trigger: opts.trigger, outcome: 'applied',
        server_url: s.url, counts, error_code: null, error: null, diff: plan.diff, operators_mailed: false,
      });
      // Audit last, in one append: recording takes the audit log's lock until commit.
      await deps.audit.recordMany(trx, [
        ...accountEvents(plan, revoked, opts.actorId),
        {
          action: DIRECTORY_AUDIT.syncApplied, actorId: opts.actorId, object: { type: 'directory', id: s.url },
          payload: { mode: r.mode, trigger: opts.trigger, confirmedMassChange: opts.confirmMassChange === true, counts, runId, digest: syncDigest(plan.diff) },
        },
      ]);
      return { outcome: 'applied', mode: r.mode, serverUrl: s.url, durationMs, counts, diff: plan.diff, references: r.references, operatorsMailed: false, phases: { readMs, applyMs: durationMs - readMs } };
    });
  } catch (err) {
    if (err instanceof DirectorySyncError) {
      log.error({ code: err.code, err: err.message }, 'directory sync failed; nothing changed');
      return notApplied('failed', err, undefined);
    }
    // The transaction rolled back, so nothing changed; say so like any other failure.
    log.error({ err }, 'directory sync could not be applied; nothing changed');
    return notApplied('failed', new DirectorySyncError('apply_failed', `writing the sync failed and was rolled back: ${(err as Error).message}`, { cause: err }), undefined);
  }
  if (result) {
    log.info({ mode: result.mode, counts: result.counts, outcome: result.outcome }, 'directory sync done');
    return result;
  }
  log.warn({ code: held!.problem.code, err: held!.problem.message }, 'directory sync held back by the safety valve; nothing changed');
  return notApplied('blocked', held!.problem, held!.plan);
}

/**
 * The plan of a run, and the groups to store with it. An incremental run that read no
 * change at all (no user, no group, no deletion) and finds no passed expiry plans
 * nothing: one count instead of reading every account, role and scope.
 */
async function decide(trx: Knex.Transaction, deps: SyncDeps, r: Read, now: Date): Promise<{ plan: SyncPlan; groupsToWrite: KeyedGroup[] | MergedGroups | undefined }> {
  if (r.mode === 'incremental' && r.users.length === 0 && r.groups.length === 0 && r.deleted.size === 0 && r.outOfScope.size === 0) {
    const quiet = await directoryQuietCheck(trx, now);
    if (quiet.expired === 0) return { plan: emptyPlan(quiet.active), groupsToWrite: undefined };
  }
  const identity = await directoryIdentityState(trx);
  const s = slicer();
  const { members, groupsToWrite } = await membership(trx, deps, r, identity.accounts, s);
  const plan = await planSyncSliced({ config: deps.config, now, fetched: { mode: r.mode, users: r.users, members, deleted: r.deleted, outOfScope: r.outOfScope }, ...identity }, s);
  return { plan, groupsToWrite };
}

/**
 * Nested membership of every configured group. A full run resolves it from the
 * groups it just read (and stores them all); an incremental run from the stored
 * groups with this run's changed and deleted groups and renamed users merged in.
 */
async function membership(trx: Knex.Transaction, deps: SyncDeps, r: Read, accounts: Array<{ directory_id: string | null; dn: string | null; status: string }>, s: Slicer): Promise<{ members: Map<string, Set<string>>; groupsToWrite: KeyedGroup[] | MergedGroups }> {
  const userIdByDn = new Map<string, string>();
  if (r.mode === 'full') {
    // Hashing every user's and member's DN is the bulk of this step: in slices.
    for (const u of r.users) {
      userIdByDn.set(dnKey(u.dn), u.directoryId);
      await s.tick();
    }
    const groups: KeyedGroup[] = [];
    for (const g of r.groups) groups.push({ guid: g.guid, dn: g.dn, members: await mapSliced(g.members, dnKey, s) });
    return { members: resolveMembers(groups, configuredGroups(deps.config), userIdByDn, r.server.url), groupsToWrite: groups };
  }
  const oldDn = new Map<string, string>();
  for (const a of accounts) {
    await s.tick();
    // A deactivated account holds no role, and its old DN may belong to someone new by now.
    if (!a.directory_id || !a.dn || a.status === 'deactivated' || r.deleted.has(a.directory_id) || r.outOfScope.has(a.directory_id)) continue;
    userIdByDn.set(dnKey(a.dn), a.directory_id);
    oldDn.set(a.directory_id, a.dn);
  }
  const renamed: Array<{ from: string; to: string }> = [];
  for (const u of r.users) {
    const before = oldDn.get(u.directoryId);
    if (before && dnKey(before) !== dnKey(u.dn)) {
      renamed.push({ from: before, to: u.dn });
      userIdByDn.delete(dnKey(before));
    }
    userIdByDn.set(dnKey(u.dn), u.directoryId);
  }
  const merged = mergeGroups(await storedGroups(trx), r.groups, r.deleted, renamed);
  return { members: resolveMembers(merged.groups.values(), configuredGroups(deps.config), userIdByDn, r.server.url), groupsToWrite: merged };
}

/**
 * The per-account events of a run: status changes, ended sessions and API tokens, which people
 * and auditors look up by account. Role and scope changes are covered by the run's
 * digest instead (one event per run, not one per role).
 */
function accountEvents(plan: SyncPlan, revoked: Array<{ accountId: string; count: number; tokenIds: string[]; reason: string }>, actorId: string): SyncAuditEvent[] {
  const d = plan.diff;
  const ev = (action: string, accountId: string, payload: Record<string, unknown>): SyncAuditEvent => ({ action, actorId, subjectId: accountId, object: { type: 'account', id: accountId }, payload });
  const reasonOf = new Map(plan.statusChanges.map((s) => [s.id, s.reason]));
  return [
    ...d.disabled.map((p) => ev(DIRECTORY_AUDIT.accountDisabled, p.accountId, { reason: p.reason })),
    ...d.deactivated.map((p) => ev(DIRECTORY_AUDIT.accountDeactivated, p.accountId, { reason: reasonOf.get(p.accountId) ?? 'no longer found in the directory' })),
    ...d.reEnabled.map((p) => ev(DIRECTORY_AUDIT.accountReenabled, p.accountId, {})),
    ...revoked.filter((x) => x.count > 0).map((x) => ev(DIRECTORY_AUDIT.sessionRevoked, x.accountId, { sessions: x.count, reason: x.reason })),
    ...revoked.filter((x) => x.tokenIds.length > 0).map((x) => ev(DIRECTORY_AUDIT.apiTokenRevoked, x.accountId, { reason: x.reason, token_ids: x.tokenIds })),
  ];
}
