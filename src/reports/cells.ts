import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Knex } from '../platform/db.js';

/**
 * The person-level rows of the report store (`report_cells`) and the published week
 * slices (`report_atoms`). A cell says in clear only that a pseudonymous person is
 * present in a (grain, period, team set, project, task); how many minutes they
 * contributed rests sealed in `state` (AES-256-GCM under a key derived from the
 * store's key, bound to the cell's own key columns). Only sums over at least k
 * people are ever written in clear, in `report_atoms`.
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

/** A person's pseudonym in one period of one grain: equal within it, unrelated across periods and grains. */
export function pseudonym(keys: StoreKeys, grain: string, period: string, ownerId: string): Buffer {
  return createHmac('sha256', keys.pseudonym).update(`${grain}|${period}|${ownerId}`).digest().subarray(0, 16);
}

/** One change to a cell (minutes may be negative: a reopen). */
export interface Change {
  grain: string;
  period: string;
  month: string;
  teams: string[];
  project_id: string;
  task_id: string;
  person: Buffer;
  minutes: number;
}

type CellKey = Omit<Change, 'minutes'>;
const keyText = (c: CellKey) => [c.grain, c.period, c.month, c.teams.join('\u0001'), c.project_id, c.task_id, c.person.toString('hex')].join('|');

