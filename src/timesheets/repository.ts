import type { Knex } from '../platform/db.js';
import { oneTrip, type SqlLiteral, type TripStatement } from '../platform/one-trip.js';
import { WITH_BEGIN } from '../platform/prepared.js';
import type { DayState } from './policy.js';

/**
 * Queries on time data. Every query on `timesheet_days`, `time_entries` and
 * `running_timers` runs inside a wall transaction (`inWall`): the transaction names
 * the acting account for the row-level security policies, and each query runs as the
 * unprivileged `uurwerk_rls` role where it exists, because a superuser connection
 * (the embedded database) would otherwise bypass the policies. Other work in the same
 * transaction (keys, audit, mail outbox) runs as the connection's own role.
 */

/** A transaction behind the database wall, acting for one account (or bypassing, for housekeeping). */
export interface Wall {
  readonly actorId: string | 'bypass';
  readonly useRole: boolean;
  /** SQL helpers (`fn.now()`) for values inside wall queries; runs no statement itself. */
  readonly fn: Knex.FunctionHelper;
  /**
   * The transaction as the connection's own role, for work beside the wall (keys,
   * audit, mail outbox, names): steps out of the row-security role first if needed.
   */
  own(): Promise<Knex.Transaction>;
  /**
   * The transaction in whichever role is on, for the lookups the row-security role is
   * granted as well (names, time zones, data keys to decrypt): no role switch for them.
   */
  shared(): Knex.Transaction;
  /** The acting account's own time zone setting (null: the organisation's), read in the first statement. */
  readonly actorTimeZone: string | null;
  /** The extra columns the caller asked the first statement for (`inWall`'s `first`), by name. */
  readonly first: Readonly<Record<string, unknown>>;
  /**
   * The transaction for audit events without personal details: as it stands when the
   * row-security role may stage audit events itself (no role switch), else `own()`.
   */
  forAudit(): Promise<Knex.Transaction>;
}

/** Extra columns for a wall's first statement (lookups that need no wall: master data). */
export interface FirstColumns {
  /** A select list starting with a comma, e.g. `, (SELECT …) AS project`. */
  sql: string;
  bindings: readonly unknown[];
}

/** Several callers' extra columns for one first statement, in order. */
export function firstColumns(...parts: FirstColumns[]): FirstColumns {
  return { sql: parts.map((p) => p.sql).join(''), bindings: parts.flatMap((p) => p.bindings) };
}

/** The wall's transaction and whether the row-security role is on right now. */
interface WallState extends Wall {
  readonly trx: Knex.Transaction;
  roleOn: boolean;
}

const roleUsable = new WeakMap<object, Promise<boolean>>();
const roleStagesAudit = new WeakMap<object, Promise<boolean>>();

/**
 * Whether the row-security role may stage audit events (insert into `audit.pending`,
 * granted by migration 20261204040000 once the staging table exists): then an audited
 * write appends without stepping out of the role first. Checked once per pool.
 */
function canStageAudit(db: Knex): Promise<boolean> {
  let p = roleStagesAudit.get(db);
  if (!p) {
    p = db
      .raw(`SELECT CASE WHEN to_regclass('audit.pending') IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN false
                   ELSE has_table_privilege('uurwerk_rls', 'audit.pending', 'INSERT') AND has_sequence_privilege('uurwerk_rls', 'audit.pending_n_seq', 'USAGE')
                        AND has_schema_privilege('uurwerk_rls', 'audit', 'USAGE') END AS ok`)
      .then((r: { rows: Array<{ ok: boolean }> }) => r.rows[0]?.ok === true);
    roleStagesAudit.set(db, p);
  }
  return p;
}

/** Whether this connection can switch to the row-security role (checked once per pool). */
function canUseRole(db: Knex): Promise<boolean> {
  let p = roleUsable.get(db);
  if (!p) {
    p = db
      .raw(`SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'uurwerk_rls') THEN pg_has_role(current_user, 'uurwerk_rls', 'MEMBER') ELSE false END AS ok`)
      .then((r: { rows: Array<{ ok: boolean }> }) => r.rows[0]?.ok === true);
    roleUsable.set(db, p);
  }
  return p;
}

