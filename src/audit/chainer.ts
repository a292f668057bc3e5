import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { DomainModule } from '../platform/module.js';
import { eventHasher, GENESIS_HASH, type AuditEventRow } from './canonical.js';
import { onConnection } from '../platform/one-trip.js';
import { deleteStaged, deleteStagedSql, HEAD_AND_CLOCK_SQL, headAndClock, insertEvents, insertLinkedSql, lockEvents, lockEventsSql, ownValuesSql, stagedBatch, stagedBatchSql, toHead, type Head, type StagedEvent } from './repository.js';

/**
 * Group commit. Callers stage events in `audit.pending` inside their own transaction
 * (src/audit/service.ts); a chain pass moves every committed staged event into the
 * chain under one append lock, one head read, one insert and one commit. The hash
 * scheme is the one of src/audit/canonical.ts; `at` is the database clock of the pass,
 * so it grows with seq as before.
 */

/** Rows per pass: 12 columns each stay under PostgreSQL's 65,535 bind parameters. */
const BATCH = 4000;

/**
 * A pass reads the head after the lock is granted, so its statements must each see
 * what committed before they ran, whatever the server's default isolation.
 */
const BEGIN_READ_COMMITTED = 'BEGIN ISOLATION LEVEL READ COMMITTED';

/**
 * One chain pass over at most `limit` staged events; returns how many it chained.
 * The advisory xact lock serialises passes across app nodes; under READ COMMITTED
 * the staged rows are read after the lock is granted, so a pass never sees rows
 * an earlier pass already moved.
 *
 * The pass commits without waiting for the WAL flush. What it writes is derived from
 * staged rows that are already durable (their callers committed synchronously): a
 * crash loses such a pass whole — never half of it — the staged rows are still there
 * and the next start chains them again. Any later synchronous commit (a checkpoint's,
 * a caller's, a grouped append's) flushes the pass with it.
 */
export async function chainOnce(db: Knex, limit = BATCH): Promise<number> {
  // Two round trips: BEGIN, the lock (lazy commit, above), the staged rows and the
  // head (READ COMMITTED: each statement sees what committed before it ran); then the
  // insert, the delete of the staged rows and COMMIT.
  return onConnection(db, async (trip) => {
    const [, , batch, first] = await trip([BEGIN_READ_COMMITTED, lockEventsSql(true), stagedBatchSql(limit), HEAD_AND_CLOCK_SQL]);
    const staged = batch!.rows as Array<StagedEvent & { n: string }>;
    if (!staged.length) {
      await trip(['ROLLBACK']);
      return 0;
    }
    const { at, rows } = linkReady(toHead(first!.rows[0] as Parameters<typeof toHead>[0]), staged.map(readyOf));
    await trip([insertLinkedSql(rows, at), deleteStagedSql(staged.map((s) => s.n)), 'COMMIT']);
    return rows.length;
  });
}

/**
 * A chain pass inside the caller's transaction, which then holds the append lock
 * until it ends: for the rare caller whose own staged event must be in the chain
 * when its change commits (ageing deletes events; verification accepts the gap only
 * with the `audit.aged` record beside it). Chains the caller's own staged rows too.
 */
export async function chainWithin(trx: Knex.Transaction, opts: { all?: boolean } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await chainBatch(trx, BATCH);
    total += n;
    if (!opts.all || n < BATCH) return total;
  }
}

/** A pass inside the caller's transaction: the caller's commit stays as it is. */
async function chainBatch(trx: Knex.Transaction, limit: number): Promise<number> {
  await lockEvents(trx);
  const staged = await stagedBatch(trx, limit);
  if (!staged.length) return 0;
  const rows = link(await headAndClock(trx), staged.map(({ n: _n, ...s }) => s));
  await insertEvents(trx, rows);
  await deleteStaged(trx, staged.map((s) => s.n));
  return rows.length;
}

/** An event's hash once its seq, time and previous hash are known (`eventHasher`). */
type Hasher = (seq: number, at: string, prevHash: string) => string;

/** Numbers and hashes events after the head, in the order given, all at the pass's time. */
function linkAfter(head: Head, hashers: readonly Hasher[]): { at: string; links: Array<{ seq: number; prev_hash: string; hash: string }> } {
  const at = head.now.toISOString();
  let prev = head.hash ?? GENESIS_HASH;
  let seq = head.seq;
  const links = hashers.map((hash) => {
    const prevHash = prev;
    prev = hash(++seq, at, prevHash);
    return { seq, prev_hash: prevHash, hash: prev };
  });
  return { at, links };
}

/** Staged events as chain rows after the head (for `insertEvents`). */
function link(head: Head, events: readonly StagedEvent[]): AuditEventRow[] {
  const { at, links } = linkAfter(head, events.map(eventHasher));
  return events.map((s, i) => ({ ...s, at, ...links[i]! }));
}

