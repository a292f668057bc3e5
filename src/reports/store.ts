import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { DayFigures, DayFiguresHook } from '../timesheets/context.js';
import { periodStart, type PeriodKind } from './periods.js';

/**
 * The report store: what organisation reports add up, recorded when a day is
 * approved and removed when it is reopened, without a person's identity.
 *
 * The approval only seals the day's figures into `report_inbox` (one envelope under
 * the system subject `system:reports`, in the approval's transaction). A fold job
 * later opens a batch of them — at least k distinct people, or the oldest past
 * `reports.fold_max_delay_hours` — and adds them to `report_cells` under person
 * pseudonyms, so no row of the store was written by, or can be tied through its
 * transaction to, one person's approval.
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

interface Pending extends DayFigures {
  sign: 1 | -1;
}

async function seal(keys: KeyService, trx: Knex.Transaction, items: Pending[]): Promise<void> {
  const rows = [];
  for (const item of items) {
    if (!item.parts.some((p) => p.minutes > 0)) continue;
    const id = randomUUID();
    rows.push({ id, sealed: await keys.encrypt(trx, REPORTS_SUBJECT, inboxRef(id), JSON.stringify(item)) });
  }
  if (rows.length) await trx('report_inbox').insert(rows);
}

/** The hook the timesheet workflow calls at approval and reopen (injected by src/app). */
export function reportStoreHook(keys: KeyService): DayFiguresHook {
  return {
    approved: (trx, days) => seal(keys, trx, days.map((d) => ({ ...d, sign: 1 }))),
    reopened: (trx, day) => seal(keys, trx, [{ ...day, sign: -1 }]),
  };
}

/** The pseudonym key: 32 random bytes, made on first use, resting sealed. */
async function pseudonymKey(deps: StoreDeps, trx: Knex.Transaction): Promise<Buffer> {
  const row = (await trx('report_key').where({ id: 1 }).first('sealed')) as { sealed: string } | undefined;
  if (row) return Buffer.from(await deps.keys.decrypt(trx, REPORTS_SUBJECT, keyRef, row.sealed), 'base64');
  const key = randomBytes(32);
  await trx('report_key').insert({ id: 1, sealed: await deps.keys.encrypt(trx, REPORTS_SUBJECT, keyRef, key.toString('base64')) });
  return key;
}

/** A person's pseudonym in one period of one grain: equal within it, unrelated across periods. */
export function pseudonym(key: Buffer, grain: string, period: string, ownerId: string): Buffer {
  return createHmac('sha256', key).update(`${grain}|${period}|${ownerId}`).digest().subarray(0, 16);
}

const KINDS: PeriodKind[] = ['week', 'month', 'quarter', 'year'];

/** The rows (grain, period, month) a day's minutes go into. */
function placesOf(date: string): Array<{ grain: string; period: string; month: string }> {
  const month = periodStart('month', date);
  return KINDS.map((k) => ({ grain: k[0]!, period: periodStart(k, date), month: k === 'week' ? month : periodStart(k, date) }));
}

/** What one fold did (counts only, for the log line). */
export interface FoldResult {
  folded: number;
  waiting: number;
}

/**
 * Folds the pending approvals and reopens into the store, in one transaction, in
 * the order they happened. Waits (folds nothing) while the pending days hold fewer
 * than k distinct people and the oldest is younger than the configured delay, unless
 * `force` (tests, and an operator who accepts the smaller batch).
 */
export async function foldPending(deps: StoreDeps, opts: { force?: boolean; now?: Date } = {}): Promise<FoldResult> {
  return deps.db.transaction(async (trx) => {
    // One fold at a time, across nodes.
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('uurwerk.reports.fold'))");
    const rows = (await trx('report_inbox').orderBy('seq').select('id', 'sealed', 'created_at')) as Array<{ id: string; sealed: string; created_at: Date }>;
    if (!rows.length) return { folded: 0, waiting: 0 };
    const plain = await deps.keys.decryptMany(trx, rows.map((r) => ({ subject: REPORTS_SUBJECT, ref: inboxRef(r.id), envelope: r.sealed })));
    const items = plain.map((p) => JSON.parse(p) as Pending);
    const people = new Set(items.map((i) => i.ownerId)).size;
    const ageHours = ((opts.now ?? new Date()).getTime() - rows[0]!.created_at.getTime()) / 3_600_000;
    if (!opts.force && people < deps.config.reports.k && ageHours < deps.config.reports.fold_max_delay_hours) return { folded: 0, waiting: rows.length };
    const key = await pseudonymKey(deps, trx);
    // Sum every change per store row first, so a row is written once per fold.
    const deltas = new Map<string, Change>();
    for (const item of items) {
      for (const place of placesOf(item.date)) {
        const person = pseudonym(key, place.grain, place.period, item.ownerId);
        for (const part of item.parts) {
          if (part.minutes <= 0) continue;
          const task = part.task_id ?? NO_TASK;
          const k = [place.grain, place.period, place.month, item.teams.join('\u0001'), part.project_id, task, person.toString('hex')].join('|');
          const d = deltas.get(k) ?? { ...place, teams: item.teams, project_id: part.project_id, task_id: task, person, minutes: 0 };
          d.minutes += item.sign * part.minutes;
          deltas.set(k, d);
        }
      }
    }
    const changes = [...deltas.values()].filter((d) => d.minutes !== 0);
    if (changes.length) {
      await applyChanges(trx, changes);
      await publishSlices(trx, changes.filter((c) => c.grain === 'w'), deps.config.reports.k);
    }
    await trx('report_inbox').whereIn('id', rows.map((r) => r.id)).delete();
    return { folded: rows.length, waiting: 0 };
  });
}

