import { z } from 'zod';

/**
 * Request and response schemas of the retention API, shared with the CLI's checks
 * (the same rules for `hold:add` and `POST /api/v1/retention/holds`).
 */

const date = z.iso.date();
const reason = z.string().trim().min(1).max(500);

/** `POST /retention/holds`: exactly one of person, project, customer or from+to. */
export const holdAddBody = z
  .strictObject({
    person: z.uuid().optional(),
    project: z.uuid().optional(),
    customer: z.uuid().optional(),
    from: date.optional(),
    to: date.optional(),
    reason,
    until: date,
  })
  .superRefine((b, ctx) => {
    const given = [b.person, b.project, b.customer, b.from ?? b.to].filter((v) => v !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', path: ['person'], message: 'give exactly one of person, project, customer, or from and to' });
    if ((b.from === undefined) !== (b.to === undefined)) ctx.addIssue({ code: 'custom', path: [b.from === undefined ? 'from' : 'to'], message: 'a date range needs both from and to' });
  });

/** `POST /retention/holds/:id/release`. */
export const holdReleaseBody = z.strictObject({ reason });

/** `uurwerk erase`: the same rule for the reason as for holds. */
export const eraseBody = z.strictObject({ reason });

/** Path parameter of a hold. */
export const holdParams = z.object({ id: z.uuid() });

/** A hold as the API shows it. */
export const holdResponse = z.object({
  id: z.uuid(),
  kind: z.enum(['person', 'project', 'customer', 'range']),
  person: z.string().nullable(),
  project: z.string().nullable(),
  customer: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string(),
  until: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  released_at: z.string().nullable(),
  released_by: z.string().nullable(),
  release_reason: z.string().nullable(),
});

/** `GET /retention/holds?all=true` also lists released holds. */
export const holdListQuery = z.strictObject({ all: z.enum(['true', 'false']).optional() });

/** `GET /retention/holds`. */
export const holdListResponse = z.object({ holds: z.array(holdResponse) });

/** `POST /retention/holds/:id/release`. */
export const releasedResponse = z.object({ released: z.literal(true) });

const counts = z.record(z.string(), z.number());

/** `GET /retention`: per category, the setting, oldest data, next due, held items and the last run. */
export const statusResponse = z.object({
  as_of: z.string(),
  cron: z.string(),
  batch_size: z.number(),
  active_holds: z.number(),
  last_run: z
    .object({ id: z.string(), status: z.string(), as_of: z.string(), started_at: z.string(), finished_at: z.string().nullable(), started_by: z.string(), error: z.string().nullable() })
    .nullable(),
  categories: z.array(
    z.object({
      category: z.string(),
      setting: z.string(),
      legal_minimum: z.string().nullable(),
      ground: z.string(),
      at_end: z.string(),
      state: z.enum(['active', 'no_handler']),
      oldest: z.string().nullable(),
      next_due: z.string().nullable(),
      due: counts,
      held: counts,
      last_run_counts: counts.nullable(),
    }),
  ),
});
