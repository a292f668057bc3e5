import type { Knex } from '../platform/db.js';
import type { KeyPurpose, KeySlot, KeySlotQuery } from './types.js';

/** Queries of the key domain: data keys, tombstones, canaries. */

type Db = Knex | Knex.Transaction;

/** A data key row (the key itself only in wrapped form). */
export interface DataKeyRow {
  id: string;
  subject: string;
  purpose: KeyPurpose;
  year: number;
  kek_version: number;
  wrapped: Buffer;
}

const DEK_COLUMNS = ['id', 'subject', 'purpose', 'year', 'kek_version', 'wrapped'] as const;

/** The data key of a subject, purpose and year, if one exists. */
export async function findDataKey(db: Db, subject: string, purpose: KeyPurpose, year: number): Promise<DataKeyRow | undefined> {
  return db<DataKeyRow>('data_keys').select(...DEK_COLUMNS).where({ subject, purpose, year }).first();
}

/** The data keys of many slots in one query (slots without a key are simply absent). */
export async function findDataKeysFor(db: Db, slots: readonly KeySlot[]): Promise<DataKeyRow[]> {
  if (!slots.length) return [];
  const { rows } = await db.raw<{ rows: DataKeyRow[] }>(
    `SELECT ${DEK_COLUMNS.map((c) => `k.${c}`).join(', ')} FROM unnest(?::text[], ?::text[], ?::int[]) AS w(subject, purpose, year)
       JOIN data_keys k ON k.subject = w.subject AND k.purpose = w.purpose AND k.year = w.year`,
    [slots.map((s) => s.subject), slots.map((s) => s.purpose), slots.map((s) => s.year)],
  );
  return rows;
}

/**
 * A column for another statement's select list (a wall's first statement) that reads
 * the stored data keys of `slots` as JSON, so sealing a value costs no lookup of its
 * own (issue 11). `name` becomes the column's alias; the bindings are plain literals.
 */
export function dataKeysColumn(name: string, slots: readonly KeySlot[]): { sql: string; bindings: Array<string | number> } {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TypeError(`not a column name: ${name}`);
  if (!slots.length) return { sql: `, '[]'::json AS ${name}`, bindings: [] };
  return {
    sql: `, (SELECT coalesce(json_agg(json_build_object('id', k.id, 'subject', k.subject, 'purpose', k.purpose, 'year', k.year,
                                                     'kek_version', k.kek_version, 'wrapped', encode(k.wrapped, 'base64'))), '[]')
               FROM data_keys k WHERE (k.subject, k.purpose, k.year) IN (${slots.map(() => '(?::text, ?::text, ?::int)').join(', ')})) AS ${name}`,
    bindings: slots.flatMap((s) => [s.subject, s.purpose, s.year]),
  };
}