interface Change {
  grain: string;
  period: string;
  month: string;
  teams: string[];
  project_id: string;
  task_id: string;
  person: Buffer;
  minutes: number;
}

/** Adds the changes to the cells; week cells are kept at zero minutes (marked changed) until their slice is published. */
async function applyChanges(trx: Knex.Transaction, changes: Change[]): Promise<void> {
  const json = (cs: Change[]) => JSON.stringify(cs.map((c) => ({ ...c, person: c.person.toString('hex') })));
  const rows = `jsonb_to_recordset(?::jsonb) AS t(grain char(1), period date, month date, teams text[], project_id uuid, task_id uuid, person text, minutes integer)`;
  const added = changes.filter((c) => c.minutes > 0);
  const removed = changes.filter((c) => c.minutes < 0);
  if (added.length) {
    await trx.raw(
      `INSERT INTO report_cells (grain, period, month, teams, project_id, task_id, person, minutes, dirty)
       SELECT grain, period, month, teams, project_id, task_id, decode(person, 'hex'), minutes, true FROM ${rows}
       ON CONFLICT (grain, period, month, teams, project_id, task_id, person)
       DO UPDATE SET minutes = report_cells.minutes + excluded.minutes, dirty = true`,
      [json(added)],
    );
  }
  if (removed.length) {
    await trx.raw(
      `UPDATE report_cells c SET minutes = greatest(c.minutes + t.minutes, 0), dirty = true FROM ${rows}
        WHERE (c.grain, c.period, c.month, c.teams, c.project_id, c.task_id, c.person) = (t.grain, t.period, t.month, t.teams, t.project_id, t.task_id, decode(t.person, 'hex'))`,
      [json(removed)],
    );
  }
  await trx('report_cells').whereNot('grain', 'w').where('minutes', 0).delete();
}

const SLICE = '(c.period, c.month, c.teams, c.project_id, c.task_id) = (t.period, t.month, t.teams, t.project_id, t.task_id)';
const SLICES = 'jsonb_to_recordset(?::jsonb) AS t(period date, month date, teams text[], project_id uuid, task_id uuid)';

/**
 * Publishes the touched week slices in which at least k people's cells changed since
 * the slice was last published: its head count and minutes become what reports add
 * up. A slice with fewer changes keeps its published figures, so watching a figure
 * over time never shows one person's late day (or reopen) on its own.
 */
async function publishSlices(trx: Knex.Transaction, changes: Change[], k: number): Promise<void> {
  const touched = [...new Map(changes.map((c) => [`${c.period}|${c.month}|${c.teams.join('\u0001')}|${c.project_id}|${c.task_id}`, c])).values()]
    .map((c) => ({ period: c.period, month: c.month, teams: c.teams, project_id: c.project_id, task_id: c.task_id }));
  if (!touched.length) return;
  const { rows } = await trx.raw<{ rows: Array<{ period: string; month: string; teams: string[]; project_id: string; task_id: string; people: number; minutes: number }> }>(
    `SELECT to_char(c.period, 'YYYY-MM-DD') AS period, to_char(c.month, 'YYYY-MM-DD') AS month, c.teams, c.project_id, c.task_id,
            (count(*) FILTER (WHERE c.minutes > 0))::int AS people, coalesce(sum(c.minutes), 0)::int AS minutes
       FROM report_cells c JOIN ${SLICES} ON ${SLICE}
      WHERE c.grain = 'w'
      GROUP BY c.period, c.month, c.teams, c.project_id, c.task_id
     HAVING count(*) FILTER (WHERE c.dirty) >= ?`,
    [JSON.stringify(touched), k],
  );
  if (!rows.length) return;
  const ready = JSON.stringify(rows);
  await trx.raw(`DELETE FROM report_atoms c USING ${SLICES} WHERE ${SLICE}`, [ready]);
  await trx.raw(
    `INSERT INTO report_atoms (period, month, teams, project_id, task_id, people, minutes)
     SELECT period, month, teams, project_id, task_id, people, minutes FROM jsonb_to_recordset(?::jsonb)
         AS t(period date, month date, teams text[], project_id uuid, task_id uuid, people integer, minutes integer)
      WHERE people > 0`,
    [ready],
  );
  await trx.raw(`DELETE FROM report_cells c USING ${SLICES} WHERE c.grain = 'w' AND c.minutes = 0 AND ${SLICE}`, [ready]);
  await trx.raw(`UPDATE report_cells c SET dirty = false FROM ${SLICES} WHERE c.grain = 'w' AND ${SLICE}`, [ready]);
}
