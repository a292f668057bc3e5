import type { Knex } from '../platform/db.js';
import { applyChanges, publishSlices, pseudonym, type Change, type StoreKeys } from './cells.js';

/**
 * Restricted people (GDPR art. 18, `accounts.restricted_at`) do not count in
 * organisation reports: their records are only stored. The fold leaves their pending
 * figures out, and takes what the store already holds for them out of the cells. The
 * store knows people only by a pseudonym per week, so the fold derives each
 * restricted person's pseudonym for every week the cells hold and empties the cells
 * found (published figures follow under the k rule, as for any change).
 */

/** Which of these owners are restricted. */
export async function restrictedAmong(trx: Knex.Transaction, ownerIds: readonly string[]): Promise<Set<string>> {
  if (!ownerIds.length) return new Set();
  return new Set((await trx('accounts').whereIn('id', ownerIds).whereNotNull('restricted_at').pluck('id')) as string[]);
}

/** The present cells of these people: their pseudonym derived for every week the cells hold. */
export async function presentCellsOf(trx: Knex.Transaction, keys: StoreKeys, people: readonly string[]): Promise<Array<Omit<Change, 'minutes'>>> {
  if (!people.length) return [];
  const weeks = ((await trx('report_cells').where({ present: true }).distinct(trx.raw('period::text AS period'))) as Array<{ period: string }>).map((r) => r.period);
  if (!weeks.length) return [];
  const wanted = people.flatMap((p) => weeks.map((w) => ({ period: w, person: pseudonym(keys, w, p).toString('hex') })));
  const { rows } = await trx.raw<{ rows: Array<Omit<Change, 'minutes'>> }>(
    `SELECT c.period::text AS period, c.month::text AS month, c.teams, c.project_id, c.task_id, c.person
       FROM report_cells c JOIN jsonb_to_recordset(?::jsonb) AS t(period date, person text) ON c.period = t.period AND c.person = decode(t.person, 'hex')
      WHERE c.present`,
    [JSON.stringify(wanted)],
  );
  return rows;
}

/** Empties every present cell of a restricted person; returns how many. */
export async function removeRestrictedCells(trx: Knex.Transaction, storeKeys: () => Promise<StoreKeys>, k: number): Promise<number> {
  const people = (await trx('accounts').whereNotNull('restricted_at').pluck('id')) as string[];
  if (!people.length) return 0;
  if (!(await trx('report_cells').where({ present: true }).first(trx.raw('1')))) return 0;
  const keys = await storeKeys();
  const rows = await presentCellsOf(trx, keys, people);
  if (!rows.length) return 0;
  // A change far below any cell's minutes: applyChanges floors at zero, so the cell empties.
  const changes: Change[] = rows.map((r) => ({ ...r, minutes: -Number.MAX_SAFE_INTEGER }));
  await applyChanges(trx, keys, changes);
  await publishSlices(trx, keys, changes, k);
  return changes.length;
}