/** The rows a `dataKeysColumn` read (its JSON value as the driver returns it). */
export function dataKeysFromColumn(value: unknown): DataKeyRow[] {
  if (!Array.isArray(value)) throw new TypeError('not a data keys column');
  return value.map((r: Record<string, unknown>) => {
    if (typeof r.id !== 'string' || typeof r.subject !== 'string' || typeof r.purpose !== 'string' || typeof r.year !== 'number' || typeof r.kek_version !== 'number' || typeof r.wrapped !== 'string') {
      throw new TypeError('not a data key row');
    }
    return { id: r.id, subject: r.subject, purpose: r.purpose as KeyPurpose, year: r.year, kek_version: r.kek_version, wrapped: Buffer.from(r.wrapped, 'base64') };
  });
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
 * Inserts a data key unless the subject/purpose/year already has one (a concurrent
 * first use won); returns the row that is now stored either way.
 */
export async function insertDataKey(db: Db, row: DataKeyRow): Promise<DataKeyRow> {
  const inserted = await db<DataKeyRow>('data_keys').insert(row).onConflict(['subject', 'purpose', 'year']).ignore().returning([...DEK_COLUMNS]);
  if (inserted[0]) return inserted[0] as DataKeyRow;
  const existing = await findDataKey(db, row.subject, row.purpose, row.year);
  if (!existing) throw new Error('data key insert conflicted but no key is visible; retry the transaction');
  return existing;
}

/** True when the subject's key of `purpose` and `year` was shredded (or every key of that year, or of the subject). */
export async function isShredded(db: Db, subject: string, purpose: KeyPurpose, year: number): Promise<boolean> {
  const row = await db('key_tombstones')
    .where({ subject })
    .andWhere((q) => q.whereNull('year').orWhere({ year }))
    .andWhere((q) => q.whereNull('purpose').orWhere({ purpose }))
    .first('id');
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

/** The subject's data keys (one year or all), locked for shredding. */
export async function lockSubjectKeys(trx: Knex.Transaction, subject: string, year?: number): Promise<DataKeyRow[]> {
  const q = trx<DataKeyRow>('data_keys').select(...DEK_COLUMNS).where({ subject });
  if (year !== undefined) void q.andWhere({ year });
  return q.orderBy('id').forUpdate();
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

/**
 * The data keys of the slots that still exist, locked FOR UPDATE in id order (a
 * concurrent shredder of the same keys waits here and then finds them gone).
 */
export async function lockKeysFor(trx: Knex.Transaction, slots: readonly KeySlot[]): Promise<DataKeyRow[]> {
  if (!slots.length) return [];
  const { rows } = await trx.raw<{ rows: DataKeyRow[] }>(
    `SELECT ${DEK_COLUMNS.map((c) => `k.${c}`).join(', ')} FROM data_keys k
      WHERE (k.subject, k.purpose, k.year) IN (SELECT * FROM unnest(?::text[], ?::text[], ?::int[]))
      ORDER BY k.id FOR UPDATE OF k`,
    [slots.map((s) => s.subject), slots.map((s) => s.purpose), slots.map((s) => s.year)],
  );
  return rows;
}

/**
 * Deletes data keys by id and writes one tombstone per deleted key (with its purpose
 * and year). DELETE … RETURNING: a key already gone (another node shredded it) is
 * neither returned nor tombstoned twice.
 */
export async function deleteKeysWithTombstones(trx: Knex.Transaction, ids: readonly string[]): Promise<Array<Pick<DataKeyRow, 'id' | 'subject' | 'purpose' | 'year'>>> {
  if (!ids.length) return [];
  const deleted = (await trx('data_keys').whereIn('id', ids).delete().returning(['id', 'subject', 'purpose', 'year'])) as Array<Pick<DataKeyRow, 'id' | 'subject' | 'purpose' | 'year'>>;
  if (deleted.length) await trx('key_tombstones').insert(deleted.map((k) => ({ subject: k.subject, purpose: k.purpose, year: k.year, key_ids: [k.id] })));
  return deleted;
}

/** Existing keys as slots: of the purposes, optionally one subject and years before `beforeYear` (year, subject order). */
export async function keySlots(db: Db, q: KeySlotQuery): Promise<KeySlot[]> {
  const b = db('data_keys').whereIn('purpose', q.purposes);
  if (q.subject !== undefined) void b.where({ subject: q.subject });
  if (q.beforeYear !== undefined) void b.where('year', '<', q.beforeYear);
  if (q.excludeSubjects?.length) void b.whereNotIn('subject', q.excludeSubjects);
  if (q.peopleOnly) void b.whereRaw(`subject ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`);
  if (q.excludeYears?.length) {
    void b.whereRaw('(subject, year) NOT IN (SELECT * FROM unnest(?::text[], ?::int[]))', [q.excludeYears.map((x) => x.subject), q.excludeYears.map((x) => x.year)]);
  }
  return b.orderBy(['year', 'subject', 'purpose']).limit(q.limit ?? 10_000).select('subject', 'purpose', 'year') as Promise<KeySlot[]>;
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
