import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Knex } from './db.js';
import { preparing, SqlPrepared } from './prepared.js';
import { fillPlaceholders, numberPlaceholders, sqlLiteral, type SqlLiteral } from './sql-literal.js';

/**
 * Several statements in one round trip. knex sends each statement, BEGIN and COMMIT
 * included, as a message of its own and waits for its answer; on a busy 2-core host
 * every round trip costs the server a socket write that wakes a database backend,
 * and a read behind the wall spent four of them besides the read (issue 11). Here the
 * statements travel as one simple-protocol Query message, which PostgreSQL runs as
 * one implicit transaction: all or nothing, with `set_config(…, true)` settings lasting
 * to its end and no later, and each statement analysed (row security included) only
 * after the one before it ran. The simple protocol takes no parameters, so values are
 * written into the text as literals — only the plain kinds below, quoted by
 * node-postgres's `escapeLiteral`.
 *
 * A statement marked `prepared` is PREPAREd (while the pool prepares statements at all:
 * prepared.ts) once per pooled connection (in a round trip
 * of its own, the first time that connection runs it) and then sent as `EXECUTE name(…)`:
 * PostgreSQL skips parsing and, after its first runs, planning — for a read behind the
 * row-security policies the planning took twice as long as the run. A prepared plan
 * that involves row security is planned again whenever the role or `row_security`
 * differs from the one it was planned under (PostgreSQL's plan cache), so the wall
 * holds for it as for a fresh statement (test/timesheets/one-trip.test.ts).
 */

export { sqlLiteral, type SqlLiteral };

/** One statement: SQL with `?` for each binding (the text may hold no other `?`). */
export interface TripStatement {
  sql: string;
  bindings?: readonly SqlLiteral[];
  /**
   * Prepare it once per connection and execute it after that. Only for fixed text:
   * each placeholder must carry a cast (`?::uuid`) that gives the parameter its type.
   */
  prepared?: boolean;
}

/** A statement with its bindings written in. */
export function inlineSql({ sql, bindings = [] }: TripStatement): string {
  return fillPlaceholders(sql, '?', bindings);
}

/** What knex's pool hands out (a node-postgres client with knex's marks). */
interface PooledClient {
  query(text: string): Promise<pg.QueryResult | pg.QueryResult[]>;
  __knexUid?: string;
  __knex__disposed?: unknown;
}

/**
 * The texts prepared this way: at most 200 (besides prepared.ts's 300 hot knex
 * statements and 64 first statements of a wall: at most 564 on one connection).
 */
const oneTripPrepared = new SqlPrepared('uurwerk_', 200);

/**
 * Runs the statements as one message on a pooled connection and returns one result
 * per statement. The pool's bounds apply (acquire timeout → 503, statement timeout).
 * knex's `query`/`query-response` events fire once for the message, so statement
 * counts and timings see it as the one round trip it is. Only on the pool: inside a
 * transaction the message would not be a transaction of its own, and its settings
 * would outlive it.
 */
export async function oneTrip(db: Knex, statements: readonly TripStatement[]): Promise<pg.QueryResult[]> {
  if ((db as unknown as { isTransaction?: boolean }).isTransaction) throw new TypeError('oneTrip runs on the pool, not inside a transaction');
  // Every statement's text and values are checked before anything is sent.
  const planned = statements.map((st) => {
    const { text, count } = numberPlaceholders(st.sql);
    if (count !== (st.bindings ?? []).length) throw new TypeError(`${count} placeholders for ${(st.bindings ?? []).length} values`);
    return { st, numbered: text, args: (st.bindings ?? []).map(sqlLiteral) };
  });
  return withPooled(db, async (client, conn) => {
    const prepared = oneTripPrepared.on(conn);
    const parts: string[] = [];
    const mayPrepare = preparing(db);
    for (const { st, numbered, args } of planned) {
      const name = st.prepared && mayPrepare ? oneTripPrepared.nameOf(st.sql) : undefined;
      if (!name) {
        parts.push(inlineSql(st));
        continue;
      }
      if (!prepared.has(name)) {
        await send(client, conn, `PREPARE ${name} AS ${numbered}`);
        prepared.add(name);
      }
      parts.push(args.length ? `EXECUTE ${name}(${args.join(', ')})` : `EXECUTE ${name}`);
    }
    let results: pg.QueryResult[];
    try {
      results = await send(client, conn, parts.join(';\n'));
    } catch (err) {
      // A prepared statement gone (26000) or planned for a table that changed since
      // (0A000): the connection leaves the pool, and its statements with it.
      const code = (err as { code?: unknown }).code;
      if (code === '26000' || code === '0A000') conn.__knex__disposed = err;
      throw err;
    }
    if (results.length !== statements.length) throw new Error(`one trip: ${results.length} results for ${statements.length} statements`);
    return results;
  });
}

