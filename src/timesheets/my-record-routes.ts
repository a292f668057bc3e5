import { z } from 'zod';
import { loadActor } from '../identity/auth-service.js';
import { requireAuth } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import type { AppContext } from '../platform/http/context.js';
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

/**
 * Registers `GET /me/audit-events`: the recorded changes to my own data, beside
 * `/me/data-reads`. Signed-in people only (`auth` is read by request pipelines that
 * check a route's declared needs before its input; the handler checks as well).
 */
export function registerMyRecordApi(api: ApiRegistry, deps: TimesheetDeps): void {
  const route = {
    method: 'get' as const, path: '/me/audit-events', operationId: 'myAuditEvents', summary: 'What changed in my data: every audit event about me (newest first, paged)', tags: ['privacy'],
    auth: { session: true as const },
    query: myEventsQuery, response: myEventsResponse,
    handler: async (ctx: AppContext, { query }: { query: z.infer<typeof myEventsQuery> }) => {
      const auth = await requireAuth(ctx, deps.db, deps.config);
      return eventsAbout(deps, await loadActor(deps.db, auth.accountId), query);
    },
  };
  api.add(route);
}
