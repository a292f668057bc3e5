import type { Knex } from 'knex';
import type { Actor } from '../identity/policy.js';

/**
 * Who may do what with time data (pure, no I/O). Each rule exists twice: as a
 * predicate on a loaded day and as a query scope for lists and counts; a test runs
 * both over actors × states and checks they agree. The database enforces the same
 * visibility a third time with row-level security (migration
 * 20261123140700_timesheet_row_security).
 *
 * The matrix (PRODUCT.md): a draft is the owner's alone; a submitted, returned or
 * approved day is also readable by the team admins of a team recorded in the day's
 * scope at submission; nobody else (other admins, auditors, operators) learns that it
 * exists. Callers answer 404 whenever `canRead` is false.
 */

/** The states of a day. */
export const DAY_STATES = ['draft', 'submitted', 'returned', 'approved'] as const;
export type DayState = (typeof DAY_STATES)[number];

/** What the policy needs to know about a day. */
export interface DayFacts {
  ownerId: string;
  state: DayState;
  /** Teams whose scope held the owner when the day was (last) submitted. */
  scopeTeams: readonly string[];
}

/** Whether the actor is the day's owner. */
export function isOwner(actor: Actor, day: DayFacts): boolean {
  return actor.accountId === day.ownerId;
}

/** Whether the actor administers a team recorded in the day's scope (never for one's own day). */
export function isScopedAdmin(actor: Actor, day: DayFacts): boolean {
  if (isOwner(actor, day) || !actor.roles.has('team_admin')) return false;
  return day.scopeTeams.some((team) => actor.teams.has(team));
}

/** Read the day, its entries and totals. */
export function canRead(actor: Actor, day: DayFacts): boolean {
  if (isOwner(actor, day)) return true;
  return day.state !== 'draft' && isScopedAdmin(actor, day);
}

/** Add, change or delete entries of the day: the owner, while it is a draft or returned to them. */
export function canEditEntries(actor: Actor, day: DayFacts): boolean {
  return isOwner(actor, day) && (day.state === 'draft' || day.state === 'returned');
}

/** Submit the day for review. */
export function canSubmit(actor: Actor, day: DayFacts): boolean {
  return canEditEntries(actor, day);
}

/** Approve or return a submitted day. */
export function canReview(actor: Actor, day: DayFacts): boolean {
  return day.state === 'submitted' && isScopedAdmin(actor, day);
}

/** Reopen an approved day (back to the owner, with a reason). */
export function canReopen(actor: Actor, day: DayFacts): boolean {
  return day.state === 'approved' && isScopedAdmin(actor, day);
}

/** Whether a read by this actor must be recorded as a read of someone else's data. */
export function isForeignRead(actor: Actor, day: DayFacts): boolean {
  return !isOwner(actor, day);
}

/**
 * The query scope of `canRead` for `timesheet_days` (aliased or not): lists, counts
 * and inbox filters go through this, so they cannot drift from single reads.
 */
export function visibleDays(actor: Actor, alias = 'timesheet_days'): (q: Knex.QueryBuilder) => Knex.QueryBuilder {
  const col = (c: string) => `${alias}.${c}`;
  const teams = actor.roles.has('team_admin') ? [...actor.teams] : [];
  return (q) =>
    q.where((w) => {
      void w.where(col('owner_id'), actor.accountId);
      if (teams.length) {
        void w.orWhere((a) => {
          void a.whereNot(col('state'), 'draft').andWhereNot(col('owner_id'), actor.accountId).andWhereRaw(`${col('scope_teams')} && ?::text[]`, [teams]);
        });
      }
    });
}
