import { createHash } from 'node:crypto';
import { fillPlaceholders, placeholderCount, sqlLiteral, type SqlLiteral } from './sql-literal.js';
import type { Logger } from './logger.js';

/**
 * What a pooled connection does to save the database work and round trips (issue 11):
 * hot statements go out prepared, and knex's BEGIN rides with the next statement where
 * it can (`WITH_BEGIN` below).
 *
 * Hot statements as prepared statements. knex sends every parameterised
 * statement unnamed, so PostgreSQL parses and plans it again each time; for the walled
 * queries (row-security policies with subplans) planning costs more than running. A
 * pooled connection here names a statement's text once that text has been sent a few
 * times by anyone: node-postgres then parses it once per connection and sends only
 * Bind and Execute after that, and PostgreSQL reuses the plan (a generic one once it is
 * no worse than the custom plans). The set of names is bounded, so one-off texts
 * (lists of varying length) stay unnamed. A plan that involves row security is planned
 * again when the role or `row_security` differs from the one it was planned under
 * (PostgreSQL's plan cache), so the wall holds as for an unnamed statement.
 *
 * Off until `enablePrepared` is called for the pool: the appliance calls it after its
 * migrations, so no name outlives a change of the schema made through the same pool,
 * and never with `database.prepared_statements: false` (for a connection pooler in
 * transaction mode between Uurwerk and PostgreSQL, which cannot keep a prepared
 * statement on one server connection).
 * Should a table still change under a prepared statement (an upgrade run beside a live
 * server), PostgreSQL answers 0A000 "cached plan must not change result type" once;
 * that connection is then dropped from the pool rather than kept with the stale name.
 */

/** Texts seen this many times get a name. */
const HOT_AFTER = 3;
/** At most this many named texts (per process; each connection prepares those it runs). */
const MAX_NAMED = 300;
/** Texts counted but not yet named; reset when it grows past this bound. */
const MAX_COUNTED = 5_000;

interface QueryConfig {
  text?: unknown;
  values?: unknown;
  name?: unknown;
}

/** A node-postgres client as knex's pool hands it out. */
interface PoolClient {
  query: (...args: unknown[]) => unknown;
  __knex__disposed?: unknown;
  /** knex asked for BEGIN and it has not been sent yet (see `WITH_BEGIN`). */
  __uurwerkBeginPending?: boolean;
  /** knex's transaction is open on this connection (BEGIN asked, no COMMIT or ROLLBACK yet). */
  __uurwerkInTransaction?: boolean;
  /** A statement held back to ride with the COMMIT (see `WITH_COMMIT`), its values written in. */
  __uurwerkHeld?: string;
  /** Savepoints open in knex's transaction (nested transactions): nothing is held inside one. */
  __uurwerkSavepoints?: number;
}

/**
 * A statement that may carry knex's BEGIN in its own message starts with this mark
 * (the wall's first statement, src/timesheets/repository.ts). knex sends BEGIN as a
 * round trip of its own; while BEGIN is pending on a connection, a marked statement
 * goes out as one simple-protocol message `BEGIN; EXECUTE name(<its values as
 * literals>)`, so a walled transaction spends one round trip less. The text is
 * PREPAREd once per connection (a message of its own, the first time that connection
 * runs it), so PostgreSQL parses it once and, after its first runs, plans it once
 * rather than in every transaction (the wall's first statement carries its caller's
 * lookups: five subqueries for an entry create). A text PostgreSQL cannot prepare (a
 * parameter of a type it cannot tell) goes out as `BEGIN; <statement with its values
 * written in>`, as do texts past the first 64. Its text is one statement (no `;`
 * outside quotes: PREPARE would take only the first, and the rest run outside the
 * transaction), may hold `$n` only as
 * placeholders, and the values must be plain literals (`sql-literal.ts`); anything
 * else, or any other first statement, is preceded by the BEGIN as before. The caller
 * sends nothing else on the transaction before it is answered (`inWall` waits for
 * it). A transaction that sends nothing sends no BEGIN,
 * and its COMMIT or ROLLBACK is answered without the database. Both this and the
 * prepared statements are off with `database.prepared_statements: false`.
 */
export const WITH_BEGIN = '/* with begin */ ';