/**
 * Runs `fn` in a transaction acting for `actorId` (an account id), or for housekeeping
 * that must see every row (`'bypass'`). The settings are transaction-local, so a
 * pooled connection never carries them into another request. The acting account and
 * the row-security role are set in the transaction's first statement; the role stays
 * on for consecutive wall queries and is switched off only when work beside the wall
 * asks for the connection's own role (`own()`), not around every statement.
 */
export async function inWall<T>(db: Knex, actorId: string | 'bypass', fn: (w: Wall) => Promise<T>, first?: FirstColumns): Promise<T> {
  const useRole = await canUseRole(db);
  const stagesAudit = useRole && (await canStageAudit(db));
  return db.transaction(async (trx) => {
    const setting = actorId === 'bypass' ? `set_config('uurwerk.bypass', 'on', true)` : `set_config('uurwerk.actor', ?, true)`;
    // set_config('role', …, true) is SET LOCAL ROLE as a function: one statement for both,
    // and the actor's time zone comes along rather than in a statement of its own.
    const role = useRole ? `, set_config('role', 'uurwerk_rls', true)` : '';
    const tz = actorId === 'bypass' ? '' : ', (SELECT time_zone FROM timesheet_settings WHERE account_id = ?::uuid) AS time_zone';
    // The caller's extra columns are evaluated before the role takes effect (it applies
    // from the next statement): only lookups outside the wall belong there.
    // Marked to carry knex's BEGIN in the same message (src/platform/prepared.ts).
    const { rows } = await trx.raw<{ rows: Array<Record<string, unknown> & { time_zone?: string | null }> }>(
      `${WITH_BEGIN}SELECT ${setting}${role}${tz}${first?.sql ?? ''}`, [...(actorId === 'bypass' ? [] : [actorId, actorId]), ...(first?.bindings ?? [])] as Knex.RawBinding[],
    );
    const w: WallState = {
      trx, actorId, useRole, roleOn: useRole, fn: trx.fn, actorTimeZone: rows[0]?.time_zone ?? null, first: rows[0] ?? {},
      shared: () => trx,
      forAudit: () => (stagesAudit ? Promise.resolve(trx) : w.own()),
      async own() {
        // On failure the transaction rolls back, which undoes the role as well.
        if (w.roleOn) {
          w.roleOn = false;
          await trx.raw('RESET ROLE');
        }
        return trx;
      },
    };
    return fn(w);
  });
}

/**
 * A read behind the wall in one round trip (issue 11): `inWall`'s first statement
 * (acting account, row-security role, the actor's time zone, the caller's `first`
 * columns) and `read` go to PostgreSQL as one message, run as one implicit read-only
 * transaction. The settings end with it, as `inWall`'s do at COMMIT, and `read` is
 * planned after they took effect, so the row-security policies apply to it as to any
 * walled query (test/timesheets/one-trip.test.ts). For reads whose every statement
 * is known before the first answer; anything that decides between statements uses
 * `inWall`. As there, the `first` columns are evaluated before the role takes effect
 * (it applies from the next statement): only lookups outside the wall belong there.
 * The read runs its generic plan (`plan_cache_mode`, for this transaction only): left
 * to choose, PostgreSQL kept planning it afresh on about two runs in five (its custom
 * plans looked cheaper for some people's first runs on a connection), and planning
 * cost twice the run — the day view's database CPU halved without it (1.30 → 0.66 ms,
 * issue 11), with the same run time, as both plans take the owner's index.
 */
export async function readInWall<R extends Record<string, unknown>>(
  db: Knex, actorId: string, read: TripStatement, first?: { sql: string; bindings: readonly SqlLiteral[] },
): Promise<{ first: Record<string, unknown> & { time_zone?: string | null }; rows: R[] }> {
  const useRole = await canUseRole(db);
  const role = useRole ? `, set_config('role', 'uurwerk_rls', true)` : '';
  const [settings, result] = await oneTrip(db, [
    {
      sql: `SELECT set_config('transaction_read_only', 'on', true), set_config('plan_cache_mode', 'force_generic_plan', true), set_config('uurwerk.actor', ?::text, true)${role},
                   (SELECT time_zone FROM timesheet_settings WHERE account_id = ?::uuid) AS time_zone${first?.sql ?? ''}`,
      bindings: [actorId, actorId, ...(first?.bindings ?? [])],
      prepared: true,
    },
    read,
  ]);
  return { first: (settings!.rows[0] ?? {}) as Record<string, unknown> & { time_zone?: string | null }, rows: result!.rows as R[] };
}