/** Sends complete statements (values already written in) as one message; one result each. */
export type Trip = (statements: readonly string[]) => Promise<pg.QueryResult[]>;

/**
 * A transaction spelled out in a few messages on one pooled connection: `fn` sends
 * each message with `trip`, the first starting with BEGIN and the last ending with
 * COMMIT, so a transaction of N statements costs as many round trips as it has
 * messages (a chain pass: two, where knex would spend five). Statements are complete
 * texts: values written in with `sqlLiteral` or `inlineSql`. When `fn` fails, ROLLBACK
 * is sent (harmless when no transaction is open); a connection that cannot take it
 * leaves the pool. The pool's bounds apply as for any query.
 */
export async function onConnection<T>(db: Knex, fn: (trip: Trip) => Promise<T>): Promise<T> {
  if ((db as unknown as { isTransaction?: boolean }).isTransaction) throw new TypeError('onConnection runs on the pool, not inside a transaction');
  return withPooled(db, async (client, conn) => {
    // Whether a transaction may be open: a trip that begins one opens it, one that ends with a
    // bare COMMIT or ROLLBACK closes it (the only forms the callers send; not END, ABORT or AND CHAIN).
    let open = false;
    // The messages' query events carry one transaction id, as knex's own transactions do (statement counts group by it).
    const txId = `trip-${randomUUID()}`;
    const trip: Trip = async (statements) => {
      if (statements.some((st) => /^\s*BEGIN\b/i.test(st))) open = true;
      const results = await send(client, conn, statements.join(';\n'), txId);
      if (/^\s*(COMMIT|ROLLBACK)\s*$/i.test(statements.at(-1) ?? '')) open = false;
      if (results.length !== statements.length) throw new Error(`one trip: ${results.length} results for ${statements.length} statements`);
      return results;
    };
    try {
      const result = await fn(trip);
      // A transaction left open would go back to the pool holding its locks.
      if (open) throw new Error('onConnection: the transaction was neither committed nor rolled back');
      return result;
    } catch (err) {
      await send(client, conn, 'ROLLBACK', txId).catch((rollbackErr: unknown) => {
        conn.__knex__disposed = rollbackErr;
      });
      throw err;
    }
  });
}

/** Runs `fn` with a connection from knex's pool and gives it back (a failing release does not hide `fn`'s error). */
async function withPooled<T>(db: Knex, fn: (client: Knex.Client, conn: PooledClient) => Promise<T>): Promise<T> {
  const client = db.client as Knex.Client & { acquireConnection(): Promise<PooledClient>; releaseConnection(c: PooledClient): Promise<unknown> };
  const conn = await client.acquireConnection();
  let failure: unknown;
  try {
    return await fn(client, conn);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    await client.releaseConnection(conn).catch((releaseErr: unknown) => {
      if (failure === undefined) throw releaseErr;
    });
  }
}

/** Sends one message on the connection with knex's query events around it (`txId`: the transaction's, as knex marks a transaction's statements). */
async function send(client: Knex.Client, conn: PooledClient, text: string, txId?: string): Promise<pg.QueryResult[]> {
  const obj = { sql: text, bindings: [], method: 'raw', __knexUid: conn.__knexUid, __knexQueryUid: randomUUID(), ...(txId ? { __knexTxId: txId } : {}) };
  client.emit('query', obj);
  let res: pg.QueryResult | pg.QueryResult[];
  try {
    res = await conn.query(text);
  } catch (err) {
    client.emit('query-error', err, obj);
    throw err;
  }
  const results = Array.isArray(res) ? res : [res];
  client.emit('query-response', results, obj);
  return results;
}
