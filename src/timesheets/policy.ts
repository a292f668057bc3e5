import type { Knex } from 'knex';
import type { Actor } from '../identity/policy.js';
import { ForbiddenError, NotFoundError } from '../platform/errors.js';
import { tsConflict } from './problems.js';

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
  /** The calendar date, when known: named in refusals so a batch says which day. */
  date?: string;
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

/** Manage customers, projects and tasks: operators all of them, team admins their own teams' projects. */
export function canManageMasterData(actor: Actor, team?: string): boolean {
  if (actor.roles.has('operator')) return true;
  if (!actor.roles.has('team_admin')) return false;
  return team === undefined || actor.teams.has(team);
}

/** The team a new project belongs to when none is named: organisation-wide for operators, else the admin's first team. */
export function defaultProjectTeam(actor: Actor): string {
  return actor.roles.has('operator') ? '' : ([...actor.teams][0] ?? '');
}

/** Whether the actor administers any team (the admin inbox is theirs). */
export function isTeamAdmin(actor: Actor): boolean {
  return actor.roles.has('team_admin');
}

/** What an actor may try to do with a day. */
export type DayAction = 'read' | 'edit_entries' | 'submit' | 'review' | 'reopen';

/** What an actor may try to do with master data; `team` is the project's team when known. */
export type MasterDataAction = 'manage_master_data';

/**
 * The one decision point of the timesheets domain, composed from the predicates above.
 * Throws, in this order: 404 when the actor may not see the day (or it does not
 * exist) — indistinguishable, as the visibility matrix demands; 403 when the day is
 * visible but the action is not the actor's (an admin editing entries, an owner
 * approving their own day); 409 when the action is theirs but the day's state does
 * not allow it now. Master data: 403 unless the actor manages the team.
 */
export function authorize(actor: Actor, action: DayAction, day: DayFacts | undefined): asserts day is DayFacts;
export function authorize(actor: Actor, action: MasterDataAction, object: { team?: string }): void;
export function authorize(actor: Actor, action: DayAction | MasterDataAction, object: DayFacts | { team?: string } | undefined): void {
  if (action === 'manage_master_data') {
    const team = (object as { team?: string } | undefined)?.team;
    if (!canManageMasterData(actor, team)) throw new ForbiddenError('Only operators and the team admins of the project may change master data');
    return;
  }
  const day = object as DayFacts | undefined;
  if (!day || !canRead(actor, day)) throw new NotFoundError();
  const which = { ...(day.date ? { date: day.date } : {}), state: day.state };
  switch (action) {
    case 'read':
      return;
    case 'edit_entries':
    case 'submit':
      if (!isOwner(actor, day)) throw new ForbiddenError('Only the owner changes the entries of a day');
      if (!canEditEntries(actor, day)) throw tsConflict(action === 'submit' ? 'day_not_open' : 'day_locked', which);
      return;
    case 'review':
      if (!isScopedAdmin(actor, day)) throw new ForbiddenError('Only a team admin whose scope holds the day reviews it');
      if (!canReview(actor, day)) throw tsConflict('day_not_submitted', which);
      return;
    case 'reopen':
      if (!isScopedAdmin(actor, day)) throw new ForbiddenError('Only a team admin whose scope holds the day reopens it');
      if (!canReopen(actor, day)) throw tsConflict('day_not_approved', which);
      return;
  }
}
