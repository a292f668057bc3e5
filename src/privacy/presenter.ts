import type { Knex } from '../platform/db.js';
import { KeyShreddedError } from '../keys/errors.js';
import { localDate } from '../timesheets/tz.js';
import { REGISTER_SUBJECT, requestRef, type PrivacyDeps } from './context.js';
import { daysBetween, effectiveDeadline, requestDeadlines } from './deadlines.js';
import type { RequestView } from './schema.js';

/**
 * Request rows as the register shows them: sealed columns opened in one batch,
 * deadlines and days left counted from today in the organisation's time zone.
 */

/** A request row as stored. */
export interface RequestRow {
  id: string;
  number: string;
  subject_id: string | null;
  subject_reference: string | null;
  kind: RequestView['kind'];
  channel: RequestView['channel'];
  received_at: Date;
  received_on: string;
  text_sealed: string | null;
  identity_checked_at: Date | null;
  identity_note_sealed: string | null;
  extended_at: Date | null;
  extension_sealed: string | null;
  status: RequestView['status'];
  decision: RequestView['decision'];
  ground_sealed: string | null;
  decided_at: Date | null;
  execution: RequestView['execution'];
  actions_sealed: string | null;
  told_at: Date | null;
  closed_at: Date | null;
  subject_name?: string | null;
}

/** The subject the person's own text is sealed under. */
export const textSubject = (row: Pick<RequestRow, 'subject_id'>) => row.subject_id ?? REGISTER_SUBJECT;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The sealed columns and who they are sealed for. */
const SEALED = ['text_sealed', 'identity_note_sealed', 'extension_sealed', 'ground_sealed', 'actions_sealed'] as const;
type Opened = Record<(typeof SEALED)[number], string | null>;

/**
 * Opens the sealed columns of many rows in one batch (data keys fetched in one
 * query). When a key is gone (an erased person's own text) the batch fails as a
 * whole; the values are then opened one by one and the shredded ones read as null.
 */
async function openAll(deps: PrivacyDeps, db: Knex | Knex.Transaction, rows: RequestRow[]): Promise<Opened[]> {
  const items = rows.flatMap((r, i) => SEALED.filter((c) => r[c] !== null).map((c) => ({ i, c, item: { subject: c === 'text_sealed' ? textSubject(r) : REGISTER_SUBJECT, ref: requestRef(r.id, c), envelope: r[c]! } })));
  let plain: Array<string | null>;
  try {
    plain = await deps.keys.decryptMany(db, items.map((x) => x.item));
  } catch (err) {
    if (!(err instanceof KeyShreddedError)) throw err;
    plain = [];
    for (const { item } of items) {
      try {
        plain.push(await deps.keys.decrypt(db, item.subject, item.ref, item.envelope));
      } catch (e) {
        if (!(e instanceof KeyShreddedError)) throw e;
        plain.push(null);
      }
    }
  }
  const out: Opened[] = rows.map(() => ({ text_sealed: null, identity_note_sealed: null, extension_sealed: null, ground_sealed: null, actions_sealed: null }));
  items.forEach((x, n) => (out[x.i]![x.c] = plain[n] ?? null));
  return out;
}

/** Shapes rows for the register, deadlines counted from today in the organisation's time zone. */
export async function presentRequests(deps: PrivacyDeps, db: Knex | Knex.Transaction, rows: RequestRow[]): Promise<RequestView[]> {
  const today = localDate(deps.clock.now(), deps.config.timesheets.time_zone);
  const opened = await openAll(deps, db, rows);
  return rows.map((row, i) => {
    const o = opened[i]!;
    const effective = effectiveDeadline(row.received_on, row.extended_at !== null);
    const left = daysBetween(today, effective);
    return {
      id: row.id,
      number: Number(row.number),
      subject_id: row.subject_id,
      subject_name: row.subject_name ?? null,
      subject_reference: row.subject_reference,
      kind: row.kind,
      channel: row.channel,
      received_at: row.received_at.toISOString(),
      received_on: row.received_on,
      text: o.text_sealed,
      identity_checked_at: iso(row.identity_checked_at),
      identity_note: o.identity_note_sealed,
      extended_at: iso(row.extended_at),
      extension_reason: o.extension_sealed,
      deadlines: { ...requestDeadlines(row.received_on), effective },
      days_left: left,
      overdue: row.status !== 'closed' && left < 0,
      status: row.status,
      decision: row.decision,
      ground: o.ground_sealed,
      decided_at: iso(row.decided_at),
      execution: row.execution,
      actions: o.actions_sealed,
      told_at: iso(row.told_at),
      closed_at: iso(row.closed_at),
    };
  });
}

/** The register's order: open requests overdue first, then by deadline; closed ones last, newest first. */
export function registerOrder(a: RequestView, b: RequestView): number {
  if ((a.status === 'closed') !== (b.status === 'closed')) return a.status === 'closed' ? 1 : -1;
  if (a.status === 'closed') return (b.closed_at ?? '').localeCompare(a.closed_at ?? '');
  return a.days_left - b.days_left || a.number - b.number;
}

