import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { KEY_BYTES, formatEnvelope, open, parseEnvelope, seal, valueAad, wrapAad } from './crypto.js';
import { DecryptError, KeyringError, KeyShreddedError } from './errors.js';
import type { DiskKeyring } from './keyring.js';
import * as repo from './repository.js';
import type { CipherRef, EncryptOptions, FoundDataKeys, KeyEventHook, KeyPurpose, KeyService, KeySlot, ShredLedger, ShredRecord } from './types.js';

type Db = Knex | Knex.Transaction;

/** Options of the key service. */
export interface KeyServiceOptions {
  /** Records key operations (shred) in the audit log, in the caller's transaction. */
  onKeyEvent?: KeyEventHook;
  /** How long an unwrapped data key stays in memory (default 60 s). */
  cacheTtlMs?: number;
  /** At most this many unwrapped data keys in memory (default 10 000). */
  cacheMax?: number;
  /** The record of shredded keys beside the keyring, written before a shred commits. */
  ledger?: ShredLedger;
}

const PURPOSES: ReadonlySet<string> = new Set<KeyPurpose>(['record', 'draft', 'note', 'capture', 'audit', 'profile', 'mail']);

/** Wraps a data key with KEK `version`, bound to its subject, purpose and year. */
export function wrapDataKey(keyring: DiskKeyring, slot: KeySlot, version: number, dek: Buffer): Buffer {
  return seal(keyring.kek(version), dek, wrapAad(slot.subject, slot.year, version, slot.purpose));
}

/**
 * Unwraps a stored data key; a KEK that does not open it means the keyring does not
 * belong to this database (or the row was altered). Keys made before purposes existed
 * are wrapped without one (all are `record` keys) and still open.
 */
export function unwrapDataKey(keyring: DiskKeyring, row: repo.DataKeyRow): Buffer {
  const kek = keyring.kek(row.kek_version);
  const dek = open(kek, row.wrapped, wrapAad(row.subject, row.year, row.kek_version, row.purpose))
    ?? (row.purpose === 'record' ? open(kek, row.wrapped, wrapAad(row.subject, row.year, row.kek_version)) : undefined);
  if (!dek) throw new DecryptError(`data key ${row.id} does not unwrap with KEK version ${row.kek_version}`);
  return dek;
}

/** Runs `fn` in the caller's transaction, or in a new one when given the pool. */
export async function inTransaction<T>(db: Db, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if ((db as Knex.Transaction).isTransaction) return fn(db as Knex.Transaction);
  return (db as Knex).transaction(fn);
}

function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length < 1 || subject.length > 200) throw new TypeError('subject must be a string of 1..200 characters');
}

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 1970 || year > 9999) throw new TypeError('year must be an integer between 1970 and 9999');
}

function checkPurpose(purpose: string): void {
  if (!PURPOSES.has(purpose)) throw new TypeError(`purpose must be one of ${[...PURPOSES].join(', ')}`);
}

const slotKey = (s: KeySlot) => JSON.stringify([s.subject, s.purpose, s.year]);

function checkRef(ref: CipherRef): void {
  for (const k of ['table', 'column', 'rowId'] as const) {
    if (typeof ref?.[k] !== 'string' || ref[k].length === 0) throw new TypeError(`ref.${k} must be a non-empty string`);
  }
}

/**
 * The encryption service other domains use. Data keys are made on first use per
 * subject and year, wrapped with the active KEK (the highest version with a canary
 * in the database, so a `keys:rotate` from the CLI takes effect in a running
 * server). Unwrapped data keys are cached by key id for a short time only; a shred
 * in this process evicts them at once, one in another process within the TTL.
 */
