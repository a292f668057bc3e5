import type { KeyPurpose, KeySlot } from '../keys/types.js';
import type { Knex } from '../platform/db.js';
import type { RetentionCounts, RetentionHandler, RetentionHolds, RetentionScope } from '../platform/retention.js';
import { entryRef, type TimesheetDeps } from './context.js';
import {
  countDue, deleteDueDays, deleteDueEntries, deleteTimerOf, dueEntriesToCheck, heldParams, oldestDay, unitsWithRows, type Cursor, type Deleted, type HeldParams, type RowScope,
} from './retention-queries.js';

/**
 * How time data forgets (issue 12; the categories are in src/retention/policy.ts):
 *
 * - `submitted_days`: days ever submitted, their entries, notes and comments. Year Y
 *   is due when Y < the cutoff's year. Rows go first (in batches), then the keys
 *   (subject, record|note, Y) of every year with no rows left, so a run killed halfway
 *   leaves only unreadable rows or keys without data, both finished by the next run.
 * - `drafts`: days never submitted and their entries, due by date; the draft key of
 *   year Y goes once all of Y is due and no held draft is left under it.
 * - `erase(person)`: the person's drafts, running timer and pinned grid rows deleted, draft and note keys
 *   shredded (notes of kept days read as erased); what the fiscal duty keeps stays.
 *
 * Holds: a person hold keeps everything of that person; a range hold keeps rows dated
 * in it; a project or customer hold keeps the entries booked on it (found by
 * decrypting the due entries, only when such holds exist) and their days. A year with
 * held rows keeps its keys; its unheld rows still go.
 */

/** How long the entries a project/customer hold keeps are remembered (the run's batches reuse them). */
const HELD_MEMO_MS = 10 * 60_000;
/** Entries decrypted per round when looking for the ones a project/customer hold keeps. */
const CHECK_CHUNK = 1000;

type Memo = { key: string; at: number; ids: Set<string> };

/** `YYYY-01-01` of a year. */
const yearStart = (y: number) => `${String(y).padStart(4, '0')}-01-01`;

/**
 * The due entries (as `s` says) a project or customer hold keeps: decrypted in chunks,
 * only when such holds exist, and remembered for the batches of one run.
 */
async function entriesKeptByProject(deps: TimesheetDeps, memo: { last?: Memo }, s: RowScope, holds: RetentionHolds): Promise<Set<string>> {
  if (!holds.projects.size && !holds.customers.size) return new Set();
  const key = JSON.stringify([s, [...holds.projects].sort(), [...holds.customers].sort(), [...holds.persons].sort()]);
  if (memo.last && memo.last.key === key && Date.now() - memo.last.at < HELD_MEMO_MS) return memo.last.ids;
  const ids = await housekeeping(deps.db, async (trx) => {
    const projects = new Set(holds.projects);
    if (holds.customers.size) {
      for (const r of (await trx('projects').whereIn('customer_id', [...holds.customers]).select('id')) as Array<{ id: string }>) projects.add(r.id);
    }
    const held = new Set<string>();
    for (let after: string | null = null; ;) {
      const rows = await dueEntriesToCheck(trx, s, [...holds.persons], after, CHECK_CHUNK);
      if (!rows.length) break;
      const plain = await deps.keys.decryptEach(trx, rows.map((r) => ({ subject: r.owner_id, ref: entryRef(r.id), envelope: r.details })));
      // An entry whose key is already gone cannot be evidence of anything any more.
      rows.forEach((r, i) => {
        const p = plain[i];
        if (p != null && projects.has((JSON.parse(p) as { project_id: string }).project_id)) held.add(r.id);
      });
      after = rows[rows.length - 1]!.id;
    }
    return held;
  });
  memo.last = { key, at: Date.now(), ids };
  return ids;
}

/**
 * A housekeeping transaction: behind the wall's bypass, as the connection's own role,
 * set in one statement. With `lazyCommit` the commit does not wait for the WAL flush:
 * a batch of deletions lost in a crash is simply done again by the next run (they are
 * idempotent), and not waiting is most of the cost of a small batch.
 */
async function housekeeping<T>(db: Knex, fn: (trx: Knex.Transaction) => Promise<T>, lazyCommit = false): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw(`SELECT set_config('uurwerk.bypass', 'on', true)${lazyCommit ? `, set_config('synchronous_commit', 'off', true)` : ''}`);
    return fn(trx);
  });
}

/** How far one walk through due rows (entries, or days) got in this run. */
interface Phase {
  cursor?: Cursor;
  done: boolean;
}

/** A node's walk through one run: entries first, then the days they leave empty. */
interface Walk {
  run: string;
  entries: Phase;
  days: Phase;
}

/**
 * Deletes up to `budget` rows of one phase from its cursor. At the end of the walk it
 * goes once more from the start (rows skipped meanwhile: locked by another node, or
 * written behind the cursor); when a walk from the start ends short, the phase is done.
 */
