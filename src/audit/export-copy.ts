import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Knex } from '../platform/db.js';

/**
 * Runs `COPY (<select>) TO STDOUT <options>` on a connection of its own that shares
 * the snapshot of `trx` (exported with `pg_export_snapshot`), and yields the raw
 * chunks as PostgreSQL sends them (rows may span chunks). node-postgres builds no row
 * objects, and pg-copy-streams pauses the socket while the consumer is behind, so
 * memory stays flat whatever the number of rows. `select` must be trusted SQL (no
 * user input): COPY takes no bind parameters.
 */
export async function* copyOutInSnapshot(trx: Knex.Transaction, select: string, options: string): AsyncGenerator<Buffer> {
  const { rows } = await trx.raw<{ rows: Array<{ s: string }> }>('SELECT pg_export_snapshot() AS s');
  const snapshot = rows[0]!.s;
  if (!/^[0-9A-F-]+$/i.test(snapshot)) throw new Error('unexpected snapshot id');
  const given = (trx.client as { config: { connection: pg.ClientConfig | string } }).config.connection;
  const conn: pg.ClientConfig = typeof given === 'string' ? { connectionString: given } : given;
  // A long COPY is this connection's purpose: the pool's statement timeout does not apply.
  // knex keeps a password parsed from a URL as a non-enumerable property: copy it by name.
  const client = new pg.Client({ ...conn, password: conn.password, statement_timeout: 0, application_name: 'uurwerk-audit-copy' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
    // Times print the same whatever the server's defaults (export-rows.ts parses them).
    await client.query(`SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'`);
    const stream = client.query(copyTo(`COPY (${select}) TO STDOUT ${options}`));
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * CSV with the control characters 0x01/0x02 as quote and delimiter: a field of JSON
 * text (which never holds a raw control character, nor is empty) is written as is,
 * one row a line.
 */
export const COPY_JSON_FIELDS = `(FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;
