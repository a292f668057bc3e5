import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import type { TimesheetDeps } from './context.js';
import { presentDataRead, presentRecordEvent, type AuditRow, type DataRead, type RecordEvent } from './presenter.js';

/**
 * A person's own record: who read their time data, and every recorded change to
 * their data (by them or anyone else), both from the audit log. Actor ids are
 * pseudonymous in the log; names are resolved here, for the owner's eyes only.
 */

/** Joins an actor id (an account id, `system`, `cli:<user>`) to the account's display name where it is one. */
function withActorName(db: Knex, q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.leftJoin('accounts as a', 'a.id', db.raw('(case when e.actor_id ~ ? then e.actor_id::uuid end)', ['^[0-9a-f-]{36}$']));
}

/** Reads of the actor's data by other people, newest first (from the audit log). */
export async function dataReadsOf(deps: TimesheetDeps, actor: Actor): Promise<DataRead[]> {
  const rows = (await withActorName(deps.db, deps.db('audit.events as e'))
    .where('e.subject_id', actor.accountId)
    .where('e.action', AUDIT_ACTIONS.personalDataRead)
    .whereNot('e.actor_id', actor.accountId)
    .orderBy('e.seq', 'desc')
    .limit(500)
    .select('e.seq', 'e.at', 'e.actor_id', 'e.action', 'e.object_type', 'e.object_id', 'e.payload', deps.db.raw('coalesce(a.display_name, a.username) as actor_name'))) as AuditRow[];
  return rows.map(presentDataRead);
}

/**
 * Events whose subject is the actor (reads by others excepted: those are in
 * dataReadsOf), newest first, paged by seq: pass the last page's `next_before`.
 * Only the date and the names of changed fields leave the payload.
 */
export async function eventsAbout(deps: TimesheetDeps, actor: Actor, page: { before?: number; limit?: number } = {}): Promise<{ events: RecordEvent[]; next_before: number | null }> {
  const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
  const q = withActorName(deps.db, deps.db('audit.events as e'))
    .where('e.subject_id', actor.accountId)
    .whereNot('e.action', AUDIT_ACTIONS.personalDataRead)
    .orderBy('e.seq', 'desc')
    .limit(limit + 1)
    .select('e.seq', 'e.at', 'e.actor_id', 'e.action', 'e.object_type', 'e.object_id', 'e.payload', deps.db.raw('coalesce(a.display_name, a.username) as actor_name'));
  if (page.before !== undefined) void q.where('e.seq', '<', page.before);
  const rows = (await q) as AuditRow[];
  const events = rows.slice(0, limit).map(presentRecordEvent);
  return { events, next_before: rows.length > limit ? events[events.length - 1]!.seq : null };
}