/**
 * A statement that may ride with the transaction's COMMIT starts with this mark (the
 * audit domain's staging insert, src/audit/repository.ts): the last write of nearly
 * every audited transaction, whose answer nobody reads. Inside a transaction it is
 * answered at once and held back; knex's COMMIT then goes out as one simple-protocol
 * message `<statement with its values written in>; COMMIT`, one round trip less.
 * Should the statement fail there, PostgreSQL skips the COMMIT, the transaction is
 * rolled back on the spot and knex gets the statement's error from its COMMIT, so
 * nothing of the transaction is kept. A second marked statement joins the first; any
 * other statement first sends the held one (its error, if any, is the one the next
 * statement answers with); a ROLLBACK drops it. Nothing is held while a savepoint (a
 * nested transaction) is open, so a failure stays inside it as before. The same
 * conditions as `WITH_BEGIN` apply to its text and values.
 */
export const WITH_COMMIT = '/* with commit */ ';

const enabled = new WeakSet<object>();
/** The pool key of each knex instance that may prepare (createKnex registers it). */
const keyOf = new WeakMap<object, object>();

/** Where each pool reports a statement it could not prepare (the appliance's logger; each thread has its own copy of this module). */
const loggerOf = new WeakMap<object, Pick<Logger, 'warn'>>();

/**
 * Ties a knex instance to the key its connections were wrapped with, unless
 * `database.prepared_statements` is off; `logger` hears of a statement that falls back to
 * its values written in (once per text in each thread: the agent thread has its own).
 */
export function registerPool(db: object, key: object, allowed: boolean, logger?: Pick<Logger, 'warn'>): void {
  if (allowed) keyOf.set(db, key);
  if (logger) loggerOf.set(key, logger);
}

/** Whether the pool of this knex instance prepares statements now (also asked by one-trip reads). */
export function preparing(db: object): boolean {
  const key = keyOf.get(db);
  return key !== undefined && enabled.has(key);
}
const named = new Map<string, string>();
let counted = new Map<string, number>();

/** From now on the pool's connections name hot statements (after migrations; a no-op when not allowed). */
export function enablePrepared(db: object): void {
  const key = keyOf.get(db);
  if (key) enabled.add(key);
}

/** The name for a text, once it is hot; undefined while it is not (or the names are used up). */
function nameFor(text: string): string | undefined {
  const known = named.get(text);
  if (known) return known;
  if (named.size >= MAX_NAMED) return undefined;
  const n = (counted.get(text) ?? 0) + 1;
  if (n < HOT_AFTER) {
    if (counted.size >= MAX_COUNTED) counted = new Map();
    counted.set(text, n);
    return undefined;
  }
  counted.delete(text);
  const name = statementName('uurwerk_k_', text);
  named.set(text, name);
  return name;
}

