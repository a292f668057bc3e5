import { randomUUID } from 'node:crypto';
import type { KeyService } from '../../src/keys/types.js';
import type { RetentionCounts, RetentionHandler, RetentionHolds, RetentionScope } from '../../src/platform/retention.js';
import { cutoffFor, type RetentionCategory } from '../../src/retention/policy.js';
import type { TimesheetDeps } from '../../src/timesheets/context.js';
import { sealEntry } from '../../src/timesheets/sealing.js';
import type { TestApp } from '../helpers/app.js';

/**
 * Time data seeded straight into the tables (the API refuses dates years back, which
 * is the point of travelling), sealed exactly as the product seals it (sealEntry), and
 * the timesheet retention handlers driven the way the retention job drives them.
 */

/** The timesheet dependencies of a running test app (optionally with another key service: a second node). */
export function timesheetDeps(a: TestApp, keys: KeyService = a.app.keys): TimesheetDeps {
  return { db: a.app.db, config: a.config, keys, audit: a.app.services.audit };
}

/** No legal hold at all. */
export const NO_HOLDS: RetentionHolds = { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] };

/** Holds with some of the kinds set. */
export function holds(h: Partial<RetentionHolds>): RetentionHolds {
  return { ...NO_HOLDS, ...h };
}

/** The scope of a run at `asOf` for a category, with the app's configured period. */
export function scopeAt(a: TestApp, category: RetentionCategory, asOf: string, h: RetentionHolds = NO_HOLDS, batchSize = 3): RetentionScope {
  const at = new Date(asOf);
  return { asOf: at, cutoff: cutoffFor(a.config.retention, category, at), holds: h, batchSize };
}

/** Calls purgeBatch until done (as the job does), summing the counts; fails after 10 000 batches. */
export async function purgeAll(handler: RetentionHandler, db: TestApp['db']['knex'], scope: RetentionScope): Promise<RetentionCounts> {
  const sum: RetentionCounts = {};
  for (let i = 0; i < 10_000; i++) {
    const { removed, done } = await handler.purgeBatch(db, scope);
    for (const [k, v] of Object.entries(removed)) sum[k] = (sum[k] ?? 0) + v;
    if (done) return sum;
  }
  throw new Error('purgeBatch never said done');
}

/** Runs `fn` with the wall's housekeeping bypass (tests look at rows behind the wall). */
export async function bypass<T>(a: TestApp, fn: (trx: TestApp['db']['knex']) => Promise<T>): Promise<T> {
  return a.db.knex.transaction(async (trx) => {
    await trx.raw(`SELECT set_config('uurwerk.bypass', 'on', true)`);
    return fn(trx as unknown as TestApp['db']['knex']);
  });
}

/**
 * Seeds one day of `ownerId` with one entry (08:00–16:00 on the project, with a note):
 * `draft` (never submitted, draft key), or `approved` (submitted and approved by
 * `approver`, in `team`'s scope, record key).
 */
export async function seedDay(a: TestApp, o: { ownerId: string; date: string; state: 'draft' | 'approved'; projectId: string; note?: string; team?: string; approver?: string }): Promise<{ dayId: string; entryId: string }> {
  const dayId = randomUUID();
  const entryId = randomUUID();
  const purpose = o.state === 'draft' ? 'draft' : 'record';
  const details = { start: `${o.date}T07:00:00.000Z`, end: `${o.date}T15:00:00.000Z`, date: null, minutes: 480, project_id: o.projectId, task_id: null, note: o.note ?? '' };
  const sealed = await sealEntry(timesheetDeps(a), a.db.knex, o.ownerId, entryId, details, o.date, purpose);
  const submitted = o.state === 'approved';
  await bypass(a, async (trx) => {
    await trx('timesheet_days').insert({
      id: dayId, owner_id: o.ownerId, date: o.date, state: o.state, time_zone: 'UTC', scope_teams: o.team ? [o.team] : [],
      submitted_at: submitted ? `${o.date}T18:00:00Z` : null, approved_at: submitted ? `${o.date}T19:00:00Z` : null, approved_by: submitted ? o.approver : null,
    });
    await trx('time_entries').insert({ id: entryId, owner_id: o.ownerId, first_date: o.date, last_date: o.date, ...sealed });
  });
  return { dayId, entryId };
}

/** The purposes and years of the owner's time-data keys (record, draft, note), sorted (`record/2019`, ...). */
export async function keysOf(a: TestApp, ownerId: string): Promise<string[]> {
  const rows = (await a.db.knex('data_keys').where({ subject: ownerId }).whereIn('purpose', ['record', 'draft', 'note']).select('purpose', 'year')) as Array<{ purpose: string; year: number }>;
  return rows.map((r) => `${r.purpose}/${r.year}`).sort();
}

/** How many day rows the owner has (behind the wall). */
export async function dayCount(a: TestApp, ownerId: string): Promise<number> {
  return bypass(a, async (trx) => Number(((await trx('timesheet_days').where({ owner_id: ownerId }).count('* as n').first()) as { n: string }).n));
}
