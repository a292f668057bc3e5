import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { DayFigures, DayFiguresHook } from '../timesheets/context.js';
import { priceDays, type PricedPart } from './amounts.js';
import { applyChanges, deriveKeys, pseudonym, publishSlices, type Change, type StoreKeys } from './cells.js';
import { checkReopen } from './closures.js';
import { periodStart } from './periods.js';
import { presentCellsOf, removeRestrictedCells, restrictedAmong } from './restricted.js';

/**
 * The report store: what organisation reports add up, recorded when a day is
 * submitted and removed when it is returned or (once approved) reopened, without a
 * person's identity. Approval records nothing: the day already counts.
 *
 * A submit (return, reopen) only seals the day's figures into `report_inbox` (one
 * envelope under the system subject `system:reports`, in that step's transaction). A fold job
 * later opens a batch of them — at least k distinct people, or the oldest past
 * `reports.fold_max_delay_hours` — and adds them to `report_cells` under person
 * pseudonyms, so no row of the store was written by, or can be tied through its
 * transaction to, one person's submit.
 */

/** The key subject of the inbox envelopes and of the pseudonym key. */
export const REPORTS_SUBJECT = 'system:reports';

/** Stands for "no task" in the store's keys. */
export const NO_TASK = '00000000-0000-0000-0000-000000000000';

const inboxRef = (id: string) => ({ table: 'report_inbox', column: 'sealed', rowId: id });
const keyRef = { table: 'report_key', column: 'sealed', rowId: '1' };

/** What the store needs. */
export interface StoreDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
}

/**
 * A pending change: the day's figures (an addition with each billable part's amount), and
 * its direction; or, with `reset`, "empty every cell of this person" (a lifted restriction,
 * before their days are recorded again: restore.ts).
 */
interface Pending extends Omit<DayFigures, 'parts'> {
  parts: PricedPart[];
  sign: 1 | -1;
  reset?: true;
}

async function seal(keys: KeyService, trx: Knex.Transaction, items: Pending[]): Promise<void> {
  const rows = [];
  for (const item of items) {
    if (!item.reset && !item.parts.some((p) => p.minutes > 0)) continue;
    const id = randomUUID();
    rows.push({ id, sealed: await keys.encrypt(trx, REPORTS_SUBJECT, inboxRef(id), JSON.stringify(item), { purpose: 'record' }) });
  }
  if (rows.length) await trx('report_inbox').insert(rows);
}

/**
 * The hook the timesheet workflow calls at submit, return and reopen (injected by src/app):
 * a day counts while it is submitted or approved. A reopen is first checked against
 * closed periods (closures.ts): refused in a payroll-locked period, audited in an
 * invoiced one.
 */
export function reportStoreHook(deps: { keys: KeyService; audit: AuditLog }): DayFiguresHook {
  return {
    // The amount is fixed here, at the rate valid on the day as of the submit (README: a later rate change does not rewrite it).
    submitted: async (trx, days) => seal(deps.keys, trx, (await priceDays(trx, days)).map((d) => ({ ...d, sign: 1 as const }))),
    returned: (trx, day) => seal(deps.keys, trx, [{ ...day, sign: -1 }]),
    reopened: async (trx, day, actorId) => {
      await checkReopen(trx, deps.audit, day, actorId);
      await seal(deps.keys, trx, [{ ...day, sign: -1 }]);
    },
  };
}

/** Seals "empty every cell of this person" into the inbox, in `trx`; the fold carries it out in its turn. */
export function sealReset(keys: KeyService, trx: Knex.Transaction, ownerId: string): Promise<void> {
  return seal(keys, trx, [{ ownerId, date: '', teams: [], parts: [], sign: -1, reset: true }]);
}