/** A prepared statement's name for its text: a digest, so equal texts share one. */
export function statementName(prefix: string, text: string): string {
  return `${prefix}${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
}

/**
 * Texts prepared with SQL `PREPARE` (one-trip reads, the wall's first statement): a
 * name per text, given to at most `max` texts (fixed texts only, so the set stays as
 * small as the code's), and per pooled connection the names it has prepared (gone with
 * the connection).
 */
export class SqlPrepared {
  private readonly names = new Map<string, string>();
  private readonly prepared = new WeakMap<object, Set<string>>();

  constructor(private readonly prefix: string, private readonly max: number) {}

  /** The statement's name for its text, or undefined once `max` texts have one. */
  nameOf(text: string): string | undefined {
    let name = this.names.get(text);
    if (!name && this.names.size < this.max) {
      name = statementName(this.prefix, text);
      this.names.set(text, name);
    }
    return name;
  }

  /** The names this connection has prepared. */
  on(conn: object): Set<string> {
    let set = this.prepared.get(conn);
    if (!set) this.prepared.set(conn, (set = new Set()));
    return set;
  }
}

/**
 * Wraps a new pooled connection's `query` so that, once its pool is enabled, hot
 * parameterised statements go out named and knex's BEGIN waits to ride with the next
 * statement (`WITH_BEGIN`). `pool` is the key the connection's knex instance was
 * registered with.
 */
export function wrapPooledConnection(conn: PoolClient, pool: object): void {
  const query = conn.query.bind(conn);
  conn.query = (config: unknown, ...rest: unknown[]) => {
    const c = config as QueryConfig | null;
    const text = typeof config === 'string' ? config : c?.text;
    let callback = rest.find((r) => typeof r === 'function') as ((err: unknown, res: unknown) => void) | undefined;
    if (text === 'BEGIN;') conn.__uurwerkInTransaction = true;
    const ends = typeof text === 'string' && /^(COMMIT|ROLLBACK);?$/.test(text);
    if (ends || text === 'BEGIN;') {
      if (ends) conn.__uurwerkInTransaction = false;
      conn.__uurwerkSavepoints = 0;
    } else if (typeof text === 'string' && /^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) /.test(text)) {
      // A nested transaction's own failure must stay inside its savepoint, so nothing
      // is held while one is open (any statement held before it goes out first, below).
      conn.__uurwerkSavepoints = Math.max(0, (conn.__uurwerkSavepoints ?? 0) + (text.startsWith('SAVEPOINT') ? 1 : -1));
    }
    const plain = !(c && typeof c === 'object' && ((c as { types?: unknown }).types || (c as { rowMode?: unknown }).rowMode));
    const holdable = enabled.has(pool) && callback !== undefined && conn.__uurwerkInTransaction === true && !conn.__uurwerkBeginPending
      && !conn.__uurwerkSavepoints && plain && typeof text === 'string' && text.startsWith(WITH_COMMIT);
    const ride = holdable ? inlined(text, c?.values) : undefined;
    if (ride !== undefined) {
      // Held back; a second one joins the first, so both wait, in order, in one message.
      conn.__uurwerkHeld = conn.__uurwerkHeld === undefined ? ride : `${conn.__uurwerkHeld};\n${ride}`;
      process.nextTick(callback!, null, emptyResult('INSERT'));
      return undefined;
    }
    if (conn.__uurwerkHeld !== undefined) {
      const held = conn.__uurwerkHeld;
      conn.__uurwerkHeld = undefined;
      if (callback && text === 'COMMIT;') {
        const done = callback;
        return query(`${held};\nCOMMIT;`, (err: unknown, res: unknown) => {
          if (!err) return done(null, Array.isArray(res) ? res[res.length - 1] : res);
          // The held statement failed, so PostgreSQL skipped the COMMIT: end the transaction here, as knex will not.
          query('ROLLBACK', () => done(err, undefined));
        });
      }
      if (!(ends && text.startsWith('ROLLBACK'))) {
        // Sent ahead (node-postgres sends in order); should it fail, the next statement answers with its error.
        let heldErr: unknown;
        query(held, (err: unknown) => {
          heldErr = err ?? undefined;
        });
        if (callback) {
          const original = callback;
          callback = (err: unknown, res: unknown) => original(heldErr ?? err, heldErr ? undefined : res);
          rest = rest.map((r) => (r === original ? callback : r));
        }
      }
    }
    if (enabled.has(pool) && callback && text === 'BEGIN;') {
      conn.__uurwerkBeginPending = true;
      process.nextTick(callback, null, emptyResult('BEGIN'));
      return undefined;
    }
    if (conn.__uurwerkBeginPending) {
      conn.__uurwerkBeginPending = false;
      // knex ends with 'COMMIT;' or 'ROLLBACK' (no semicolon); nothing was sent, so there is nothing to end.
      if (callback && typeof text === 'string' && /^(COMMIT|ROLLBACK);?$/.test(text)) {
        process.nextTick(callback, null, emptyResult(text.replace(';', '')));
        return undefined;
      }
      const marked = callback !== undefined && plain && typeof text === 'string' && text.startsWith(WITH_BEGIN);
      const last = (res: unknown) => (Array.isArray(res) ? res[res.length - 1] : res);
      // Prepared and executed where it can be; else with its values written in (the text is written out only then).
      const exec = marked ? executeFor(conn, text, c?.values as unknown[]) : undefined;
      const combined = marked && !exec ? inlined(text, c?.values) : undefined;
      if (combined !== undefined) {
        const done = callback!;
        return query(`BEGIN;\n${combined}`, (err: unknown, res: unknown) => done(err, last(res)));
      }
      if (exec) {
        const done = callback!;
        let prepareFailed: { code?: unknown; message?: unknown } | undefined;
        if (exec.prepare) {
          // Once per connection, in a message of its own ahead of the transaction (node-postgres sends in order).
          query(exec.prepare, (err: unknown) => {
            // 42P05: the name exists on this connection already, which is all that was wanted.
            if (!err || (err as { code?: unknown }).code === '42P05') return;
            prepareFailed = err as { code?: unknown; message?: unknown };
            beginPrepared.on(conn).delete(exec.name);
          });
        }
        return query(`BEGIN;\n${exec.execute}`, (err: unknown, res: unknown) => {
          if (!err) return done(null, last(res));
          const code = (err as { code?: unknown }).code;
          const again = prepareFailed && code === '26000' ? inlined(text as string, c?.values) : undefined;
          if (again !== undefined) {
            // Its PREPARE just failed: the transaction (open, aborted) starts again with the values written in.
            return query(`ROLLBACK;\nBEGIN;\n${again}`, (err2: unknown, res2: unknown) => {
              // It runs written in but could not be prepared (a parameter whose type PostgreSQL cannot tell, say): written in from now on.
              const first = !err2 && !unpreparable.has(text as string);
              if (!err2) unpreparable.add(text as string);
              done(err2, err2 ? undefined : last(res2));
              if (!first) return;
              try {
                // The statement's text (its placeholders, never its values) and why PostgreSQL refused it.
                loggerOf.get(pool)?.warn({ code: prepareFailed!.code, reason: prepareFailed!.message, statement: text }, 'a statement could not be prepared: it goes out with its values written in from now on');
              } catch {
                // a logger that throws must not touch the transaction, which is answered already
              }
            });
          }
          // Gone from the connection (26000) or planned for a table that changed since (0A000): the connection leaves the pool.
          if (code === '26000' || code === '0A000') conn.__knex__disposed = err;
          done(err, undefined);
        });
      }
      // Queued ahead of the statement (node-postgres sends in order); a broken connection fails that too.
      void (query('BEGIN;') as Promise<unknown>).catch(() => undefined);
    }
    if (enabled.has(pool) && c && typeof c === 'object' && typeof c.text === 'string' && c.name === undefined && Array.isArray(c.values) && c.values.length > 0) {
      const name = nameFor(c.text);
      if (name) {
        const args = rest.map((r) => (r === callback ? (err: unknown, res: unknown) => {
          // "cached plan must not change result type": the table changed under the name; the connection goes.
          const e = err as { code?: unknown; routine?: unknown } | null;
          if (e?.code === '0A000' && e.routine === 'RevalidateCachedQuery') conn.__knex__disposed = err;
          callback!(err, res);
        } : r));
        return query({ ...c, name }, ...args);
      }
    }
    return query(config, ...rest);
  };
}

/**
 * The texts marked `WITH_BEGIN`, which go out as `EXECUTE` (a few: the wall's first
 * statement by caller); past the first 64 they go out with their values written in.
 */
const beginPrepared = new SqlPrepared('uurwerk_b_', 64);
/** Marked texts PostgreSQL could not prepare (a parameter of a type it cannot tell): always written in. */
const unpreparable = new Set<string>();

/**
 * A marked statement as `EXECUTE name(values as literals)`, with the `PREPARE` to send
 * first when this connection has not prepared it yet; undefined when it goes out with
 * its values written in (too many texts, one PostgreSQL could not prepare, values
 * that are no plain literals, or `$n` that do not number the values one to one).
 */
function executeFor(conn: PoolClient, text: string, values: readonly unknown[] | undefined): { name: string; prepare?: string; execute: string } | undefined {
  if (unpreparable.has(text)) return undefined;
  const args = values ?? [];
  let literals: string[];
  try {
    if (placeholderCount(text) !== args.length) return undefined;
    literals = args.map((v) => sqlLiteral(v === undefined ? null : (v as SqlLiteral)));
  } catch {
    return undefined;
  }
  const name = beginPrepared.nameOf(text);
  if (!name) return undefined;
  const mine = beginPrepared.on(conn);
  const execute = literals.length ? `EXECUTE ${name}(${literals.join(', ')})` : `EXECUTE ${name}`;
  if (mine.has(name)) return { name, execute };
  mine.add(name);
  return { name, prepare: `PREPARE ${name} AS ${text}`, execute };
}

/** A statement's `$n` placeholders replaced by its values as literals; undefined when that cannot be done safely. */
function inlined(text: string, values: unknown): string | undefined {
  try {
    return fillPlaceholders(text, '$', Array.isArray(values) ? values : []);
  } catch {
    return undefined;
  }
}

/**
 * Called as knex takes a connection back: one that still holds back a BEGIN (which no
 * path of knex's leaves, but nothing else would catch) leaves the pool instead of
 * carrying it to the next caller.
 */
export function releasedWithBeginPending(conn: PoolClient): void {
  if (conn.__uurwerkBeginPending) conn.__knex__disposed = new Error('released with a BEGIN held back');
  if (conn.__uurwerkHeld !== undefined) conn.__knex__disposed = new Error('released with a statement held back for a COMMIT');
}

/** What node-postgres answers for a statement that returns no rows. */
function emptyResult(command: string): { command: string; rowCount: null; rows: never[]; fields: never[] } {
  return { command, rowCount: null, rows: [], fields: [] };
}
