import type { Knex } from '../platform/db.js';
import { KeyringError } from './errors.js';
import { purposeOf, type FileShredLedger } from './ledger.js';
import type { KeyOpsOptions } from './lifecycle.js';
import { inTransaction } from './service.js';
import type { ShredRecord } from './types.js';

/**
 * Erasure survives restore: the shred ledger beside the keyring is compared with the
 * database at every start and after `uurwerk restore`. Keys the ledger names that the
 * database still holds (a restored dump brought them back) are destroyed again; keys
 * the database's tombstones name that the ledger lacks (another node shredded them)
 * are appended to the ledger. A database that shows shredding while the ledger is
 * missing or empty is refused: the ledger was lost, and what it knew cannot be told.
 */

/** What a replay did. */
export interface ReplayOutcome {
  /** Records in the ledger before the replay. */
  ledgerRecords: number;
  /** Key ids destroyed again. */
  replayed: string[];
  /** Records appended from the database's tombstones. */
  caughtUp: number;
  /** The ledger ended in a torn line (ignored). */
  torn: boolean;
}

/** Rows per DELETE, so a long ledger never becomes one enormous statement. */
const CHUNK = 5000;

/** The fix named when the ledger is missing; also printed by `keys:ledger`. */
export const MISSING_LEDGER_FIX =
  'restore the keyring backup, which holds the ledger (`uurwerk keys:restore --in FILE --force` merges it with this one); ' +
  'or, only if this database is the latest state (not a restored older dump), write the ledger from the database with `uurwerk keys:ledger --rebuild-from-database`';

/** Every key id the database's tombstones name, with what they say about it. */
export async function tombstonedKeys(db: Knex | Knex.Transaction): Promise<ShredRecord[]> {
  // to_jsonb(t)->>'purpose' reads a purpose column where the schema has one, null otherwise.
  const rows = (await db.raw(
    `SELECT k.id::text AS key_id, t.subject, t.year, t.shredded_at, to_jsonb(t)->>'purpose' AS purpose
       FROM key_tombstones t CROSS JOIN LATERAL unnest(t.key_ids) AS k(id)
      ORDER BY t.id`,
  )) as { rows: Array<{ key_id: string; subject: string; year: number | null; shredded_at: Date; purpose: string | null }> };
  // A key named by two tombstones (a whole-subject shred after a yearly one) counts once.
  const byId = new Map<string, ShredRecord>();
  for (const r of rows.rows) {
    if (!byId.has(r.key_id)) byId.set(r.key_id, { keyId: r.key_id, subject: r.subject, purpose: purposeOf(r.purpose), year: r.year ?? 0, at: new Date(r.shredded_at).toISOString() });
  }
  return [...byId.values()];
}

/**
 * Destroys again the data keys among `keyIds` that the database still holds, each
 * with a tombstone, and records one `keys.shred_replayed` event (count, key ids) —
 * all in one transaction. Concurrent replays agree: a key is deleted by one of them,
 * and only the one that deleted it writes its tombstone and event.
 */
export async function destroyAgain(db: Knex | Knex.Transaction, keyIds: readonly string[], opts: KeyOpsOptions): Promise<string[]> {
  if (keyIds.length === 0) return [];
  return inTransaction(db, async (trx) => {
    const gone: Array<{ id: string; subject: string; year: number; purpose: string | null }> = [];
    for (let i = 0; i < keyIds.length; i += CHUNK) {
      const part = keyIds.slice(i, i + CHUNK);
      // The purpose comes along where the schema has one, so the tombstone names it
      // (a tombstone without one would stand for every purpose of that year).
      const res = (await trx.raw(
        "DELETE FROM data_keys WHERE id = ANY(?::uuid[]) RETURNING id::text AS id, subject, year, to_jsonb(data_keys.*)->>'purpose' AS purpose",
        [part],
      )) as { rows: typeof gone };
      gone.push(...res.rows);
    }
    if (gone.length === 0) return [];
    const groups = new Map<string, { subject: string; year: number; purpose?: string; key_ids: string[] }>();
    for (const k of gone) {
      const at = `${k.year}:${k.purpose ?? ''}:${k.subject}`;
      const g = groups.get(at) ?? { subject: k.subject, year: k.year, ...(k.purpose ? { purpose: k.purpose } : {}), key_ids: [] };
      g.key_ids.push(k.id);
      groups.set(at, g);
    }
    await trx('key_tombstones').insert([...groups.values()]);
    const ids = gone.map((k) => k.id);
    await opts.onKeyEvent?.(trx, { action: 'keys.shred_replayed', actor: opts.actor ?? 'system', details: { count: ids.length, key_ids: ids } });
    return ids;
  });
}

/** The error of a lost ledger: names the file, what the database shows and the way out. */
export function missingLedgerError(file: string, shredded: number): KeyringError {
  return new KeyringError(
    `the shred ledger ${file} is missing or empty, but the database records ${shredded} shredded data key(s); ` +
      'without the ledger a restored database could bring shredded data back, so Uurwerk will not start',
    MISSING_LEDGER_FIX,
  );
}

/**
 * Brings database and ledger in line (see the top of this file). Throws a
 * KeyringError when the ledger is missing or empty while the database shows
 * shredding; nothing is changed then.
 */
export async function replayShredLedger(db: Knex, ledger: FileShredLedger, opts: KeyOpsOptions): Promise<ReplayOutcome> {
  const log = opts.logger.child({ module: 'keys' });
  const { records, torn } = ledger.read();
  if (torn) log.warn({ file: ledger.file }, 'the shred ledger ends in an incomplete line (a shred interrupted before it committed); ignored');
  const shredded = await tombstonedKeys(db);
  if (records.length === 0 && shredded.length > 0) throw missingLedgerError(ledger.file, shredded.length);

  const replayed = await destroyAgain(db, [...new Set(records.map((r) => r.keyId))], opts);
  if (replayed.length) log.warn({ keys: replayed.length, file: ledger.file }, 'data keys the shred ledger names were back in the database (a restore?); destroyed again');

  const known = new Set(records.map((r) => r.keyId));
  const missing = shredded.filter((s) => !known.has(s.keyId));
  if (missing.length) {
    await ledger.record(missing);
    log.info({ keys: missing.length, file: ledger.file }, 'the shred ledger was behind the database (keys shredded elsewhere); appended them');
  }
  return { ledgerRecords: records.length, replayed, caughtUp: missing.length, torn };
}

/**
 * `keys:ledger --rebuild-from-database`: appends every key the database's tombstones
 * name that the ledger lacks, even when the ledger is missing. A deliberate step: it
 * trusts the database to be the latest state.
 */
export async function rebuildLedgerFromDatabase(db: Knex, ledger: FileShredLedger): Promise<{ appended: number }> {
  const known = new Set(ledger.read().records.map((r) => r.keyId));
  const missing = (await tombstonedKeys(db)).filter((s) => !known.has(s.keyId));
  await ledger.record(missing);
  return { appended: missing.length };
}