/** An event with what a pass needs written out beforehand: its canonical text and SQL values but for seq, time and links. */
interface Ready {
  hash: Hasher;
  own: string;
}

function readyOf(e: StagedEvent): Ready {
  return { hash: eventHasher(e), own: ownValuesSql(e) };
}

/** Ready events as rows for `insertLinkedSql` after the head. */
function linkReady(head: Head, events: readonly Ready[]): { at: string; rows: Array<{ own: string; seq: number; prev_hash: string; hash: string }> } {
  const { at, links } = linkAfter(head, events.map((e) => e.hash));
  return { at, rows: events.map((e, i) => ({ own: e.own, ...links[i]! })) };
}

/** A caller of `groupedAppend` waiting for its events to be durable in the chain. */
interface Waiter {
  events: readonly Ready[];
  resolve: () => void;
  reject: (err: unknown) => void;
  /** Goes in a pass of its own: its group was refused for its data, and this tells whose. */
  alone?: boolean;
}

/** Errors about the rows themselves (SQLSTATE classes 22 data exception, 23 integrity constraint): retried caller by caller. */
function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Group commit for events that record no change of their own (a read, a refused
 * sign-in, a file handed out), so no caller transaction must hold them. Events of
 * concurrent callers go into the chain together: one transaction with one append
 * lock, one head read, one insert per 4,000 events and one synchronous commit, in two
 * round trips; each caller's promise resolves once that commit returned (its events
 * are durable and chained). A pass takes its group when the head arrives: every
 * caller queued by then, whole callers up to 4,000 events (a larger caller alone).
 * A caller arriving after that starts the next pass, which waits for the lock while
 * this one commits (at most two passes at a time). Each caller's
 * events stay together and in order, callers in the order they called. An event's
 * canonical text and SQL values are written as it arrives, while the running pass
 * waits on the database, so a pass only numbers, hashes and sends. Nothing is staged:
 * the pass writes the chain directly, so no flush is needed after it.
 *
 * A pass that fails writes none of its events. When the database refused a row's data
 * (SQLSTATE class 22 or 23), each caller of the group is tried again in a pass of its
 * own, so one bad caller fails alone; otherwise every caller of the pass gets its
 * error, and a pass that fails before its head arrived fails the callers it would have
 * taken, so a database that refuses every pass empties the queue and never spins.
 */
export function groupedAppend(db: Knex): (events: readonly StagedEvent[]) => Promise<void> {
  const queue: Waiter[] = [];
  /** Passes under way (at most two), and whether the newest has its group yet. */
  let inFlight = 0;
  let newestHasGroup = true;
  /** Whole callers from the queue, up to BATCH events (a single larger caller, or one marked `alone`, goes alone). */
  const takeGroup = (): Waiter[] => {
    const group: Waiter[] = [];
    let n = 0;
    while (queue.length && (n === 0 || (!queue[0]!.alone && !group[0]!.alone && n + queue[0]!.events.length <= BATCH))) {
      const w = queue.shift()!;
      group.push(w);
      n += w.events.length;
    }
    return group;
  };
  // Two round trips: BEGIN, the lock and the head read (READ COMMITTED: each statement
  // sees what committed before it ran, so the head is read after the lock is held);
  // then the insert and COMMIT (synchronous: the callers are told their events are kept).
  const pass = async (): Promise<void> => {
    const mine: { group?: Waiter[] } = {};
    const take = (): Waiter[] => {
      newestHasGroup = true;
      return (mine.group = takeGroup());
    };
    try {
      await onConnection(db, async (trip) => {
        const [, , first] = await trip([BEGIN_READ_COMMITTED, lockEventsSql(), HEAD_AND_CLOCK_SQL]);
        const group = take();
        if (!group.length) return void (await trip(['ROLLBACK']));
        const { at, rows } = linkReady(toHead(first!.rows[0] as Parameters<typeof toHead>[0]), group.flatMap((w) => w.events));
        const inserts: string[] = [];
        for (let i = 0; i < rows.length; i += BATCH) inserts.push(insertLinkedSql(rows.slice(i, i + BATCH), at));
        try {
          await trip([...inserts, 'COMMIT']);
        } catch (err) {
          if (group.length > 1 && isRowError(err)) {
            // Refused for a row's data: each caller again on its own. Put back before the
            // ROLLBACK frees the lock, so a pass waiting for it takes them before later callers.
            for (const w of group) w.alone = true;
            queue.unshift(...group);
            mine.group = [];
          }
          throw err;
        }
      });
      for (const w of mine.group ?? []) w.resolve();
    } catch (err) {
      for (const w of mine.group ?? take()) w.reject(err);
    } finally {
      inFlight--;
      pump();
    }
  };
  // A caller queued once the newest pass has its group starts the next pass at once:
  // while one pass writes and commits, the next waits for the lock with its BEGIN,
  // lock and head read sent, so they cost no time of their own.
  const pump = (): void => {
    if (!queue.length || inFlight >= 2 || !newestHasGroup) return;
    inFlight++;
    newestHasGroup = false;
    void pass();
  };
  return (events) => {
    if (!events.length) return Promise.resolve();
    const ready = events.map(readyOf);
    return new Promise<void>((resolve, reject) => {
      queue.push({ events: ready, resolve, reject });
      pump();
    });
  };
}

