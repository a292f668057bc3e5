import { z } from 'zod';

/**
 * Request and response schemas of the notice and the acknowledgements, shared by the
 * API and the pages (which read the same fields from their forms).
 */

const instant = z.iso.datetime({ offset: true });
const contact = z.object({ name: z.string().nullable(), email: z.string().nullable() });
const item = z.object({ id: z.string(), text: z.string() });

/** Confirming a notice: the version the person was shown. */
export const noticeAckBody = z.strictObject({ version: z.coerce.number().int().min(1) });

/** Agreeing to the confidentiality statement takes no fields. */
export const emptyBody = z.strictObject({});

/** An acknowledgement as stored. */
export const ackResponse = z.object({ version: z.number().int(), acknowledgedAt: instant });

/** The notice: its version, whether the caller confirmed it, and its content (no group names or hosts: those are for the pack). */
export const noticeResponse = z.object({
  version: z.number().int(),
  since: instant,
  acknowledgedAt: instant.nullable(),
  notice: z.object({
    language: z.enum(['nl', 'en']),
    controller: contact.extend({ address: z.string().nullable() }),
    dpo: contact,
    supervisory_authority: z.string(),
    purposes: z.array(item),
    data_subjects: z.array(item),
    personal_data: z.array(item.extend({ retention_categories: z.array(z.string()) })),
    recipients: z.array(z.object({ role: z.string(), text: z.string(), second_factor: z.boolean() })),
    recipients_outside: z.array(z.never()),
    transfers: z.object({ third_countries: z.array(z.never()), text: z.string() }),
    retention: z.array(z.object({
      category: z.string(), name: z.string(), period: z.string(), default: z.string(), counted_from: z.string(),
      legal_minimum: z.string().nullable(), ground: z.string(), at_end: z.string(),
    })),
    report_threshold_k: z.number().int(),
    rights: z.array(z.object({ right: z.string(), text: z.string(), path: z.string().nullable() })),
  }),
});
