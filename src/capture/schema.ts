import { z } from 'zod';

/**
 * Request and response shapes of the capture API: the ActivityWatch REST API (as
 * aw-server speaks it, so the stock clients need no change) and the employee's own
 * capture settings. Pages and API share these.
 */

const isoTime = z.string().min(1).max(64).refine((s) => !Number.isNaN(Date.parse(s)), 'not a date-time (ISO 8601 expected)');

/** An event as an agent sends it. */
export const awEventBody = z.object({
  id: z.number().int().positive().optional(),
  timestamp: isoTime,
  duration: z.number().min(0).max(366 * 86_400).default(0),
  data: z.record(z.string().max(200), z.unknown()).default({}),
});
export type AwEventBody = z.infer<typeof awEventBody>;

/** An event as the API returns it. */
export const awEvent = z.object({
  id: z.number().int().nullable().optional(),
  timestamp: z.string(),
  duration: z.number(),
  data: z.record(z.string(), z.unknown()),
});

/** Plain inserts: one event or a list (upstream takes both). */
export const awEventsBody = z.union([awEventBody, z.array(awEventBody).max(10_000)]);

export const bucketParams = z.strictObject({ bucket_id: z.string().min(1).max(200) });
export const eventParams = z.strictObject({ bucket_id: z.string().min(1).max(200), event_id: z.coerce.number().int().positive() });

export const heartbeatQuery = z.strictObject({ pulsetime: z.coerce.number().min(0).max(86_400) });
export const eventsQuery = z.strictObject({
  start: isoTime.optional(),
  end: isoTime.optional(),
  limit: z.coerce.number().int().min(-1).max(1_000_000).optional(),
});
export const deleteBucketQuery = z.strictObject({ force: z.string().max(5).optional() });

export const bucketBody = z.object({
  client: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  hostname: z.string().min(1).max(200),
  data: z.record(z.string().max(200), z.unknown()).optional(),
});

export const awBucket = z.object({
  id: z.string(),
  name: z.string().nullable(),
  type: z.string(),
  client: z.string(),
  hostname: z.string(),
  created: z.string(),
  last_updated: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const awInfo = z.object({ hostname: z.string(), version: z.string(), testing: z.boolean(), device_id: z.string() });

export const exclusion = z.strictObject({
  field: z.enum(['app', 'title', 'url']),
  pattern: z.string().trim().min(1).max(200),
});

/** The employee's capture settings. */
export const captureSettings = z.strictObject({
  paused: z.boolean(),
  exclusions: z.array(exclusion).max(200),
});

/** A calendar date `YYYY-MM-DD` that exists (2026-02-30 does not). */
export const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date (YYYY-MM-DD) expected')
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
  }, { message: 'no such date', params: { code: 'date.none' } });
export const deletePeriodBody = z.strictObject({ from: date, to: date }).refine((b) => b.from <= b.to, { message: 'must not be before from', path: ['to'], params: { code: 'period.to_before_from' } });
export const deletePeriodResponse = z.object({ days: z.number(), events: z.number() });

/** A paired device: a personal token that carries the capture scope. */
export const device = z.object({ id: z.string(), name: z.string(), created_at: z.string(), expires_at: z.string(), last_used_at: z.string().nullable() });
