import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Knex } from '../platform/db.js';
import { addAmounts, shrinkAmounts, type Amounts } from './amounts.js';

/**
 * The person-level rows of the report store (`report_cells`) and the published week
 * slices (`report_atoms`). A cell says in clear only that a pseudonymous person is
 * present in a (week slice, team set, project, task); how many minutes they
 * contributed, and the billed amount of those minutes per currency, rest sealed in
 * `state` (AES-256-GCM under a key derived from the store's key, bound to the cell's
 * own key columns). Only sums over at least k people are ever written in clear, in
 * `report_atoms` — minutes and amounts under the same rule, in the same write.
 */

/** The two keys derived from the store's key: pseudonyms and cell states. */
export interface StoreKeys {
  pseudonym: Buffer;
  state: Buffer;
}

/** Derives the pseudonym and state keys from the store's key (HKDF, separate purposes). */
export function deriveKeys(master: Buffer): StoreKeys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return { pseudonym: derive('uurwerk reports pseudonym'), state: derive('uurwerk reports cell state') };
}

/** A person's pseudonym in one ISO week: equal within it (both slices of a week), unrelated across weeks. */
export function pseudonym(keys: StoreKeys, week: string, ownerId: string): Buffer {
  return createHmac('sha256', keys.pseudonym).update(`w|${week}|${ownerId}`).digest().subarray(0, 16);
}

/** One change to a cell (minutes may be negative: a return, a reopen). */
export interface Change {
  period: string;
  month: string;
  teams: string[];
  project_id: string;
  task_id: string;
  person: Buffer;
  minutes: number;
  /** The amounts an addition brings (a removal takes its share of what the cell holds: shrinkAmounts). */
  amounts?: Amounts;
}

/** A cell's sealed state: minutes and the billed amount per currency (cents). */
export interface CellState {
  m: number;
  a: Amounts;
}

type CellKey = Omit<Change, 'minutes' | 'amounts'>;
const keyText = (c: CellKey) => [c.period, c.month, c.teams.join('\u0001'), c.project_id, c.task_id, c.person.toString('hex')].join('|');