function seal(keys: StoreKeys, c: CellKey, minutes: number): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.state, iv);
  cipher.setAAD(Buffer.from(keyText(c)));
  const body = Buffer.concat([cipher.update(JSON.stringify({ m: minutes })), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function open(keys: StoreKeys, c: CellKey, sealed: Buffer): number {
  const decipher = createDecipheriv('aes-256-gcm', keys.state, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(keyText(c)));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  return (JSON.parse(plain.toString('utf8')) as { m: number }).m;
}

interface CellRow {
  grain: string;
  period: string;
  month: string;
  teams: string[];
  project_id: string;
  task_id: string;
  person: Buffer;
  state: Buffer;
}

const CELL_COLS = `c.grain, to_char(c.period, 'YYYY-MM-DD') AS period, to_char(c.month, 'YYYY-MM-DD') AS month, c.teams, c.project_id, c.task_id, c.person, c.state`;
const KEYS_SQL = 'jsonb_to_recordset(?::jsonb) AS t(grain char(1), period date, month date, teams text[], project_id uuid, task_id uuid, person text)';
const asJson = (cs: CellKey[]) => JSON.stringify(cs.map((c) => ({ grain: c.grain, period: c.period, month: c.month, teams: c.teams, project_id: c.project_id, task_id: c.task_id, person: c.person.toString('hex') })));

/**
 * Adds the changes to the cells: opens the touched states, adds, seals again. A cell
 * left at zero minutes is removed, except week cells, which stay (absent, marked
 * changed) until their slice is published.
 */
export async function applyChanges(trx: Knex.Transaction, keys: StoreKeys, changes: Change[]): Promise<void> {
  const { rows } = await trx.raw<{ rows: CellRow[] }>(
    `SELECT ${CELL_COLS} FROM report_cells c JOIN ${KEYS_SQL}
        ON (c.grain, c.period, c.month, c.teams, c.project_id, c.task_id, c.person) = (t.grain, t.period, t.month, t.teams, t.project_id, t.task_id, decode(t.person, 'hex'))`,
    [asJson(changes)],
  );
  const current = new Map(rows.map((r) => [keyText(r), open(keys, r, r.state)]));
  const upserts = [];
  const gone: CellKey[] = [];
  for (const c of changes) {
    const minutes = Math.max(0, (current.get(keyText(c)) ?? 0) + c.minutes);
    if (minutes === 0 && c.grain !== 'w') {
      if (current.has(keyText(c))) gone.push(c);
      continue;
    }
    if (minutes === 0 && !current.has(keyText(c))) continue;
    upserts.push({ ...c, person: c.person.toString('hex'), present: minutes > 0, state: seal(keys, c, minutes).toString('base64') });
  }
  if (upserts.length) {
    await trx.raw(
      `INSERT INTO report_cells (grain, period, month, teams, project_id, task_id, person, present, dirty, state)
       SELECT grain, period, month, teams, project_id, task_id, decode(person, 'hex'), present, true, decode(state, 'base64')
         FROM jsonb_to_recordset(?::jsonb) AS t(grain char(1), period date, month date, teams text[], project_id uuid, task_id uuid, person text, present boolean, state text)
       ON CONFLICT (grain, period, month, teams, project_id, task_id, person)
       DO UPDATE SET present = excluded.present, state = excluded.state, dirty = true`,
      [JSON.stringify(upserts.map((u) => ({ grain: u.grain, period: u.period, month: u.month, teams: u.teams, project_id: u.project_id, task_id: u.task_id, person: u.person, present: u.present, state: u.state })))],
    );
  }
  if (gone.length) {
    await trx.raw(
      `DELETE FROM report_cells c USING ${KEYS_SQL}
        WHERE (c.grain, c.period, c.month, c.teams, c.project_id, c.task_id, c.person) = (t.grain, t.period, t.month, t.teams, t.project_id, t.task_id, decode(t.person, 'hex'))`,
      [asJson(gone)],
    );
  }
}

const SLICE = '(c.period, c.month, c.teams, c.project_id, c.task_id) = (t.period, t.month, t.teams, t.project_id, t.task_id)';
const SLICES = 'jsonb_to_recordset(?::jsonb) AS t(period date, month date, teams text[], project_id uuid, task_id uuid)';

/**
 * Publishes the touched week slices in which at least k people's cells changed since
 * the slice was last published: the sum over its present people becomes what reports
 * add up, when they are at least k (otherwise the slice has no published figure). A
 * slice with fewer changes keeps its published figure, so watching a figure over time
 * never shows one person's late day (or reopen) on its own.
 */
export async function publishSlices(trx: Knex.Transaction, keys: StoreKeys, changes: Change[], k: number): Promise<void> {
  const touched = [...new Map(changes.filter((c) => c.grain === 'w').map((c) => [`${c.period}|${c.month}|${c.teams.join('\u0001')}|${c.project_id}|${c.task_id}`, c])).values()]
    .map((c) => ({ period: c.period, month: c.month, teams: c.teams, project_id: c.project_id, task_id: c.task_id }));
  if (!touched.length) return;
  const { rows } = await trx.raw<{ rows: Array<CellRow & { present: boolean }> }>(
    `WITH ready AS (
       SELECT c.period, c.month, c.teams, c.project_id, c.task_id FROM report_cells c JOIN ${SLICES} ON ${SLICE}
        WHERE c.grain = 'w' GROUP BY c.period, c.month, c.teams, c.project_id, c.task_id HAVING count(*) FILTER (WHERE c.dirty) >= ?)
     SELECT ${CELL_COLS}, c.present FROM report_cells c JOIN ready t ON ${SLICE} WHERE c.grain = 'w'`,
    [JSON.stringify(touched), k],
  );
  if (!rows.length) return;
  const slices = new Map<string, { period: string; month: string; teams: string[]; project_id: string; task_id: string; people: number; minutes: number }>();
  for (const r of rows) {
    const id = `${r.period}|${r.month}|${r.teams.join('\u0001')}|${r.project_id}|${r.task_id}`;
    const s = slices.get(id) ?? { period: r.period, month: r.month, teams: r.teams, project_id: r.project_id, task_id: r.task_id, people: 0, minutes: 0 };
    if (r.present) {
      s.people += 1;
      s.minutes += open(keys, r, r.state);
    }
    slices.set(id, s);
  }
  const ready = JSON.stringify([...slices.values()]);
  await trx.raw(`DELETE FROM report_atoms c USING ${SLICES} WHERE ${SLICE}`, [ready]);
  await trx.raw(
    `INSERT INTO report_atoms (period, month, teams, project_id, task_id, people, minutes)
     SELECT period, month, teams, project_id, task_id, people, minutes FROM jsonb_to_recordset(?::jsonb)
         AS t(period date, month date, teams text[], project_id uuid, task_id uuid, people integer, minutes integer)
      WHERE people >= ?`,
    [ready, k],
  );
  await trx.raw(`DELETE FROM report_cells c USING ${SLICES} WHERE c.grain = 'w' AND NOT c.present AND ${SLICE}`, [ready]);
  await trx.raw(`UPDATE report_cells c SET dirty = false FROM ${SLICES} WHERE c.grain = 'w' AND ${SLICE}`, [ready]);
}
