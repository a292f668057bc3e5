import { AUDIT_ACTIONS } from '../audit/actions.js';
import { ALL_DIRECTORY_USERS } from '../directory/plan.js';
import type { AccountSource, AccountStatus, Role } from '../identity/repository.js';
import type { Knex } from '../platform/db.js';

/**
 * The access review: who can do what, granted how, last signed in when, and how
 * much of other people's time data they read in a period. For the auditor's page and
 * the compliance export (which writes these rows as they are: the row type is the
 * contract, field names are stable).
 *
 * Sources, and why:
 * - Roles come from `role_assignments`; a directory role's `reason` is the group DN
 *   that grants it (a local role's reason is why it was given, e.g. "local account").
 * - Last sign-in comes from the audit log (`auth.login.succeeded`), not the sessions
 *   table: ended sessions are deleted after `retention.sign_in_records` (30 days by
 *   default), so the sessions table would answer "never" for someone who signed in two
 *   months ago; the log keeps sign-ins for `retention.audit_events` (years). It stays
 *   cheap: one probe per account into a small partial index (migration
 *   20261203010000). A sign-in is the password step (or the directory bind) passing;
 *   the event is written in the transaction that creates the session.
 * - Reads of other people's days come from `privacy.personal_data.read` events, which
 *   the timesheets and reports modules record once per day of another person opened,
 *   listed or exported, with the day's date in the payload. Only counts leave here:
 *   never whose days, which days or what was in them.
 */

/** One role of an account, with what grants it. */
export interface AccessReviewRole {
  role: Role;
  /** The team a team admin's scope is (null for every other role). */
  team: string | null;
  /** 'directory': granted by directory group membership at the last sync; 'local': given in Uurwerk itself. */
  source: AccountSource;
  /** The directory group (DN) that grants the role; null for local roles and for "every directory user". */
  group: string | null;
  /** The stored reason as is (the group DN, or why a local role was given). */
  reason: string;
}

/** One account in the access review (every account, active or not, local or directory). */
export interface AccessReviewRow {
  account_id: string;
  username: string;
  source: AccountSource;
  status: AccountStatus;
  /** Sorted by role, then team, then reason. */
  roles: AccessReviewRole[];
  /** ISO time of the last successful sign-in still in the audit log; null when none is. */
  last_sign_in_at: string | null;
  /** Distinct days of other people (person × date) whose time data this account read in the period. */
  days_of_others_read: number;
  /** Distinct other people whose time data this account read in the period. */
  people_read: number;
}

/** A review period: instants, `from` inclusive, `to` exclusive. */
export interface ReviewPeriod {
  from: Date;
  to: Date;
}

/** The default review period: the 90 days up to `now`. */
export function defaultReviewPeriod(now: Date = new Date()): ReviewPeriod {
  return { from: new Date(now.getTime() - 90 * 86_400_000), to: now };
}

interface AccountWithSignIn {
  id: string;
  username: string;
  source: AccountSource;
  status: AccountStatus;
  last_sign_in_at: Date | null;
}

interface ReadCounts {
  actor_id: string;
  days: string;
  people: string;
}

/** Every account with its last sign-in (one index probe each; the action is a literal so the partial index applies). */
async function accountsWithSignIn(db: Knex): Promise<AccountWithSignIn[]> {
  const { rows } = await db.raw<{ rows: AccountWithSignIn[] }>(`
    SELECT a.id, a.username, a.source, a.status,
      (SELECT e.at FROM audit.events e
        WHERE e.action = '${AUDIT_ACTIONS.loginSucceeded}' AND e.subject_id = a.id::text
        ORDER BY e.seq DESC LIMIT 1) AS last_sign_in_at
    FROM accounts a
    ORDER BY lower(a.username), a.source, a.id`);
  return rows;
}

/** Per actor: distinct (person, date) pairs and distinct people read in the period, reads of one's own data excepted. */
async function readsOfOthers(db: Knex, period: ReviewPeriod): Promise<Map<string, { days: number; people: number }>> {
  const { rows } = await db.raw<{ rows: ReadCounts[] }>(`
    SELECT actor_id,
      count(DISTINCT subject_id || '|' || coalesce(payload->>'date', object_type || ':' || coalesce(object_id, ''))) AS days,
      count(DISTINCT subject_id) AS people
    FROM audit.events
    WHERE action = ? AND at >= ? AND at < ? AND subject_id IS NOT NULL AND subject_id <> actor_id
    GROUP BY actor_id`, [AUDIT_ACTIONS.personalDataRead, period.from, period.to]);
  return new Map(rows.map((r) => [r.actor_id, { days: Number(r.days), people: Number(r.people) }]));
}

/** A stored role assignment as the review shows it. */
function reviewRole(r: { role: Role; team: string; reason: string; source: AccountSource }): AccessReviewRole {
  const group = r.source === 'directory' && r.reason !== ALL_DIRECTORY_USERS ? r.reason : null;
  return { role: r.role, team: r.team === '' ? null : r.team, source: r.source, group, reason: r.reason };
}

/**
 * The access review for a period: every account with its roles and scope, what grants
 * each role, the last sign-in, and how many days of other people it read in the period.
 * Read in one REPEATABLE READ snapshot so the three reads agree.
 */
export async function accessReview(db: Knex, period: ReviewPeriod): Promise<AccessReviewRow[]> {
  if (!(period.from.getTime() < period.to.getTime())) throw new RangeError('the review period must end after it starts');
  return db.transaction(async (trx) => {
    const accounts = await accountsWithSignIn(trx);
    const roles = (await trx('role_assignments').orderBy(['account_id', 'role', 'team', 'reason']).select('account_id', 'role', 'team', 'reason', 'source')) as Array<{ account_id: string; role: Role; team: string; reason: string; source: AccountSource }>;
    const reads = await readsOfOthers(trx, period);
    const byAccount = new Map<string, AccessReviewRole[]>();
    for (const r of roles) (byAccount.get(r.account_id) ?? byAccount.set(r.account_id, []).get(r.account_id)!).push(reviewRole(r));
    return accounts.map((a) => ({
      account_id: a.id,
      username: a.username,
      source: a.source,
      status: a.status,
      roles: byAccount.get(a.id) ?? [],
      last_sign_in_at: a.last_sign_in_at ? new Date(a.last_sign_in_at).toISOString() : null,
      days_of_others_read: reads.get(a.id)?.days ?? 0,
      people_read: reads.get(a.id)?.people ?? 0,
    }));
  }, { isolationLevel: 'repeatable read', readOnly: true });
}
