import type { AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { figuresOf, type TimesheetDeps } from '../timesheets/context.js';
import { buildDayView } from '../timesheets/days.js';
import { inWall, listDays } from '../timesheets/repository.js';
import { REPORTS_SUBJECT, reportStoreHook, sealReset } from './store.js';

/**
 * Lifting a restriction (src/privacy/restriction.ts) brings the person's figures back
 * into reports. In the lift's own transaction their envelopes still waiting in the inbox
 * are dropped, and sealed into the inbox in their place: first "empty every cell of
 * this person" (for cells a fold has not emptied yet), then every submitted or approved
 * day of theirs, exactly as a submit records it. The fold carries them out in that
 * order with its next batch, so a day never counts twice whether or not a fold ran
 * between the restriction and the lift — and, as for a submit, no row of the store is
 * written in the lift's transaction (which its audit event ties to the person). Amounts
 * are priced again, at the rates valid on each day as of the lift.
 */

/** What restoring needs. */
export interface RestoreDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
}

/** The most days one lift records again (a person's working life holds far fewer). */
const MAX_DAYS = 20_000;

/**
 * Records the person's submitted and approved days into the report store again, in
 * `trx` (the lift's transaction; call it last in that transaction, or before the
 * restriction is cleared in it). Returns how many days.
 */
export async function recordOwnerAgain(deps: RestoreDeps, trx: Knex.Transaction, ownerId: string): Promise<number> {
  // The fold waits for this transaction: it cannot fold the person's old envelopes meanwhile.
  await trx.raw("SELECT pg_advisory_xact_lock(hashtext('uurwerk.reports.fold'))");
  const pending = (await trx('report_inbox').select('id', 'sealed')) as Array<{ id: string; sealed: string }>;
  if (pending.length) {
    const plain = await deps.keys.decryptMany(trx, pending.map((r) => ({ subject: REPORTS_SUBJECT, ref: { table: 'report_inbox', column: 'sealed', rowId: r.id }, envelope: r.sealed })));
    const theirs = pending.filter((_, i) => (JSON.parse(plain[i]!) as { ownerId: string }).ownerId === ownerId).map((r) => r.id);
    if (theirs.length) await trx('report_inbox').whereIn('id', theirs).delete();
  }
  await sealReset(deps.keys, trx, ownerId);
  const ts: TimesheetDeps = { db: deps.db, config: deps.config, keys: deps.keys, audit: deps.audit };
  // A wall in a savepoint of the lift's transaction (the system's read: no person reads here, nothing is audited as a read).
  return inWall(trx as unknown as Knex, 'bypass', async (w) => {
    const rows = await listDays(w, (q) => q, { states: ['submitted', 'approved'], ownerId, limit: MAX_DAYS });
    const days = [];
    for (const row of rows) days.push(figuresOf(row, (await buildDayView(ts, w, row.owner_id, row.date, row, row.time_zone)).totals));
    await reportStoreHook(deps).submitted(await w.own(), days);
    return rows.length;
  });
}
