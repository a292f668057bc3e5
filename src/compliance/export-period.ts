import { z } from 'zod';
import { ValidationError } from '../platform/errors.js';
import { fieldProblems } from '../platform/http/api.js';
import type { PeriodDates } from './export-bundle.js';

/** The period of a compliance export as the API, the page and the CLI take it. */
export const periodBody = z.strictObject({
  from: z.iso.date('must be a date YYYY-MM-DD').optional(),
  to: z.iso.date('must be a date YYYY-MM-DD').optional(),
}).refine((p) => !p.from || !p.to || p.from <= p.to, { path: ['to'], message: 'must not be before from', params: { code: 'period.to_before_from' } });

/** Parses a period (422 naming the field on bad input). */
export function parsePeriod(raw: unknown): PeriodDates {
  const r = periodBody.safeParse(raw);
  if (!r.success) {
    // The API's text stays as before: an unknown key keeps zod's own message; the other
    // issues carry their codes (one problem per issue, the same field and message).
    if (r.error.issues.some((i) => i.code === 'unrecognized_keys')) throw new ValidationError(r.error.issues.map((i) => ({ field: i.path.join('.') || 'period', message: i.message })));
    throw new ValidationError(fieldProblems(r.error).map((f) => (f.field === 'body' ? { ...f, field: 'period' } : f)));
  }
  return { from: r.data.from ?? null, to: r.data.to ?? null };
}