export function createKeyService(keyring: DiskKeyring, logger: Logger, opts: KeyServiceOptions = {}): KeyService & {
  /** Drops every cached data key (tests, and after a restore). */
  clearCache(): void;
} {
  const log = logger.child({ module: 'keys' });
  const ttl = opts.cacheTtlMs ?? 60_000;
  const max = opts.cacheMax ?? 10_000;
  const cache = new Map<string, { subject: string; dek: Buffer; expires: number }>();

  function remember(id: string, subject: string, dek: Buffer): void {
    if (ttl <= 0) return;
    if (cache.size >= max) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(id, { subject, dek, expires: Date.now() + ttl });
  }

  function cached(id: string): { subject: string; dek: Buffer } | undefined {
    const hit = cache.get(id);
    if (!hit) return undefined;
    if (hit.expires < Date.now()) {
      cache.delete(id);
      return undefined;
    }
    return hit;
  }

  /**
   * The data keys of the slots, made on first use. The rows are always looked up (one
   * query for all), so a key created in a rolled-back transaction or shredded
   * elsewhere is never used for new data; only the unwrap is cached.
   */
  async function dataKeysFor(db: Db, slots: KeySlot[], found?: FoundDataKeys): Promise<Map<string, { id: string; dek: Buffer }>> {
    const wanted = new Map(slots.map((s) => [slotKey(s), s]));
    // Slots the caller's statement asked for were looked up there, in this transaction:
    // a slot it named but found no row for has no key yet, as far as this transaction sees.
    const asked = new Set(found ? found.slots.map(slotKey) : []);
    const rows = new Map(found ? repo.dataKeysFromColumn(found.value).filter((r) => asked.has(slotKey(r))).map((r) => [slotKey(r), r] as const) : []);
    const rest = [...wanted].filter(([k]) => !asked.has(k)).map(([, s]) => s);
    for (const r of rest.length ? await repo.findDataKeysFor(db, rest) : []) rows.set(slotKey(r), r);
    for (const [k, slot] of wanted) {
      if (rows.has(k)) continue;
      if (await repo.isShredded(db, slot.subject, slot.purpose, slot.year)) throw new KeyShreddedError(`The ${slot.purpose} data key of this subject for ${slot.year} was shredded`);
      const version = await repo.activeKekVersion(db);
      if (version === undefined) throw new KeyringError('the database has no KEK canary: the keyring was never opened against it', 'start the appliance once, or run `uurwerk keys:init`');
      const dek = randomBytes(KEY_BYTES);
      const row = await repo.insertDataKey(db, { id: randomUUID(), ...slot, kek_version: version, wrapped: wrapDataKey(keyring, slot, version, dek) });
      log.debug({ keyId: row.id, purpose: slot.purpose, year: slot.year, kekVersion: row.kek_version }, 'data key created');
      rows.set(k, row);
    }
    const out = new Map<string, { id: string; dek: Buffer }>();
    for (const [k, row] of rows) {
      const hit = cached(row.id);
      if (hit) {
        out.set(k, { id: row.id, dek: hit.dek });
        continue;
      }
      const dek = unwrapDataKey(keyring, row);
      remember(row.id, row.subject, dek);
      out.set(k, { id: row.id, dek });
    }
    return out;
  }

  async function encryptAll(db: Db, items: ReadonlyArray<{ subject: string; ref: CipherRef; plaintext: string } & EncryptOptions>, found?: FoundDataKeys): Promise<string[]> {
    const slots: KeySlot[] = [];
    for (const it of items) {
      checkSubject(it.subject);
      checkRef(it.ref);
      if (typeof it.plaintext !== 'string') throw new TypeError('plaintext must be a string');
      checkPurpose(it.purpose);
      const year = it.year ?? new Date().getUTCFullYear();
      checkYear(year);
      slots.push({ subject: it.subject, purpose: it.purpose, year });
    }
    if (!items.length) return [];
    const keys = await dataKeysFor(db, slots, found);
    return items.map((it, i) => {
      const { id, dek } = keys.get(slotKey(slots[i]!))!;
      return formatEnvelope(id, seal(dek, Buffer.from(it.plaintext, 'utf8'), valueAad(it.ref, it.subject, id)));
    });
  }

  /**
   * Shreds the given keys in `trx`: locks them (a second shredder waits, then finds
   * them gone), records them in the ledger, deletes them with tombstones.
   */
  async function shredLocked(trx: Knex.Transaction, rows: repo.DataKeyRow[]): Promise<Array<Pick<repo.DataKeyRow, 'id' | 'subject' | 'purpose' | 'year'>>> {
    if (!rows.length) return [];
    const at = new Date().toISOString();
    const records: ShredRecord[] = rows.map((r) => ({ keyId: r.id, subject: r.subject, purpose: r.purpose, year: r.year, at }));
    // Before the delete: a record of a shred that then rolls back only causes a
    // second, harmless shred of a key meant to go; the reverse could resurrect one.
    await opts.ledger?.record(records);
    const deleted = await repo.deleteKeysWithTombstones(trx, rows.map((r) => r.id));
    for (const k of deleted) cache.delete(k.id);
    return deleted;
  }

  /** Opens one parsed envelope with its data key (checked to be the subject's). */
  function openWith(hit: { subject: string; dek: Buffer }, subject: string, ref: CipherRef, parsed: { keyId: string; sealed: Buffer }): string {
    if (hit.subject !== subject) throw new DecryptError('The value belongs to another subject');
    const plain = open(hit.dek, parsed.sealed, valueAad(ref, subject, parsed.keyId));
    if (!plain) throw new DecryptError('The value does not decrypt here (tampered, or moved from another row, column or table)');
    return plain.toString('utf8');
  }

  /** Looks up a data key that is neither cached nor fetched (last resort), for `subject`. */
  async function lookUpKey(db: Db, subject: string, keyId: string): Promise<{ subject: string; dek: Buffer }> {
    const row = await repo.findDataKeyById(db, keyId);
    if (!row) {
      if (await repo.wasKeyShredded(db, subject, keyId)) throw new KeyShreddedError();
      throw new DecryptError('The data key of this value does not exist');
    }
    if (row.subject !== subject) throw new DecryptError('The value belongs to another subject');
    const hit = { subject, dek: unwrapDataKey(keyring, row) };
    remember(row.id, row.subject, hit.dek);
    return hit;
  }

  /** Opens one envelope with a cached, already fetched or (last resort) looked-up data key. */
  async function openValue(db: Db, subject: string, ref: CipherRef, envelope: string, fetched: Map<string, { subject: string; dek: Buffer }>): Promise<string> {
    const parsed = parseEnvelope(envelope);
    if (!parsed) throw new DecryptError('Not an encrypted value');
    const hit = cached(parsed.keyId) ?? fetched.get(parsed.keyId) ?? (await lookUpKey(db, subject, parsed.keyId));
    return openWith(hit, subject, ref, parsed);
  }

  /** Decrypts in order with the data keys fetched in one query; shredded values fail, or are null with `orNull`. */
  async function openMany(db: Db, items: ReadonlyArray<{ subject: string; ref: CipherRef; envelope: string }>, orNull: boolean): Promise<Array<string | null>> {
    for (const it of items) {
      checkSubject(it.subject);
      checkRef(it.ref);
    }
    // The data keys not in memory are fetched in one query (once per owner-year),
    // so a list of values costs one round trip however long it is.
    const parsed = items.map((it) => parseEnvelope(it.envelope));
    const missing = new Set<string>();
    for (const p of parsed) if (p && !cached(p.keyId)) missing.add(p.keyId);
    const fetched = new Map<string, { subject: string; dek: Buffer }>();
    for (const row of missing.size ? await repo.findDataKeysByIds(db, [...missing]) : []) {
      const dek = unwrapDataKey(keyring, row);
      fetched.set(row.id, { subject: row.subject, dek });
      remember(row.id, row.subject, dek);
    }
    const out: Array<string | null> = [];
    for (const [i, it] of items.entries()) {
      try {
        const p = parsed[i];
        if (!p) throw new DecryptError('Not an encrypted value');
        // Decrypted in place when the key is at hand (nearly always): no promise per value.
        const hit = cached(p.keyId) ?? fetched.get(p.keyId) ?? (await lookUpKey(db, it.subject, p.keyId));
        out.push(openWith(hit, it.subject, it.ref, p));
      } catch (err) {
        if (!orNull || !(err instanceof KeyShreddedError)) throw err;
        out.push(null);
      }
    }
    return out;
  }

  return {
    async encrypt(db, subject, ref, plaintext, encOpts) {
      if (!encOpts || typeof encOpts !== 'object') throw new TypeError('encrypt needs { purpose }');
      const [env] = await encryptAll(db, [{ subject, ref, plaintext, year: encOpts.year, purpose: encOpts.purpose }]);
      return env!;
    },

    dataKeysColumn(name, slots) {
      return repo.dataKeysColumn(name, slots);
    },

    encryptMany(db, items, found) {
      return encryptAll(db, items, found);
    },

    async decrypt(db, subject, ref, envelope) {
      checkSubject(subject);
      checkRef(ref);
      return openValue(db, subject, ref, envelope, new Map());
    },

    async decryptMany(db, items) {
      return openMany(db, items, false) as Promise<string[]>;
    },

    async decryptEach(db, items) {
      return openMany(db, items, true);
    },

    async shredKeys(trx, which) {
      if (!trx.isTransaction) throw new Error('shredKeys must run inside the caller\'s transaction');
      for (const w of which) {
        checkSubject(w.subject);
        checkPurpose(w.purpose);
        checkYear(w.year);
      }
      const rows = await repo.lockKeysFor(trx, which);
      const deleted = await shredLocked(trx, rows);
      if (deleted.length) log.info({ keysDestroyed: deleted.length }, 'data keys shredded');
      return deleted.map((k) => k.id);
    },

    async keySlots(db, q) {
      for (const p of q.purposes) checkPurpose(p);
      return repo.keySlots(db, q);
    },

    async shred(db, subject, year) {
      checkSubject(subject);
      if (year !== undefined) checkYear(year);
      return inTransaction(db, async (trx) => {
        const rows = await repo.lockSubjectKeys(trx, subject, year);
        if (rows.length) await opts.ledger?.record([...rows].sort((a, b) => a.year - b.year || a.purpose.localeCompare(b.purpose)).map((r) => ({ keyId: r.id, subject: r.subject, purpose: r.purpose, year: r.year, at: new Date().toISOString() })));
        const ids = await repo.deleteDataKeysWithTombstone(trx, subject, year);
        for (const id of ids) cache.delete(id);
        await opts.onKeyEvent?.(trx, { action: 'keys.shred', actor: 'system', subject, details: { year: year ?? null, keys_destroyed: ids.length, key_ids: ids } });
        log.info({ keysDestroyed: ids.length, year: year ?? 'all' }, 'data keys shredded');
        return ids.length;
      });
    },

    clearCache() {
      cache.clear();
    },
  };

}
