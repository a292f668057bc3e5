import { createHash } from 'node:crypto';
import { AUDIT_ACTIONS, REPORT_AUDIT_ACTIONS } from '../audit/actions.js';
import { verifyDatabase } from '../audit/verify.js';
import { CANARY_PLAINTEXT, canaryAad, open } from '../keys/crypto.js';
import { listCanaries } from '../keys/repository.js';
import { applyFindings, SUSPECTED_KINDS, type AlarmDeps, type AlarmResult, type Finding } from './alarms.js';

/**
 * The checks behind the suspected-breach alarms, each asking the database (and the
 * keyring) whether its failure is happening now. Every check returns findings with a
 * key that names the thing without personal content: a KEK version, an account id,
 * a hash of a throttle key (which holds a user name or an address).
 */

/** The export actions counted for a mass export. */
const EXPORT_ACTIONS = [AUDIT_ACTIONS.personalDataExported, AUDIT_ACTIONS.auditExported, REPORT_AUDIT_ACTIONS.invoiceExported, REPORT_AUDIT_ACTIONS.payrollExported];

/**
 * The audit log since the last signed checkpoint's start (every checkpoint's chain and
 * signature, the events of the last signed segment and the unsigned tail); the whole
 * log is what `uurwerk audit:verify` checks.
 */
export async function checkAuditLog(deps: AlarmDeps): Promise<Finding[]> {
  const own = deps.keyring.auditSigningKey();
  const last = (await deps.db('audit.checkpoints').orderBy('number', 'desc').first('first_seq')) as { first_seq: string } | undefined;
  const report = await verifyDatabase(deps.db, { from: last ? Number(last.first_seq) : 1, keys: [{ keyId: own.keyId, publicKey: own.publicKey }] });
  return auditFindings(report.problems);
}

/** The finding of a failed verification (also raised by `audit:verify` when it fails). */
export function auditFindings(problems: ReadonlyArray<{ kind: string }>): Finding[] {
  if (!problems.length) return [];
  const kinds = [...new Set(problems.map((p) => p.kind))].sort();
  return [{ kind: 'audit_verify', key: 'audit-log', detail: { problems: problems.length, kinds: kinds.join(' ') } }];
}

/** Each KEK canary in the database must decrypt with the keyring's key of that version. */
export async function checkCanaries(deps: AlarmDeps): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const row of await listCanaries(deps.db)) {
    const v = row.kek_version;
    const plain = deps.keyring.has(v) ? open(deps.keyring.kek(v), row.ciphertext, canaryAad(v)) : undefined;
    if (!plain?.equals(CANARY_PLAINTEXT)) out.push({ kind: 'key_canary', key: `kek:${v}`, detail: { kek_version: v, on_disk: deps.keyring.has(v) } });
  }
  return out;
}

/**
 * The oldest event no checkpoint covers has waited longer than allowed: the hourly
 * checkpoint job missed at least one run. (Its age, not the last checkpoint's: after a
 * quiet night the first new event is not late.)
 */
export async function checkCheckpointSchedule(deps: AlarmDeps): Promise<Finding[]> {
  const late = deps.config.alarms.checkpoint_late_minutes;
  const cp = (await deps.db('audit.checkpoints').orderBy('number', 'desc').first('last_seq')) as { last_seq: string } | undefined;
  const first = (await deps.db('audit.events').where('seq', '>', cp ? Number(cp.last_seq) : 0).orderBy('seq').first('at')) as { at: Date } | undefined;
  if (!first) return [];
  const minutes = Math.floor((deps.clock.now().getTime() - first.at.getTime()) / 60_000);
  return minutes > late ? [{ kind: 'checkpoint_missed', key: 'checkpoint', detail: { minutes_since: minutes, allowed_minutes: late } }] : [];
}

/** One admin reading more of other people's days in the window than configured. */
export async function checkAdminReads(deps: AlarmDeps): Promise<Finding[]> {
  const { window_minutes: window, reads_per_window: limit } = deps.config.alarms;
  const since = new Date(deps.clock.now().getTime() - window * 60_000);
  const rows = (await deps.db('audit.events')
    .where('action', AUDIT_ACTIONS.personalDataRead)
    .where('at', '>', since)
    .whereNotNull('subject_id')
    .whereRaw('subject_id <> actor_id')
    .groupBy('actor_id')
    .havingRaw('count(*) >= ?', [limit])
    .select('actor_id', deps.db.raw('count(*)::int as n'))) as Array<{ actor_id: string; n: number }>;
  return rows.map((r) => ({ kind: 'admin_reads', key: r.actor_id, detail: { reads: r.n, window_minutes: window, limit } }));
}

/** Throttle counters at or above the alarm thresholds (keyed by a hash: the raw key holds a user name or address). */
export async function checkFailedSignIns(deps: AlarmDeps): Promise<Finding[]> {
  const { failed_signins_account: perAccount, failed_signins_address: perAddress } = deps.config.alarms;
  const rows = (await deps.db('auth_throttle')
    .where((q) => q.where('key', 'like', 'account:%').andWhere('failures', '>=', perAccount))
    .orWhere((q) => q.where('key', 'like', 'address:%').andWhere('failures', '>=', perAddress))
    .select('key', 'failures', 'first_failure_at')) as Array<{ key: string; failures: number; first_failure_at: Date }>;
  return rows.map((r) => {
    const scope = r.key.startsWith('account:') ? 'account' : 'address';
    const hash = createHash('sha256').update(r.key).digest('hex').slice(0, 16);
    return { kind: 'failed_signins', key: `${scope}:${hash}`, detail: { scope, failures: r.failures, since: r.first_failure_at.toISOString() } };
  });
}

/** One account exporting more often than configured in the window. */
export async function checkExports(deps: AlarmDeps): Promise<Finding[]> {
  const { window_minutes: window, exports_per_window: limit } = deps.config.alarms;
  const since = new Date(deps.clock.now().getTime() - window * 60_000);
  const rows = (await deps.db('audit.events')
    .whereIn('action', EXPORT_ACTIONS)
    .where('at', '>', since)
    .groupBy('actor_id')
    .havingRaw('count(*) >= ?', [limit])
    .select('actor_id', deps.db.raw('count(*)::int as n'))) as Array<{ actor_id: string; n: number }>;
  return rows.map((r) => ({ kind: 'mass_export', key: r.actor_id, detail: { exports: r.n, window_minutes: window, limit } }));
}

/** Runs every suspected-breach check and records what it found. */
export async function runSuspectedChecks(deps: AlarmDeps): Promise<AlarmResult> {
  const findings = (await Promise.all([checkAuditLog(deps), checkCanaries(deps), checkCheckpointSchedule(deps), checkAdminReads(deps), checkFailedSignIns(deps), checkExports(deps)])).flat();
  return applyFindings(deps, SUSPECTED_KINDS, findings);
}

/**
 * Records the outcome of `uurwerk audit:verify` against the database: a failure
 * opens (once) a suspected entry under the key `cli:audit-log`; a clean run over the
 * whole log closes it. The periodic check leaves this key alone.
 */
export async function recordVerifyOutcome(deps: AlarmDeps, problems: ReadonlyArray<{ kind: string }>, wholeLog: boolean): Promise<AlarmResult> {
  const findings = auditFindings(problems).map((f) => ({ ...f, key: 'cli:audit-log' }));
  return applyFindings(deps, ['audit_verify'], findings, (k) => wholeLog && k === 'cli:audit-log');
}