/** The store's key: 32 random bytes, made on first use, resting sealed under the keyring. */
export async function storeKeysIn(deps: Pick<StoreDeps, 'keys'>, trx: Knex.Transaction): Promise<StoreKeys> {
  const row = (await trx('report_key').where({ id: 1 }).first('sealed')) as { sealed: string } | undefined;
  if (row) return deriveKeys(Buffer.from(await deps.keys.decrypt(trx, REPORTS_SUBJECT, keyRef, row.sealed), 'base64'));
  const key = randomBytes(32);
  await trx('report_key').insert({ id: 1, sealed: await deps.keys.encrypt(trx, REPORTS_SUBJECT, keyRef, key.toString('base64'), { purpose: 'record' }) });
  return deriveKeys(key);
}

/** The week slice a day's minutes go into: its ISO week, and its month (weeks are split at month ends). */
function sliceOf(date: string): { period: string; month: string } {
  return { period: periodStart('week', date), month: periodStart('month', date) };
}

/** What one fold did (counts only, for the log line). */
export interface FoldResult {
  folded: number;
  waiting: number;
  /** Cells of restricted people emptied in this fold (absent when none). */
  restrictedCellsRemoved?: number;
}

/**
 * Folds the pending submits, returns and reopens into the store, in one transaction, in
 * the order they happened. Waits (folds nothing) while the pending days hold fewer
 * than k distinct people and the oldest is younger than the configured delay, unless
 * `force` (tests, and an operator who accepts the smaller batch).
 */
export async function foldPending(deps: StoreDeps, opts: { force?: boolean; now?: Date } = {}): Promise<FoldResult> {
  return deps.db.transaction(async (trx) => {
    // One fold at a time, across nodes.
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('uurwerk.reports.fold'))");
    // Restricted people's figures leave the store (restricted.ts); reported only when there were any.
    const removed = await removeRestrictedCells(trx, () => storeKeysIn(deps, trx), deps.config.reports.k);
    const extra = removed ? { restrictedCellsRemoved: removed } : {};
    const rows = (await trx('report_inbox').orderBy('seq').select('id', 'sealed', 'created_at')) as Array<{ id: string; sealed: string; created_at: Date }>;
    if (!rows.length) return { folded: 0, waiting: 0, ...extra };
    const plain = await deps.keys.decryptMany(trx, rows.map((r) => ({ subject: REPORTS_SUBJECT, ref: inboxRef(r.id), envelope: r.sealed })));
    const all = plain.map((p) => JSON.parse(p) as Pending);
    const restricted = await restrictedAmong(trx, [...new Set(all.map((i) => i.ownerId))]);
    const items = all.filter((i) => !restricted.has(i.ownerId));
    const people = new Set(items.map((i) => i.ownerId)).size;
    const ageHours = ((opts.now ?? new Date()).getTime() - rows[0]!.created_at.getTime()) / 3_600_000;
    if (!opts.force && people < deps.config.reports.k && ageHours < deps.config.reports.fold_max_delay_hours) return { folded: 0, waiting: rows.length, ...extra };
    const keys = await storeKeysIn(deps, trx);
    // The changes in the order they happened: a removal takes its share of what the cell holds at that point.
    const changes: Change[] = [];
    for (const item of items) {
      if (item.reset) {
        // A change far below any cell's minutes: applyChanges floors at zero, so the cell empties.
        for (const cell of await presentCellsOf(trx, keys, [item.ownerId])) changes.push({ ...cell, minutes: -Number.MAX_SAFE_INTEGER });
        continue;
      }
      const place = sliceOf(item.date);
      const person = pseudonym(keys, place.period, item.ownerId);
      for (const part of item.parts) {
        if (part.minutes <= 0) continue;
        const amounts = item.sign > 0 && part.amount ? { [part.amount.currency]: part.amount.cents } : undefined;
        changes.push({ ...place, teams: item.teams, project_id: part.project_id, task_id: part.task_id ?? NO_TASK, person, minutes: item.sign * part.minutes, amounts });
      }
    }
    if (changes.length) {
      await applyChanges(trx, keys, changes);
      await publishSlices(trx, keys, changes, deps.config.reports.k);
    }
    await trx('report_inbox').whereIn('id', rows.map((r) => r.id)).delete();
    return { folded: rows.length, waiting: 0, ...extra };
  });
}