/** Chains every staged event committed before the call; returns how many. */
export async function chainStaged(db: Knex): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await chainOnce(db);
    total += n;
    if (n < BATCH) return total;
  }
}

/**
 * Coalesces concurrent flushes: the first caller starts a pass; callers arriving
 * while it runs share the next one (their events may have committed after the
 * running pass read the staging table), so each caller's events are chained when
 * its promise resolves, and N callers cost about two passes, not N.
 */
export function coalescedFlush(db: Knex): () => Promise<void> {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const start = (): Promise<void> => {
    unflushed = 0;
    const pass: Promise<void> = chainStaged(db)
      .then(() => undefined)
      .finally(() => {
        if (running === pass) running = null;
      });
    running = pass;
    return pass;
  };
  return () => {
    if (!running) return start();
    queued ??= running.catch(() => undefined).then(() => {
      queued = null;
      // A pass another caller started after the awaited one ended began after our commits too.
      return running ?? start();
    });
    return queued;
  };
}

const staging = new AsyncLocalStorage<{ staged: boolean }>();
/** Events this process staged since the last pass started: the timer passes only when some are. */
let unflushed = 0;

/** Marks the current request or job as having staged audit events (see `withFlush`). */
export function noteStaged(): void {
  unflushed++;
  const store = staging.getStore();
  if (store) store.staged = true;
}

/**
 * Runs `fn` (a request's handlers, a job) and, when it staged audit events, chains
 * them before returning, also when it failed (an event committed before the failure
 * still belongs in the chain). A failed pass is logged, not thrown: the events stay
 * staged and the next pass (the timer's at the latest) chains them.
 */
export async function withFlush<T>(flush: () => Promise<void>, log: Logger, fn: () => Promise<T>): Promise<T> {
  const store = { staged: false };
  try {
    return await staging.run(store, fn);
  } finally {
    if (store.staged) await flush().catch((err: unknown) => log.error({ err }, 'audit chain pass failed; the events stay staged for the next pass'));
  }
}

/**
 * The HTTP side of group commit: a request that staged events gets its answer only
 * once they are chained, so what the person sees next (the auditor's log, "who saw
 * my data") already shows them. Mounted early, so every later middleware and route
 * is inside it.
 */
export function auditFlushModule(flush: () => Promise<void>, logger: Logger): DomainModule {
  const log = logger.child({ module: 'audit' });
  return { name: 'audit-flush', middleware: [async (_ctx, next) => withFlush(flush, log, next)] };
}

/**
 * The fallback pass: every `intervalMs` when this process staged events no pass has
 * taken yet (outside a tracked request or job), and every `sweepEvery` ticks in any
 * case (events of another node or of a CLI run, or left by a crash between commit
 * and chaining). Idle ticks send nothing to the database. Returns a stop function
 * that ends the timer and, unless told otherwise (an emergency stop), runs a last pass.
 */
export function startChainTimer(flush: () => Promise<void>, logger: Logger, intervalMs = 1000, sweepEvery = 30): (final?: boolean) => Promise<void> {
  const log = logger.child({ module: 'audit' });
  let busy = false;
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    if (busy || (unflushed === 0 && ticks % sweepEvery !== 0)) return;
    busy = true;
    flush().catch((err: unknown) => log.error({ err }, 'audit chain pass failed; retrying at the next tick')).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return async (final = true) => {
    clearInterval(timer);
    if (final) await flush();
  };
}

/**
 * The CLI's pass at open and close: what earlier work committed is in the chain
 * before a command reads it (`audit:verify`, `audit:checkpoint`), and what the
 * command staged is chained before it exits. Skipped on a database without the
 * staging table yet (before `uurwerk migrate`); a failure is logged and leaves the
 * events staged for the next pass.
 */
export async function chainForCli(db: Knex, logger: Logger): Promise<void> {
  try {
    const { rows } = await db.raw<{ rows: Array<{ t: string | null }> }>(`SELECT to_regclass('audit.pending')::text AS t`);
    if (rows[0]?.t) await chainStaged(db);
  } catch (err) {
    logger.warn({ err }, 'could not chain staged audit events; the appliance chains them at its next start');
  }
}
