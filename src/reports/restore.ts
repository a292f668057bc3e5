import type { AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { figuresOf, type TimesheetDeps } from '../timesheets/context.js';
import { buildDayView } from '../timesheets/days.js';
import { inWall, listDays } from '../timesheets/repository.js';
import { removeRestrictedCells } from './restricted.js';
import { REPORTS_SUBJECT, reportStoreHook, storeKeysIn } from './store.js';

/**
 * Lifting a restriction (src/privacy/restriction.ts) brings the person's figures back
 * into reports: in the lift's own transaction, while the person is still marked
 * restricted, whatever the store still holds for them is taken out (their cells, and
 * their envelopes waiting in the inbox), and then every submitted or approved day of
 * theirs is recorded again exactly as a submit records it (sealed into `report_inbox`,
 * folded in with the next batch). So a day never counts twice, whether or not a fold
 * ran between the restriction and the lift. Amounts are priced again, at the rates
 * valid on each day as of the lift.
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
 * `trx` (the lift's transaction; call it last in that transaction, before the
 * restriction is cleared in the same transaction). Returns how many days.
 */
export async function recordOwnerAgain(deps: RestoreDeps, trx: Knex.Transaction, ownerId: string): Promise<number> {
  // The fold waits for this transaction: it cannot fold the person's old envelopes meanwhile.
  await trx.raw("SELECT pg_advisory_xact_lock(hashtext('uurwerk.reports.fold'))");
  await removeRestrictedCells(trx, () => storeKeysIn(deps, trx), deps.config.reports.k);
  const pending = (await trx('report_inbox').select('id', 'sealed')) as Array<{ id: string; sealed: string }>;
  if (pending.length) {
    const plain = await deps.keys.decryptMany(trx, pending.map((r) => ({ subject: REPORTS_SUBJECT, ref: { table: 'report_inbox', column: 'sealed', rowId: r.id }, envelope: r.sealed })));
    const theirs = pending.filter((_, i) => (JSON.parse(plain[i]!) as { ownerId: string }).ownerId === ownerId).map((r) => r.id);
    if (theirs.length) await trx('report_inbox').whereIn('id', theirs).delete();
  }
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
