import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import { ValidationError } from '../platform/errors.js';
import { complianceProblem } from './problems.js';
import { retentionStatus, type RetentionStatus } from '../retention/status.js';
import { accessReview, defaultReviewPeriod, type AccessReviewRow, type ReviewPeriod } from './access-review.js';
import { browseEvents, timeRange } from './audit-browse.js';
import { configFlags } from './config-flags.js';
import type { ComplianceDeps } from './context.js';
import { authorizeAuditorRead } from './policy.js';
import type { ConfigFlag, EventsPage, EventsQuery, PeriodQuery, VerificationView } from './schema.js';
import { verificationState } from './verification.js';

/**
 * The auditor's reads, shared by the API and the pages: each checks the role, reads,
 * and records one `compliance.auditor.read` event naming the view and the filters
 * used (ids, action prefixes, dates, cursors — never anything read). The event is
 * written after the read, in its own transaction: it lands at the head of the log,
 * so the next read of the log's first page shows it, and reading never recurses
 * (one event per read, whatever the page holds).
 */

/** The views an auditor reads (the `view` of each read event). */
export type AuditorView = 'home' | 'events' | 'verification' | 'access_review' | 'retention' | 'configuration';

/** Filter values worth recording: the ones given. */
type Filter = Record<string, string | number | undefined>;

/** Records one auditor read. */
export async function recordAuditorRead(deps: Pick<ComplianceDeps, 'db' | 'audit'>, actor: Actor, view: AuditorView, filter: Filter = {}): Promise<void> {
  const given = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
  await deps.audit.append({ action: AUDIT_ACTIONS.complianceAuditorRead, actorId: actor.accountId, payload: { view, filter: given } });
}

/** Checks the role, runs the read, records it. */
async function audited<T>(deps: ComplianceDeps, actor: Actor, view: AuditorView, filter: Filter, read: () => Promise<T>): Promise<T> {
  authorizeAuditorRead(actor);
  const result = await read();
  await recordAuditorRead(deps, actor, view, filter);
  return result;
}

/** A page of the audit log. */
export function readEvents(deps: ComplianceDeps, actor: Actor, q: EventsQuery): Promise<EventsPage> {
  return audited(deps, actor, 'events', { ...q }, () => browseEvents(deps.db, q, deps.config.timesheets.time_zone));
}

/** The verification state with one page of checkpoints. */
export function readVerification(deps: ComplianceDeps, actor: Actor, page: { before?: number }): Promise<VerificationView> {
  return audited(deps, actor, 'verification', { before: page.before }, () => {
    const key = deps.keyring.auditSigningKey();
    return verificationState(deps.db, { keyId: key.keyId, publicKey: key.publicKey }, page);
  });
}

/** The review period a query asks for (default: the last 90 days), checked. */
export function reviewPeriod(deps: Pick<ComplianceDeps, 'config' | 'clock'>, q: PeriodQuery): ReviewPeriod {
  const fallback = defaultReviewPeriod(deps.clock.now());
  const { from, to } = timeRange(q, deps.config.timesheets.time_zone);
  const period = { from: from ?? fallback.from, to: to ?? fallback.to };
  if (period.to.getTime() <= period.from.getTime()) throw new ValidationError([complianceProblem('query.from', 'range.from_before_to')]);
  return period;
}

/** The access review for a period. */
export function readAccessReview(deps: ComplianceDeps, actor: Actor, q: PeriodQuery): Promise<{ period: ReviewPeriod; accounts: AccessReviewRow[] }> {
  return audited(deps, actor, 'access_review', { ...q }, async () => {
    const period = reviewPeriod(deps, q);
    return { period, accounts: await accessReview(deps.db, period) };
  });
}

/** The retention state, as the operator console shows it (read-only). */
export function readRetention(deps: ComplianceDeps, actor: Actor): Promise<RetentionStatus> {
  return audited(deps, actor, 'retention', {}, () => retentionStatus(deps.db, deps.config.retention, deps.handlers, deps.clock));
}

/** The configuration flags. */
export function readConfigFlags(deps: ComplianceDeps, actor: Actor): Promise<ConfigFlag[]> {
  return audited(deps, actor, 'configuration', {}, () => Promise.resolve(configFlags(deps.config)));
}

/** What the start page summarises: the last verification, checkpoint breaks on the newest page, the number of flags. */
export function readHome(deps: ComplianceDeps, actor: Actor): Promise<{ verification: VerificationView; flags: ConfigFlag[] }> {
  return audited(deps, actor, 'home', {}, async () => {
    const key = deps.keyring.auditSigningKey();
    return { verification: await verificationState(deps.db, { keyId: key.keyId, publicKey: key.publicKey }), flags: configFlags(deps.config) };
  });
}