async function walkPhase(del: (limit: number, after?: Cursor) => Promise<Deleted>, st: Phase, budget: number): Promise<number> {
  let n = 0;
  while (!st.done && n < budget) {
    const fromStart = st.cursor === undefined;
    const r = await del(budget - n, st.cursor);
    const full = r.n === budget - n;
    n += r.n;
    if (full) {
      st.cursor = r.last;
      continue;
    }
    if (fromStart) st.done = true;
    else st.cursor = undefined;
  }
  return n;
}

/** Deletes up to `limit` due rows (entries first, then the days left empty); returns the counts. */
async function deleteRows(db: Knex, s: RowScope, h: HeldParams, limit: number, walk: Walk): Promise<{ entries: number; days: number }> {
  // The walk moves on only once the batch committed: a batch that failed is walked again.
  const next = { entries: { ...walk.entries }, days: { ...walk.days } };
  const counts = await housekeeping(db, async (trx) => {
    const entries = await walkPhase((n, after) => deleteDueEntries(trx, s, h, n, after), next.entries, limit);
    const days = next.entries.done ? await walkPhase((n, after) => deleteDueDays(trx, s, h, n, after), next.days, limit - entries) : 0;
    return { entries, days };
  }, true);
  walk.entries = next.entries;
  walk.days = next.days;
  return counts;
}

/** Which keys a category shreds: its purposes, and for each the rows that keep a year's key alive. */
type KeyFamily = ReadonlyArray<'record' | 'note' | 'draft'>;

/** The slots of `family` before `beforeYear` with no rows left under them (and not person-held), at most `limit`. */
async function freeSlots(deps: TimesheetDeps, trx: Knex.Transaction, family: KeyFamily, beforeYear: number, persons: string[], limit: number, opts: { ownerId?: string; heldBy?: HeldParams; timers?: boolean } = {}): Promise<KeySlot[]> {
  const out: KeySlot[] = [];
  for (const purpose of family) {
    if (out.length >= limit) break;
    const keep = await unitsWithRows(trx, purpose, beforeYear, opts);
    out.push(...await deps.keys.keySlots(trx, {
      purposes: [purpose as KeyPurpose], subject: opts.ownerId, beforeYear, excludeSubjects: persons, excludeYears: keep, peopleOnly: true, limit: limit - out.length,
    }));
  }
  return out;
}

/** Shreds up to `limit` keys of `family` whose years are due and hold no rows any more; returns how many. */
async function shredFreeKeys(deps: TimesheetDeps, db: Knex, family: KeyFamily, beforeYear: number, holds: RetentionHolds, limit: number): Promise<number> {
  if (limit <= 0) return 0;
  return housekeeping(db, async (trx) => {
    const slots = await freeSlots(deps, trx, family, beforeYear, [...holds.persons], limit);
    return slots.length ? (await deps.keys.shredKeys(trx, slots)).length : 0;
  });
}

/** One category of time data: which rows, which keys, and its due date. */
interface Category {
  name: 'submitted_days' | 'drafts';
  family: KeyFamily;
  rows: (scope: Pick<RetentionScope, 'cutoff'>) => RowScope;
  /** Keys of years before this one are due. */
  keyYear: (scope: Pick<RetentionScope, 'cutoff'>) => number;
  oldest: (trx: Knex.Transaction) => Promise<Date | null>;
}

function handler(deps: TimesheetDeps, c: Category): RetentionHandler {
  const memo: { last?: Memo } = {};
  // Where this node's walk through the current run got (a new run starts over).
  let walk: Walk = { run: '', entries: { done: false }, days: { done: false } };
  const walkOf = (scope: RetentionScope): Walk => {
    const run = JSON.stringify([scope.asOf.getTime(), c.rows(scope), [...scope.holds.persons], scope.holds.ranges, [...scope.holds.projects], [...scope.holds.customers]]);
    if (walk.run !== run) walk = { run, entries: { done: false }, days: { done: false } };
    return walk;
  };
  const held = async (scope: RetentionScope) => heldParams(scope.holds, await entriesKeptByProject(deps, memo, c.rows(scope), scope.holds));
  return {
    category: c.name,

    async oldest(db) {
      return housekeeping(db, (trx) => c.oldest(trx));
    },

    async plan(db, scope) {
      const h = await held(scope);
      return housekeeping(db, async (trx) => {
        const counts = await countDue(trx, c.rows(scope), h);
        // Keys due: those of years with no held rows (due rows go first, then their keys).
        const keys = await freeSlots(deps, trx, c.family, c.keyYear(scope), h.persons, Number.MAX_SAFE_INTEGER, { heldBy: h });
        const heldKeys = (await deps.keys.keySlots(trx, { purposes: [...c.family], beforeYear: c.keyYear(scope), peopleOnly: true, limit: Number.MAX_SAFE_INTEGER })).length - keys.length;
        return { due: { ...counts.due, keys: keys.length }, held: { ...counts.held, keys: heldKeys } };
      });
    },

    async purgeBatch(db, scope) {
      const h = await held(scope);
      const w = walkOf(scope);
      const rows = await deleteRows(db, c.rows(scope), h, scope.batchSize, w);
      const removed: RetentionCounts = { ...rows, keys: 0 };
      const left = scope.batchSize - rows.entries - rows.days;
      if (left <= 0 || !w.days.done) return { removed, done: false };
      removed.keys = await shredFreeKeys(deps, db, c.family, c.keyYear(scope), scope.holds, left);
      return { removed, done: removed.keys < left };
    },
  };
}

