import type { HoldTarget, LegalHold } from './holds.js';
import type { holdAddBody, holdResponse } from './schema.js';
import type { z } from 'zod';

/** A hold row in the API's shape. */
export function presentHold(h: LegalHold): z.infer<typeof holdResponse> {
  return {
    id: h.id, kind: h.kind, person: h.account_id, project: h.project_id, customer: h.customer_id, from: h.from_date, to: h.to_date,
    reason: h.reason, until: h.ends_on, created_by: h.created_by, created_at: h.created_at.toISOString(),
    released_at: h.released_at?.toISOString() ?? null, released_by: h.released_by, release_reason: h.release_reason,
  };
}

/** The hold target a validated request names. */
export function holdTarget(b: z.infer<typeof holdAddBody>): HoldTarget {
  if (b.person) return { kind: 'person', accountId: b.person };
  if (b.project) return { kind: 'project', projectId: b.project };
  if (b.customer) return { kind: 'customer', customerId: b.customer };
  return { kind: 'range', from: b.from!, to: b.to! };
}

/** One hold as a line of `hold:list`. */
export function holdLine(h: LegalHold): string {
  const target = h.kind === 'range' ? `${h.from_date}..${h.to_date}` : (h.account_id ?? h.project_id ?? h.customer_id);
  const state = h.released_at ? `released ${h.released_at.toISOString()} by ${h.released_by}` : `until ${h.ends_on}`;
  return `${h.id}  ${h.kind} ${target}  ${state}  set by ${h.created_by}: ${h.reason}`;
}
