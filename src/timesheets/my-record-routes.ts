import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import type { TimesheetDeps } from './context.js';
import { eventsAbout } from './my-record.js';

/** A positive whole number in a query string (a seq, a page size). */
const whole = z.string().regex(/^[1-9][0-9]{0,14}$/, 'must be a whole number ≥ 1').transform(Number);

/** Paging through my audit events: `before` is the last page's `next_before`. */
export const myEventsQuery = z.strictObject({ before: whole.optional(), limit: whole.pipe(z.number().max(200, 'at most 200')).optional() });

/** One recorded change to my data: who, when, what, which fields (never their values). */
export const myEventResponse = z.object({
  seq: z.number(),
  at: z.string(),
  actor_id: z.string(),
  actor_name: z.string().nullable(),
  action: z.string(),
  object_type: z.string().nullable(),
  object_id: z.string().nullable(),
  date: z.string().nullable(),
  fields: z.array(z.string()),
});
export const myEventsResponse = z.object({ events: z.array(myEventResponse), next_before: z.number().nullable() });

/** Registers `GET /me/audit-events`: the recorded changes to my own data, beside `/me/data-reads`. */
export function registerMyRecordApi(api: ApiRegistry, deps: TimesheetDeps): void {
  api.add({
    method: 'get', path: '/me/audit-events', operationId: 'myAuditEvents', summary: 'What changed in my data: every audit event about me (newest first, paged)', tags: ['privacy'],
    auth: { session: true },
    query: myEventsQuery, response: myEventsResponse,
    handler: async (ctx, { query }) => eventsAbout(deps, currentActor(ctx), query),
  });
}