/** The `submitted_days` handler: ever-submitted days of years before the cutoff's year, their entries, notes, comments and keys. */
export function submittedDaysHandler(deps: TimesheetDeps): RetentionHandler {
  return handler(deps, {
    name: 'submitted_days',
    family: ['record', 'note'],
    rows: (scope) => ({ purpose: 'record', before: yearStart(scope.cutoff.getUTCFullYear()) }),
    keyYear: (scope) => scope.cutoff.getUTCFullYear(),
    oldest: async (trx) => {
      const d = await oldestDay(trx, true);
      return d === null ? null : new Date(Date.UTC(Number(d.slice(0, 4)), 11, 31));
    },
  });
}

/** The `drafts` handler: days never submitted, due by their date, their entries and (a whole year due) their draft keys. */
export function draftsHandler(deps: TimesheetDeps): RetentionHandler {
  const before = (scope: Pick<RetentionScope, 'cutoff'>) => scope.cutoff.toISOString().slice(0, 10);
  return {
    ...handler(deps, {
      name: 'drafts',
      family: ['draft'],
      rows: (scope) => ({ purpose: 'draft', before: before(scope) }),
      // Dec 31 of Y before the cutoff date ⇔ Y before the cutoff's year.
      keyYear: (scope) => Number(before(scope).slice(0, 4)),
      oldest: async (trx) => {
        const d = await oldestDay(trx, false);
        return d === null ? null : new Date(`${d}T00:00:00Z`);
      },
    }),
    erase: (db, personId, opts) => eraseTimeData(deps, db, personId, opts),
  };
}

/**
 * What `uurwerk erase --person` removes from time data now: drafts (all dates) and the
 * running timer deleted, draft keys shredded, note keys shredded (notes of kept days
 * then read as erased). What the fiscal duty keeps (submitted days, under record keys)
 * stays; held data and the keys of held years stay too. A person hold keeps all.
 */
export async function eraseTimeData(deps: TimesheetDeps, db: Knex, personId: string, opts: { dryRun: boolean; holds: RetentionHolds }): Promise<RetentionCounts> {
  const none = { draft_entries: 0, draft_days: 0, timers: 0, keys: 0 };
  if (opts.holds.persons.has(personId)) return none;
  const drafts: RowScope = { purpose: 'draft', before: '9999-12-31', ownerId: personId };
  const records: RowScope = { purpose: 'record', before: '9999-12-31', ownerId: personId };
  const byProject = new Set([...await entriesKeptByProject(deps, {}, drafts, opts.holds), ...await entriesKeptByProject(deps, {}, records, opts.holds)]);
  const h = heldParams(opts.holds, byProject);
  return housekeeping(db, async (trx) => {
    const out = { ...none };
    if (opts.dryRun) {
      const c = await countDue(trx, drafts, h);
      out.draft_entries = c.due.entries;
      out.draft_days = c.due.days;
    } else {
      // One person's drafts: a few thousand rows at most, in this one transaction.
      for (;;) {
        const { n } = await deleteDueEntries(trx, drafts, h, 5000);
        out.draft_entries += n;
        if (n < 5000) break;
      }
      for (;;) {
        const { n } = await deleteDueDays(trx, drafts, h, 5000);
        out.draft_days += n;
        if (n < 5000) break;
      }
    }
    out.timers = await deleteTimerOf(trx, personId, opts.dryRun);
    // The pinned grid rows say which projects the person works on: they go with the drafts.
    if (!opts.dryRun) await trx('timesheet_favourites').where({ account_id: personId }).delete();
    // Keys: every draft key with no draft left under it (after the deletes above, only
    // held drafts are), and every note key of a year without held notes.
    const heldOnly = opts.dryRun ? { heldBy: h, timers: false } : {};
    const draftSlots = await freeSlots(deps, trx, ['draft'], 10_000, [], Number.MAX_SAFE_INTEGER, { ownerId: personId, ...heldOnly });
    const noteSlots = await freeSlots(deps, trx, ['note'], 10_000, [], Number.MAX_SAFE_INTEGER, { ownerId: personId, heldBy: h });
    const slots = [...draftSlots, ...noteSlots];
    out.keys = opts.dryRun ? slots.length : slots.length ? (await deps.keys.shredKeys(trx, slots)).length : 0;
    return out;
  });
}
