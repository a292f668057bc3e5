import pg from 'pg';

/**
 * What node-postgres really sends (each call of a client's `query` is one message),
 * below knex and the connection wrapper (src/platform/prepared.ts), with the knex
 * connection it went out on (`__knexUid`; none for clients outside knex's pools).
 * Patched once, as this module loads: before any connection exists, since the wrapper
 * binds the client's `query` when it wraps a connection.
 */
const listeners = new Set<(text: string, uid: string | undefined) => void>();
const send = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client & { __knexUid?: string }, ...args: unknown[]) {
  const c = args[0] as string | { text?: string };
  for (const l of listeners) l(typeof c === 'string' ? c : (c.text ?? ''), this.__knexUid);
  return (send as (...a: unknown[]) => unknown).apply(this, args);
} as typeof send;

/** Calls `listener` for every message any client in the process sends until the returned stop is called. */
export function onWire(listener: (text: string, uid: string | undefined) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
