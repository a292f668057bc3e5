import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import { AppError, ValidationError } from '../platform/errors.js';
import { captureProblem } from './problems.js';
import type { ApiRegistry, RouteAuth } from '../platform/http/api.js';
import { cutoffFor } from '../retention/policy.js';
import type { CaptureDeps } from './context.js';
import { awExport, exportCapture } from './export.js';
import { bucketRowId, countEvents, createBucket, deleteBucket, deleteEvent, insertEvents, listBuckets, readEvents, type Bucket } from './events.js';
import type { HeartbeatIngest } from './ingest.js';
import type { CaptureEvent } from './merge.js';
import { awBucket, awEvent, awEventBody, awEventsBody, awInfo, bucketBody, bucketParams, deleteBucketQuery, eventParams, eventsQuery, heartbeatQuery, type AwEventBody } from './schema.js';

/**
 * The ActivityWatch REST API, per employee, under `/api/v1/aw/api/0/`: an agent's
 * base URL is `<public url>/api/v1/aw` and it sends `Authorization: Bearer <token>`
 * with a personal token carrying the `capture` scope. A signed-in employee reaches
 * the same calls with their session. Operators and auditors (not employees) get 403;
 * everyone sees only their own buckets (another person's answer 404).
 */

const AW = '/aw/api/0';
const OWN_CAPTURE: RouteAuth = { session: true, token: 'capture', roles: ['employee'] };
const TAGS = ['capture (ActivityWatch)'];

/** An event as the API returns it. */
export function presentEvent(e: CaptureEvent): z.infer<typeof awEvent> {
  return { id: e.id ?? null, timestamp: new Date(e.start).toISOString(), duration: e.duration, data: e.data };
}

function presentBucket(b: Bucket): z.infer<typeof awBucket> {
  return { id: b.id, name: null, type: b.type, client: b.client, hostname: b.hostname, created: b.created.toISOString(), last_updated: b.last_updated?.toISOString() ?? null, data: b.data };
}

/**
 * Turns validated events into capture events, refusing (422, naming the field) those
 * older than the raw-capture retention period (they would be due for deletion at once)
 * and those more than a day ahead.
 */
export function toEvents(deps: CaptureDeps, body: AwEventBody[], prefix: (i: number) => string): CaptureEvent[] {
  const oldest = cutoffFor(deps.config.retention, 'raw_capture', new Date()).getTime();
  // A day ahead at most (clocks drift): one absurd timestamp must not reach a shared flush.
  const latest = Date.now() + 86_400_000;
  const problems = body.flatMap((e, i) => {
    const at = Date.parse(e.timestamp);
    if (at < oldest) return [captureProblem(prefix(i) + 'timestamp', 'event.too_old')];
    if (at > latest) return [captureProblem(prefix(i) + 'timestamp', 'event.future')];
    return [];
  });
  if (problems.length) throw new ValidationError(problems);
  return body.map((e) => ({ id: e.id, start: Date.parse(e.timestamp), duration: e.duration, data: e.data }));
}

