import type { Knex } from '../platform/db.js';

/** Queries of the key domain: data keys, tombstones, canaries. */

type Db = Knex | Knex.Transaction;

/** A data key row (the key itself only in wrapped form). */
export interface DataKeyRow {
  id: string;
  subject: string;
  year: number;
  kek_version: number;
  wrapped: Buffer;
}

const DEK_COLUMNS = ['id', 'subject', 'year', 'kek_version', 'wrapped'] as const;

/** The data key of a subject and year, if one exists. */
export async function findDataKey(db: Db, subject: string, year: number): Promise<DataKeyRow | undefined> {
  return db<DataKeyRow>('data_keys').select(...DEK_COLUMNS).where({ subject, year }).first();
}

/** A data key by id. */
export async function findDataKeyById(db: Db, id: string): Promise<DataKeyRow | undefined> {
  return db<DataKeyRow>('data_keys').select(...DEK_COLUMNS).where({ id }).first();
}

/** Data keys by id, in one query (the ids that do not exist are simply absent). */
export async function findDataKeysByIds(db: Db, ids: string[]): Promise<DataKeyRow[]> {
  if (!ids.length) return [];
  return db<DataKeyRow>('data_keys').select(...DEK_COLUMNS).whereIn('id', ids) as Promise<DataKeyRow[]>;
}

/**
 * Inserts a data key unless the subject/year already has one (a concurrent first
 * use won); returns the row that is now stored either way.
 */
export async function insertDataKey(db: Db, row: DataKeyRow): Promise<DataKeyRow> {
  const inserted = await db<DataKeyRow>('data_keys').insert(row).onConflict(['subject', 'year']).ignore().returning([...DEK_COLUMNS]);
  if (inserted[0]) return inserted[0] as DataKeyRow;
  const existing = await findDataKey(db, row.subject, row.year);
  if (!existing) throw new Error('data key insert conflicted but no key is visible; retry the transaction');
  return existing;
}

/** True when the subject (all years) or the subject's `year` was shredded. */
export async function isShredded(db: Db, subject: string, year: number): Promise<boolean> {
  const row = await db('key_tombstones').where({ subject }).andWhere((q) => q.whereNull('year').orWhere({ year })).first('id');
  return row !== undefined;
}

/** True when `keyId` was one of the subject's shredded keys, or the whole subject was shredded. */
export async function wasKeyShredded(db: Db, subject: string, keyId: string): Promise<boolean> {
  const row = await db('key_tombstones')
    .where({ subject })
    .andWhere((q) => q.whereNull('year').orWhereRaw('? = ANY(key_ids)', [keyId]))
    .first('id');
  return row !== undefined;
}

/** Deletes the subject's data keys (one year or all) and writes the tombstone; returns the deleted ids. */
export async function deleteDataKeysWithTombstone(trx: Knex.Transaction, subject: string, year?: number): Promise<string[]> {
  const q = trx('data_keys').where({ subject });
  if (year !== undefined) q.andWhere({ year });
  const deleted = (await q.delete().returning('id')) as Array<{ id: string }>;
  const ids = deleted.map((r) => r.id);
  // A shred that found nothing left (another one won the race, or it ran twice) adds
  // no second tombstone where one already covers the subject and year (for every
  // purpose, where tombstones name one: to_jsonb reads the column if it exists).
  const covered = async () => (await trx('key_tombstones').where({ subject })
    .andWhere((q) => (year === undefined ? q.whereNull('year') : q.whereNull('year').orWhere({ year })))
    .andWhereRaw("to_jsonb(key_tombstones.*)->>'purpose' IS NULL")
    .first('id')) !== undefined;
  if (ids.length > 0 || !(await covered())) await trx('key_tombstones').insert({ subject, year: year ?? null, key_ids: ids });
  return ids;
}

/** A canary row. */
export interface CanaryRow {
  kek_version: number;
  ciphertext: Buffer;
}

/** Every canary, by version. */
export async function listCanaries(db: Db): Promise<CanaryRow[]> {
  return db<CanaryRow>('key_canaries').select('kek_version', 'ciphertext').orderBy('kek_version');
}

/** Highest KEK version that has a canary: the active version for new data keys. */
export async function activeKekVersion(db: Db): Promise<number | undefined> {
  const row = (await db('key_canaries').max('kek_version as v').first()) as { v: number | null } | undefined;
  return row?.v ?? undefined;
}

/** Stores the canary of a KEK version. */
export async function insertCanary(db: Db, row: CanaryRow): Promise<void> {
  await db('key_canaries').insert(row);
}

/** Removes the canary of a retired KEK version. */
export async function deleteCanary(db: Db, version: number): Promise<void> {
  await db('key_canaries').where({ kek_version: version }).delete();
}

/** Number of data keys per wrapping KEK version. */
export async function dataKeyCountsByKek(db: Db): Promise<Map<number, number>> {
  const rows = (await db('data_keys').select('kek_version').count('* as n').groupBy('kek_version')) as Array<{ kek_version: number; n: string | number }>;
  return new Map(rows.map((r) => [r.kek_version, Number(r.n)]));
}

/** Data keys wrapped by any version other than `version`, locked for re-wrapping. */
export async function dataKeysNotWrappedBy(trx: Knex.Transaction, version: number, only?: number): Promise<DataKeyRow[]> {
  const q = trx<DataKeyRow>('data_keys').select(...DEK_COLUMNS).whereNot({ kek_version: version });
  if (only !== undefined) q.andWhere({ kek_version: only });
  return q.orderBy('id').forUpdate();
}

/** Replaces the wrapping of one data key. */
export async function updateWrapping(trx: Knex.Transaction, id: string, kekVersion: number, wrapped: Buffer): Promise<void> {
  await trx('data_keys').where({ id }).update({ kek_version: kekVersion, wrapped, rewrapped_at: trx.fn.now() });
}

/** Number of tombstones (for status). */
export async function tombstoneCount(db: Db): Promise<number> {
  const row = (await db('key_tombstones').count('* as n').first()) as { n: string | number } | undefined;
  return Number(row?.n ?? 0);
}