/** Runs one query on the protected tables as the row-security role (switched on only if it is off). */
export async function walled<T>(w: Wall, query: (trx: Knex.Transaction) => PromiseLike<T>): Promise<T> {
  const s = w as WallState;
  if (s.useRole && !s.roleOn) {
    s.roleOn = true;
    await s.trx.raw('SET LOCAL ROLE uurwerk_rls');
  }
  return query(s.trx);
}

/** A working-time warning's code (the rules are the reports domain's; a day stores the codes it carried at submit). */
export type DayWarningCode = 'long_shift' | 'long_week' | 'short_rest' | 'short_break';

/** A `timesheet_days` row. */
export interface DayRow {
  id: string;
  owner_id: string;
  date: string;
  state: DayState;
  time_zone: string;
  scope_teams: string[];
  scope_admin_ids: string[];
  comment: string | null;
  submitted_at: Date | null;
  returned_at: Date | null;
  returned_by: string | null;
  approved_at: Date | null;
  approved_by: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  /** The working-time warning codes recorded at submit (empty otherwise; src/reports/submit-warnings.ts). */
  warnings: DayWarningCode[];
}

/** Which of the owner's keys seals an entry's details: `draft` until a day it touches is submitted. */
export type EntryKeyPurpose = 'draft' | 'record';

/** A `time_entries` row (details and note still encrypted). */
export interface EntryRow {
  id: string;
  owner_id: string;
  first_date: string;
  last_date: string;
  details: string;
  /** The note, sealed under the owner's note key; null when empty, or inside `details` (rows from before notes had a column). */
  note: string | null;
  key_purpose: EntryKeyPurpose;
  created_at: Date;
  updated_at: Date;
}

/** A `running_timers` row (details still encrypted). */
export interface TimerRow {
  owner_id: string;
  details: string;
  created_at: Date;
}

// Dates come back as text (YYYY-MM-DD), never as JS Dates shifted by the server's zone.
/** The columns of a day row, in table order. */
export const DAY_COLUMNS = ['id', 'owner_id', 'date', 'state', 'time_zone', 'scope_teams', 'scope_admin_ids', 'comment', 'submitted_at', 'returned_at', 'returned_by', 'approved_at', 'approved_by', 'version', 'created_at', 'updated_at', 'warnings'];
/** The columns of an entry row. */
export const ENTRY_COLUMNS = ['id', 'owner_id', 'first_date', 'last_date', 'details', 'note', 'key_purpose', 'created_at', 'updated_at'];

/** A day row as the driver returns it → DayRow (dates as text). */
export function normaliseDay(row: Record<string, unknown>): DayRow {
  return { ...(row as unknown as DayRow), date: dateText(row.date) };
}

/** An entry row as the driver returns it → EntryRow (dates as text). */
export function normaliseEntry(row: Record<string, unknown>): EntryRow {
  return { ...(row as unknown as EntryRow), first_date: dateText(row.first_date), last_date: dateText(row.last_date) };
}

function dateText(v: unknown): string {
  if (typeof v === 'string') return v.slice(0, 10);
  if (v instanceof Date) {
    // node-pg parses `date` as local midnight; format it back in local terms.
    return `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}`;
  }
  throw new Error('unexpected date value');
}

/**
 * The owner's day rows for the dates, creating missing ones as drafts; locked FOR
 * UPDATE (a no-op DO UPDATE locks an existing row and returns it beside the new ones),
 * in date order. With `entry`, the entry is inserted by the same statement: the caller
 * checks the days and throws (rolling both back) when one is not open.
 */
