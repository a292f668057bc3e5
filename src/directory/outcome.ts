import type { Knex } from '../platform/db.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { operatorMailAddresses } from '../identity/directory-accounts.js';
import { DirectorySyncError, type SyncProblemCode } from './errors.js';
import { diffCounts, type SyncPlan } from './plan.js';
import { alreadyMailed, insertRun, lockSync } from './repository.js';
import { DIRECTORY_AUDIT, type SyncDeps, type SyncOptions, type SyncResult } from './types.js';

const CONFIRMABLE: ReadonlySet<SyncProblemCode> = new Set(['zero_users', 'mass_deactivation']);

/** A run that did not apply: why, and the plan it would have applied (when one was made). */
export interface NotApplied {
  started: Date;
  mode: 'full' | 'incremental';
  serverUrl: string | null;
  outcome: 'failed' | 'blocked';
  problem: DirectorySyncError;
  plan: SyncPlan | undefined;
  fetchedUsers: number;
  references: string[];
}

/**
 * Ends a run that changes nothing: a failed one (the directory erred) or a blocked one
 * (the safety valve held). Records the run with its error and pending diff, an audit
 * event, and mails the operators (once a day per problem). A dry run writes nothing.
 */
export async function finishWithoutApplying(db: Knex, deps: SyncDeps, opts: SyncOptions, r: NotApplied): Promise<SyncResult> {
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
