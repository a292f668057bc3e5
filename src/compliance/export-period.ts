import { z } from 'zod';
import { ValidationError } from '../platform/errors.js';
import type { PeriodDates } from './export-bundle.js';

/** The period of a compliance export as the API, the page and the CLI take it. */
export const periodBody = z.strictObject({
  from: z.iso.date('must be a date YYYY-MM-DD').optional(),
  to: z.iso.date('must be a date YYYY-MM-DD').optional(),
}).refine((p) => !p.from || !p.to || p.from <= p.to, { path: ['to'], message: 'must not be before from' });

/** Parses a period (422 naming the field on bad input). */
export function parsePeriod(raw: unknown): PeriodDates {
  const r = periodBody.safeParse(raw);
  if (!r.success) throw new ValidationError(r.error.issues.map((i) => ({ field: i.path.join('.') || 'period', message: i.message })));
  return { from: r.data.from ?? null, to: r.data.to ?? null };
}