export async function lockDaysForOwner(w: Wall, ownerId: string, dates: string[], timeZone: string, entry?: Omit<EntryRow, 'created_at' | 'updated_at'>): Promise<DayRow[]> {
  return (await lockDaysReading(w, ownerId, dates, timeZone, entry)).days;
}

/**
 * As `lockDaysForOwner`, and with `others` the same statement reads the owner's entries
 * touching [from, to] as they stood before it (the entry it inserts is not among them):
 * an entry create's day-over-the-limit check costs no statement of its own.
 */
export async function lockDaysReading(w: Wall, ownerId: string, dates: string[], timeZone: string, entry?: Omit<EntryRow, 'created_at' | 'updated_at'>, others?: { from: string; to: string }): Promise<{ days: DayRow[]; others: EntryRow[] }> {
  if (!dates.length) return { days: [], others: [] };
  const withEntry = entry ? ', e AS (INSERT INTO time_entries (id, owner_id, first_date, last_date, details, note, key_purpose) VALUES (?::uuid, ?::uuid, ?::date, ?::date, ?, ?, ?))' : '';
  const readOthers = others
    ? `, (SELECT coalesce(json_agg(o ORDER BY o.created_at, o.id), '[]') FROM (SELECT ${ENTRY_COLUMNS.join(', ')} FROM time_entries
          WHERE owner_id = ?::uuid AND first_date <= ?::date AND last_date >= ?::date) o) AS others__`
    : '';
  const { rows } = await walled(w, (trx) =>
    trx.raw<{ rows: Array<Record<string, unknown>> }>(
      `WITH d AS (
         INSERT INTO timesheet_days (owner_id, date, time_zone) SELECT ?::uuid, x, ? FROM unnest(?::date[]) AS x
         ON CONFLICT (owner_id, date) DO UPDATE SET owner_id = EXCLUDED.owner_id
         RETURNING ${DAY_COLUMNS.join(', ')})${withEntry}
       SELECT d.*${readOthers} FROM d ORDER BY date`,
      [ownerId, timeZone, [...dates].sort(), ...(entry ? [entry.id, entry.owner_id, entry.first_date, entry.last_date, entry.details, entry.note, entry.key_purpose] : []),
        ...(others ? [ownerId, others.to, others.from] : [])],
    ),
  );
  const found = (rows[0]?.others__ ?? []) as Array<Record<string, unknown>>;
  return {
    days: rows.map(({ others__: _, ...d }) => normaliseDay(d)),
    others: found.map((e) => normaliseEntry({ ...e, created_at: new Date(e.created_at as string), updated_at: new Date(e.updated_at as string) })),
  };
}

/** One day by id, narrowed by a policy scope; optionally locked. */
export async function dayById(w: Wall, id: string, scope: (q: Knex.QueryBuilder) => Knex.QueryBuilder, lock = false): Promise<DayRow | undefined> {
  const row = await walled(w, (trx) => {
    const q = scope(trx('timesheet_days').where('timesheet_days.id', id));
    return (lock ? q.forUpdate() : q).first(DAY_COLUMNS.map((c) => `timesheet_days.${c}`));
  });
  return row ? normaliseDay(row as Record<string, unknown>) : undefined;
}

/** Filters for day lists. */
export interface DayFilter {
  states?: DayState[];
  /** Leave out the days of restricted people (GDPR art. 18: their kept records are only stored). */
  withoutRestricted?: boolean;
  ownerId?: string;
  excludeOwnerId?: string;
  from?: string;
  to?: string;
  limit?: number;
}

function applyFilter(q: Knex.QueryBuilder, f: DayFilter): Knex.QueryBuilder {
  if (f.states?.length) void q.whereIn('timesheet_days.state', f.states);
  if (f.ownerId) void q.where('timesheet_days.owner_id', f.ownerId);
  if (f.excludeOwnerId) void q.whereNot('timesheet_days.owner_id', f.excludeOwnerId);
  if (f.from) void q.where('timesheet_days.date', '>=', f.from);
  if (f.to) void q.where('timesheet_days.date', '<=', f.to);
  if (f.withoutRestricted) void q.whereNotExists((s) => s.select(s.client.raw('1')).from('accounts as ra').whereRaw('ra.id = timesheet_days.owner_id').whereNotNull('ra.restricted_at'));
  return q;
}