/** Registers the ActivityWatch API. */
export function registerAwApi(api: ApiRegistry, deps: CaptureDeps, ingest: HeartbeatIngest): void {
  const me = (ctx: Parameters<typeof currentActor>[0]) => currentActor(ctx).accountId;
  api.add({
    method: 'get', path: `${AW}/info`, operationId: 'awInfo', summary: 'ActivityWatch server info (for agents)', tags: TAGS, auth: OWN_CAPTURE,
    response: awInfo,
    handler: () => ({ hostname: 'uurwerk', version: 'v0.13.2 (uurwerk)', testing: false, device_id: 'uurwerk' }),
  });
  api.add({
    method: 'get', path: `${AW}/buckets`, operationId: 'awListBuckets', summary: 'My capture buckets', tags: TAGS, auth: OWN_CAPTURE,
    response: z.record(z.string(), awBucket),
    handler: async (ctx) => Object.fromEntries((await listBuckets(deps, me(ctx))).map((b) => [b.id, presentBucket(b)])),
  });
  api.add({
    method: 'get', path: `${AW}/buckets/:bucket_id`, operationId: 'awGetBucket', summary: 'One of my capture buckets', tags: TAGS, auth: OWN_CAPTURE,
    params: bucketParams, response: awBucket,
    handler: async (ctx, { params }) => {
      const [b] = await listBuckets(deps, me(ctx), params.bucket_id);
      if (!b) throw new AppError(404, 'not_found', 'No such bucket');
      return presentBucket(b);
    },
  });
  api.add({
    method: 'post', path: `${AW}/buckets/:bucket_id`, operationId: 'awCreateBucket', summary: 'Create a capture bucket (304 when it exists, as aw-server)', tags: TAGS, auth: OWN_CAPTURE,
    params: bucketParams, body: bucketBody, response: z.object({}),
    handler: async (ctx, { params, body }) => {
      const made = await createBucket(deps, me(ctx), params.bucket_id, { client: body.client, type: body.type, hostname: body.hostname, data: body.data ?? {} });
      if (!made) throw new AppError(304, 'not_modified', 'The bucket exists');
      return {};
    },
  });
  api.add({
    method: 'delete', path: `${AW}/buckets/:bucket_id`, operationId: 'awDeleteBucket', summary: 'Delete a capture bucket and its events', tags: TAGS, auth: OWN_CAPTURE,
    params: bucketParams, query: deleteBucketQuery, response: z.object({}),
    handler: async (ctx, { params }) => {
      await deleteBucket(deps, me(ctx), params.bucket_id);
      return {};
    },
  });
  api.add({
    method: 'get', path: `${AW}/buckets/:bucket_id/events`, operationId: 'awGetEvents', summary: 'Events of a bucket, newest first', tags: TAGS, auth: OWN_CAPTURE,
    params: bucketParams, query: eventsQuery, response: z.array(awEvent),
    handler: async (ctx, { params, query }) => {
      const events = await readEvents(deps, me(ctx), params.bucket_id, {
        start: query.start ? new Date(query.start) : undefined, end: query.end ? new Date(query.end) : undefined,
        limit: query.limit === undefined || query.limit < 0 ? undefined : query.limit,
      });
      return events.map(presentEvent);
    },
  });
  api.add({
    method: 'get', path: `${AW}/buckets/:bucket_id/events/count`, operationId: 'awCountEvents', summary: 'How many events a bucket holds', tags: TAGS, auth: OWN_CAPTURE,
    params: bucketParams, query: eventsQuery, response: z.number(),
    handler: async (ctx, { params, query }) => countEvents(deps, me(ctx), params.bucket_id, { start: query.start ? new Date(query.start) : undefined, end: query.end ? new Date(query.end) : undefined }),
  });
  api.add({
    method: 'get', path: `${AW}/buckets/:bucket_id/events/:event_id`, operationId: 'awGetEvent', summary: 'One event', tags: TAGS, auth: OWN_CAPTURE,
    params: eventParams, response: awEvent,
    handler: async (ctx, { params }) => {
      const [e] = await readEvents(deps, me(ctx), params.bucket_id, { id: params.event_id });
      if (!e) throw new AppError(404, 'not_found', 'No such event');
      return presentEvent(e);
    },
  });
  api.add({
    method: 'delete', path: `${AW}/buckets/:bucket_id/events/:event_id`, operationId: 'awDeleteEvent', summary: 'Delete one event', tags: TAGS, auth: OWN_CAPTURE,
    params: eventParams, response: z.object({}),
    handler: async (ctx, { params }) => {
      await deleteEvent(deps, me(ctx), params.bucket_id, params.event_id);
      return {};
    },
  });
  api.add({
    method: 'post', path: `${AW}/buckets/:bucket_id/events`, operationId: 'awInsertEvents', summary: 'Insert events (an event with an id replaces it)', tags: TAGS, auth: OWN_CAPTURE,
    params: bucketParams, body: awEventsBody, response: z.object({}),
    handler: async (ctx, { params, body }) => {
      const list = Array.isArray(body) ? body : [body];
      const events = toEvents(deps, list, (i) => (Array.isArray(body) ? `${i}.` : ''));
      const accountId = me(ctx);
      await deps.db.transaction(async (trx) => insertEvents(deps, trx, accountId, await bucketRowId(trx, accountId, params.bucket_id), events));
      return {};
    },
  });
  api.add({
    method: 'post', path: `${AW}/buckets/:bucket_id/heartbeat`, operationId: 'awHeartbeat', summary: 'Heartbeat: extends the last event when the data is the same within pulsetime seconds', tags: TAGS, auth: OWN_CAPTURE,
    params: bucketParams, query: heartbeatQuery, body: awEventBody, response: awEvent,
    handler: async (ctx, { params, query, body }) => {
      const [event] = toEvents(deps, [body], () => '');
      return presentEvent(await ingest.heartbeat({ accountId: me(ctx), bucket: params.bucket_id, pulsetime: query.pulsetime, event: event! }));
    },
  });
  api.add({
    method: 'get', path: `${AW}/export`, operationId: 'awExport', summary: 'All my buckets and events, as aw-server exports them', tags: TAGS, auth: OWN_CAPTURE,
    response: awExport,
    handler: (ctx) => exportCapture(deps, me(ctx)),
  });
}