function seal(keys: StoreKeys, c: CellKey, state: CellState): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.state, iv);
  cipher.setAAD(Buffer.from(keyText(c)));
  const body = Buffer.concat([cipher.update(JSON.stringify(state)), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Opens a cell's sealed state (the fold and publishing; tests check sums with it). */
export function open(keys: StoreKeys, c: CellKey, sealed: Buffer): CellState {
  const decipher = createDecipheriv('aes-256-gcm', keys.state, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(keyText(c)));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  // States sealed before amounts were recorded hold minutes only.
  const state = JSON.parse(plain.toString('utf8')) as { m: number; a?: Amounts };
  return { m: state.m, a: state.a ?? {} };
}

const sameAmounts = (x: Amounts, y: Amounts) => {
  const xs = Object.entries(x).filter(([, v]) => v !== 0);
  return xs.length === Object.values(y).filter((v) => v !== 0).length && xs.every(([k, v]) => y[k] === v);
};

interface CellRow {
  period: string;
  month: string;
  teams: string[];
  project_id: string;
  task_id: string;
  person: Buffer;
  state: Buffer;
}

const CELL_COLS = `to_char(c.period, 'YYYY-MM-DD') AS period, to_char(c.month, 'YYYY-MM-DD') AS month, c.teams, c.project_id, c.task_id, c.person, c.state`;
const KEYS_SQL = 'jsonb_to_recordset(?::jsonb) AS t(period date, month date, teams text[], project_id uuid, task_id uuid, person text)';
const asJson = (cs: CellKey[]) => JSON.stringify(cs.map((c) => ({ period: c.period, month: c.month, teams: c.teams, project_id: c.project_id, task_id: c.task_id, person: c.person.toString('hex') })));

/**
 * Applies the changes to the cells, in order (a cell may be changed more than once):
 * opens the touched states, adds or removes, seals again. A removal takes its share
 * of the cell's amounts with it. A cell left at zero minutes stays (absent, marked
 * changed) until its slice is published; a cell a fold leaves as it was is not written.
 */
export async function applyChanges(trx: Knex.Transaction, keys: StoreKeys, changes: Change[]): Promise<void> {
  const { rows } = await trx.raw<{ rows: CellRow[] }>(
    `SELECT ${CELL_COLS} FROM report_cells c JOIN ${KEYS_SQL}
        ON (c.period, c.month, c.teams, c.project_id, c.task_id, c.person) = (t.period, t.month, t.teams, t.project_id, t.task_id, decode(t.person, 'hex'))`,
    [asJson(changes)],
  );
  const before = new Map(rows.map((r) => [keyText(r), open(keys, r, r.state)]));
  const after = new Map<string, { cell: CellKey; state: CellState }>();
  for (const c of changes) {
    const id = keyText(c);
    const cur = after.get(id)?.state ?? before.get(id) ?? { m: 0, a: {} };
    const m = Math.max(0, cur.m + c.minutes);
    const a = c.minutes >= 0 ? addAmounts(cur.a, c.amounts ?? {}) : shrinkAmounts(cur.a, cur.m, m);
    after.set(id, { cell: c, state: { m, a } });
  }
  const upserts = [];
  for (const [id, { cell, state }] of after) {
    const was = before.get(id);
    if (!was && state.m === 0) continue;
    if (was && was.m === state.m && sameAmounts(was.a, state.a)) continue;
    upserts.push({ period: cell.period, month: cell.month, teams: cell.teams, project_id: cell.project_id, task_id: cell.task_id, person: cell.person.toString('hex'), present: state.m > 0, state: seal(keys, cell, state).toString('base64') });
  }
  if (upserts.length) {
    await trx.raw(
      `INSERT INTO report_cells (period, month, teams, project_id, task_id, person, present, dirty, state)
       SELECT period, month, teams, project_id, task_id, decode(person, 'hex'), present, true, decode(state, 'base64')
         FROM jsonb_to_recordset(?::jsonb) AS t(period date, month date, teams text[], project_id uuid, task_id uuid, person text, present boolean, state text)
       ON CONFLICT (period, month, teams, project_id, task_id, person)
       DO UPDATE SET present = excluded.present, state = excluded.state, dirty = true`,
      [JSON.stringify(upserts)],
    );
  }
}

const SLICE = '(c.period, c.month, c.teams, c.project_id, c.task_id) = (t.period, t.month, t.teams, t.project_id, t.task_id)';
const SLICES = 'jsonb_to_recordset(?::jsonb) AS t(period date, month date, teams text[], project_id uuid, task_id uuid)';

/**
 * Brings the touched week slices up to date in `report_atoms`. `recorded` always
 * follows the cells (someone is present). The published figure — head count and
 * minutes, the minutes only when at least k people are present — changes only when
 * at least k people's cells changed since it was last published, so watching a figure
 * over time never shows one person's late day (or reopen) on its own.
 */
export async function publishSlices(trx: Knex.Transaction, keys: StoreKeys, changes: Change[], k: number): Promise<void> {
  const touched = [...new Map(changes.map((c) => [`${c.period}|${c.month}|${c.teams.join('\u0001')}|${c.project_id}|${c.task_id}`, c])).values()]
    .map((c) => ({ period: c.period, month: c.month, teams: c.teams, project_id: c.project_id, task_id: c.task_id }));
  if (!touched.length) return;
  const { rows } = await trx.raw<{ rows: Array<CellRow & { present: boolean; dirty: boolean }> }>(
    `SELECT ${CELL_COLS}, c.present, c.dirty FROM report_cells c JOIN ${SLICES} ON ${SLICE}`,
    [JSON.stringify(touched)],
  );
  type Slice = { period: string; month: string; teams: string[]; project_id: string; task_id: string; present: number; dirty: number; cells: typeof rows };
  const slices = new Map<string, Slice>();
  for (const r of rows) {
    const id = `${r.period}|${r.month}|${r.teams.join('\u0001')}|${r.project_id}|${r.task_id}`;
    const s = slices.get(id) ?? { period: r.period, month: r.month, teams: r.teams, project_id: r.project_id, task_id: r.task_id, present: 0, dirty: 0, cells: [] };
    s.present += r.present ? 1 : 0;
    s.dirty += r.dirty ? 1 : 0;
    s.cells.push(r);
    slices.set(id, s);
  }
  const key = (s: Slice) => ({ period: s.period, month: s.month, teams: s.teams, project_id: s.project_id, task_id: s.task_id });
  const all = [...slices.values()];
  const ready = all.filter((s) => s.dirty >= k);
  // Whether anything is recorded, for every touched slice (a slice with nobody left has no cells).
  await trx.raw(
    `INSERT INTO report_atoms (period, month, teams, project_id, task_id, people, minutes, recorded)
     SELECT t.period, t.month, t.teams, t.project_id, t.task_id, 0, NULL, coalesce(r.recorded, false)
       FROM ${SLICES} LEFT JOIN jsonb_to_recordset(?::jsonb) AS r(period date, month date, teams text[], project_id uuid, task_id uuid, recorded boolean)
         ON (r.period, r.month, r.teams, r.project_id, r.task_id) = (t.period, t.month, t.teams, t.project_id, t.task_id)
     ON CONFLICT (period, month, teams, project_id, task_id) DO UPDATE SET recorded = excluded.recorded`,
    [JSON.stringify(touched), JSON.stringify(all.map((s) => ({ ...key(s), recorded: s.present > 0 })))],
  );
  if (ready.length) {
    // Minutes and amounts are published together, from the same cells, under the same k rule.
    const published = ready.map((s) => {
      const states = s.present >= k ? s.cells.filter((c) => c.present).map((c) => open(keys, c, c.state)) : null;
      return {
        ...key(s), people: s.present,
        minutes: states ? states.reduce((sum, st) => sum + st.m, 0) : null,
        amounts: states ? states.reduce((sum: Amounts, st) => addAmounts(sum, st.a), {}) : null,
      };
    });
    await trx.raw(
      `UPDATE report_atoms c SET people = t.people, minutes = t.minutes, amounts = t.amounts
         FROM jsonb_to_recordset(?::jsonb) AS t(period date, month date, teams text[], project_id uuid, task_id uuid, people integer, minutes bigint, amounts jsonb)
        WHERE ${SLICE}`,
      [JSON.stringify(published)],
    );
    const done = JSON.stringify(ready.map(key));
    await trx.raw(`DELETE FROM report_cells c USING ${SLICES} WHERE NOT c.present AND ${SLICE}`, [done]);
    await trx.raw(`UPDATE report_cells c SET dirty = false FROM ${SLICES} WHERE ${SLICE}`, [done]);
  }
  await trx('report_atoms').where({ recorded: false }).where((q) => void q.where('people', 0).orWhereNull('minutes')).delete();
  const built = (await trx('report_meta').where({ id: 1 }).first('k')) as { k: number } | undefined;
  await rollUpMonths(trx, built?.k === k ? touched : null, k);
}

const MONTHS = 'jsonb_to_recordset(?::jsonb) AS t(month date, teams text[], project_id uuid, task_id uuid)';
const MONTH = '(c.month, c.teams, c.project_id, c.task_id) = (t.month, t.teams, t.project_id, t.task_id)';

/** Re-sums the months of the given slices (all months when `slices` is null) from the published slices of at least k people. */
export async function rollUpMonths(trx: Knex.Transaction, slices: Array<{ month: string; teams: string[]; project_id: string; task_id: string }> | null, k: number): Promise<void> {
  const ok = 'c.people >= ? AND c.minutes IS NOT NULL';
  const sum = `SELECT c.month, c.teams, c.project_id, c.task_id, sum(c.minutes) FILTER (WHERE ${ok}), bool_or(c.recorded OR (${ok})), report_amounts_sum(c.amounts) FILTER (WHERE ${ok})
                 FROM report_atoms c`;
  const all = 'SELECT c.month, c.project_id, c.task_id, sum(c.minutes), bool_or(c.recorded), report_amounts_sum(c.amounts) FILTER (WHERE c.minutes IS NOT NULL) FROM report_months c';
  if (slices === null) {
    await trx.raw('DELETE FROM report_months; DELETE FROM report_months_all');
    await trx.raw(`INSERT INTO report_months (month, teams, project_id, task_id, minutes, recorded, amounts) ${sum} GROUP BY 1, 2, 3, 4`, [k, k, k]);
    await trx.raw(`INSERT INTO report_months_all (month, project_id, task_id, minutes, recorded, amounts) ${all} GROUP BY 1, 2, 3`);
    await trx.raw('INSERT INTO report_meta (id, k) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET k = excluded.k', [k]);
    return;
  }
  const months = JSON.stringify([...new Map(slices.map((s) => [`${s.month}|${s.teams.join('\u0001')}|${s.project_id}|${s.task_id}`, { month: s.month, teams: s.teams, project_id: s.project_id, task_id: s.task_id }])).values()]);
  await trx.raw(`DELETE FROM report_months c USING ${MONTHS} WHERE ${MONTH}`, [months]);
  await trx.raw(`INSERT INTO report_months (month, teams, project_id, task_id, minutes, recorded, amounts) ${sum} JOIN ${MONTHS} ON ${MONTH} GROUP BY 1, 2, 3, 4`, [k, k, k, months]);
  const ALL = 'jsonb_to_recordset(?::jsonb) AS t(month date, project_id uuid, task_id uuid)';
  const ALL_MATCH = '(c.month, c.project_id, c.task_id) = (t.month, t.project_id, t.task_id)';
  const orgMonths = JSON.stringify([...new Map(slices.map((s) => [`${s.month}|${s.project_id}|${s.task_id}`, { month: s.month, project_id: s.project_id, task_id: s.task_id }])).values()]);
  await trx.raw(`DELETE FROM report_months_all c USING ${ALL} WHERE ${ALL_MATCH}`, [orgMonths]);
  await trx.raw(`INSERT INTO report_months_all (month, project_id, task_id, minutes, recorded, amounts) ${all} JOIN ${ALL} ON ${ALL_MATCH} GROUP BY 1, 2, 3`, [orgMonths]);
}

/** Rebuilds the monthly sums when `reports.k` differs from the k they were built with (a changed configuration). */
export async function ensureMonthsFor(db: Knex, k: number): Promise<void> {
  const row = (await db('report_meta').where({ id: 1 }).first('k')) as { k: number } | undefined;
  if (row?.k === k) return;
  await db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('uurwerk.reports.fold'))");
    const again = (await trx('report_meta').where({ id: 1 }).first('k')) as { k: number } | undefined;
    if (again?.k !== k) await rollUpMonths(trx, null, k);
  });
}