/** Days matching the filter within a policy scope, oldest first. */
export async function listDays(w: Wall, scope: (q: Knex.QueryBuilder) => Knex.QueryBuilder, f: DayFilter): Promise<DayRow[]> {
  const rows = await walled(w, (trx) =>
    applyFilter(scope(trx('timesheet_days')), f)
      .orderBy([{ column: 'timesheet_days.date' }, { column: 'timesheet_days.owner_id' }])
      .limit(f.limit ?? 500)
      .select(DAY_COLUMNS.map((c) => `timesheet_days.${c}`)),
  );
  return (rows as Array<Record<string, unknown>>).map(normaliseDay);
}

/**
 * Changes a day only if it is still in one of `from` (a state-guarded UPDATE, so two
 * concurrent reviews or submits cannot both succeed). Returns the new row, or
 * undefined when the guard failed.
 */
export async function transitionDay(w: Wall, id: string, from: DayState[], patch: Record<string, unknown>): Promise<DayRow | undefined> {
  const [row] = await walled(w, (trx) =>
    trx('timesheet_days')
      .where({ id })
      .whereIn('state', from)
      .update({ ...patch, version: trx.raw('version + 1'), updated_at: trx.fn.now() })
      .returning(DAY_COLUMNS),
  );
  return row ? normaliseDay(row as Record<string, unknown>) : undefined;
}

/** Entries of an owner touching any date in [from, to]. */
export async function entriesTouching(w: Wall, ownerId: string, from: string, to: string): Promise<EntryRow[]> {
  const rows = await walled(w, (trx) =>
    trx('time_entries').where({ owner_id: ownerId }).where('first_date', '<=', to).where('last_date', '>=', from).orderBy('created_at').select(ENTRY_COLUMNS),
  );
  return (rows as Array<Record<string, unknown>>).map(normaliseEntry);
}

/** One entry by id (the row-security policy hides other people's entries). */
export async function entryById(w: Wall, id: string, ownerId: string): Promise<EntryRow | undefined> {
  const row = await walled(w, (trx) => trx('time_entries').where({ id, owner_id: ownerId }).first(ENTRY_COLUMNS));
  return row ? normaliseEntry(row as Record<string, unknown>) : undefined;
}

/** Replaces an entry's dates, details and note. */
export async function updateEntry(w: Wall, id: string, ownerId: string, patch: Pick<EntryRow, 'first_date' | 'last_date' | 'details' | 'note' | 'key_purpose'>): Promise<boolean> {
  const n = await walled(w, (trx) => trx('time_entries').where({ id, owner_id: ownerId }).update({ ...patch, updated_at: trx.fn.now() }));
  return n === 1;
}

/** Deletes an entry. */
export async function deleteEntry(w: Wall, id: string, ownerId: string): Promise<boolean> {
  const n = await walled(w, (trx) => trx('time_entries').where({ id, owner_id: ownerId }).delete());
  return n === 1;
}

/** The owner's running timer, if any (locked when asked). */
export async function timerOf(w: Wall, ownerId: string, lock = false): Promise<TimerRow | undefined> {
  return walled(w, (trx) => {
    const q = trx('running_timers').where({ owner_id: ownerId });
    return (lock ? q.forUpdate() : q).first('owner_id', 'details', 'created_at') as Promise<TimerRow | undefined>;
  });
}

/** Starts a timer; false when one is already running (one per person). */
export async function insertTimer(w: Wall, ownerId: string, details: string): Promise<boolean> {
  const rows = await walled(w, (trx) => trx('running_timers').insert({ owner_id: ownerId, details }).onConflict('owner_id').ignore().returning('owner_id'));
  return rows.length === 1;
}

/** Removes the timer; returns it, or undefined when none ran (a concurrent stop won). */
export async function deleteTimer(w: Wall, ownerId: string): Promise<TimerRow | undefined> {
  const [row] = await walled(w, (trx) => trx('running_timers').where({ owner_id: ownerId }).delete().returning(['owner_id', 'details', 'created_at']));
  return row as TimerRow | undefined;
}
