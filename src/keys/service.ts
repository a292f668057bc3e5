import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { KEY_BYTES, formatEnvelope, open, parseEnvelope, seal, valueAad, wrapAad } from './crypto.js';
import { DecryptError, KeyringError, KeyShreddedError } from './errors.js';
import type { DiskKeyring } from './keyring.js';
import * as repo from './repository.js';
import { recordingShred } from './ledger.js';
import type { CipherRef, KeyEventHook, KeyService, ShredLedger } from './types.js';

type Db = Knex | Knex.Transaction;

/** Options of the key service. */
export interface KeyServiceOptions {
  /** Records key operations (shred) in the audit log, in the caller's transaction. */
  onKeyEvent?: KeyEventHook;
  /** The shred ledger beside the keyring: every destroyed key is appended before the shred commits. */
  ledger?: ShredLedger;
  /** How long an unwrapped data key stays in memory (default 60 s). */
  cacheTtlMs?: number;
  /** At most this many unwrapped data keys in memory (default 10 000). */
  cacheMax?: number;
}

/** Wraps a data key with KEK `version`, bound to its subject and year. */
export function wrapDataKey(keyring: DiskKeyring, subject: string, year: number, version: number, dek: Buffer): Buffer {
  return seal(keyring.kek(version), dek, wrapAad(subject, year, version));
}

/** Unwraps a stored data key; a KEK that does not open it means the keyring does not belong to this database. */
export function unwrapDataKey(keyring: DiskKeyring, row: repo.DataKeyRow): Buffer {
  const dek = open(keyring.kek(row.kek_version), row.wrapped, wrapAad(row.subject, row.year, row.kek_version));
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

  async function dataKeyFor(db: Db, subject: string, year: number): Promise<{ id: string; dek: Buffer }> {
    // The row is always looked up, so a key created in a rolled-back transaction or
    // shredded elsewhere is never used for new data; only the unwrap is cached.
    let row = await repo.findDataKey(db, subject, year);
    if (!row) {
      if (await repo.isShredded(db, subject, year)) throw new KeyShreddedError(`The data keys of this subject for ${year} were shredded`);
      const version = await repo.activeKekVersion(db);
      if (version === undefined) throw new KeyringError('the database has no KEK canary: the keyring was never opened against it', 'start the appliance once, or run `uurwerk keys:init`');
      const dek = randomBytes(KEY_BYTES);
      row = await repo.insertDataKey(db, { id: randomUUID(), subject, year, kek_version: version, wrapped: wrapDataKey(keyring, subject, year, version, dek) });
      log.debug({ keyId: row.id, year, kekVersion: row.kek_version }, 'data key created');
    }
    const hit = cached(row.id);
    if (hit) return { id: row.id, dek: hit.dek };
    const dek = unwrapDataKey(keyring, row);
    remember(row.id, subject, dek);
    return { id: row.id, dek };
  }

  /** Opens one envelope with a cached, already fetched or (last resort) looked-up data key. */
  async function openValue(db: Db, subject: string, ref: CipherRef, envelope: string, fetched: Map<string, { subject: string; dek: Buffer }>): Promise<string> {
    const parsed = parseEnvelope(envelope);
    if (!parsed) throw new DecryptError('Not an encrypted value');
    let hit = cached(parsed.keyId) ?? fetched.get(parsed.keyId);
    if (!hit) {
      const row = await repo.findDataKeyById(db, parsed.keyId);
      if (!row) {
        if (await repo.wasKeyShredded(db, subject, parsed.keyId)) throw new KeyShreddedError();
        throw new DecryptError('The data key of this value does not exist');
      }
      if (row.subject !== subject) throw new DecryptError('The value belongs to another subject');
      hit = { subject, dek: unwrapDataKey(keyring, row) };
      remember(row.id, row.subject, hit.dek);
    }
    if (hit.subject !== subject) throw new DecryptError('The value belongs to another subject');
    const plain = open(hit.dek, parsed.sealed, valueAad(ref, subject, parsed.keyId));
    if (!plain) throw new DecryptError('The value does not decrypt here (tampered, or moved from another row, column or table)');
    return plain.toString('utf8');
  }

  return {
    async encrypt(db, subject, ref, plaintext, encOpts = {}) {
      checkSubject(subject);
      checkRef(ref);
      if (typeof plaintext !== 'string') throw new TypeError('plaintext must be a string');
      const year = encOpts.year ?? new Date().getUTCFullYear();
      if (!Number.isInteger(year) || year < 1970 || year > 9999) throw new TypeError('year must be an integer between 1970 and 9999');
      const { id, dek } = await dataKeyFor(db, subject, year);
      return formatEnvelope(id, seal(dek, Buffer.from(plaintext, 'utf8'), valueAad(ref, subject, id)));
    },

    async decrypt(db, subject, ref, envelope) {
      checkSubject(subject);
      checkRef(ref);
      return openValue(db, subject, ref, envelope, new Map());
    },

    async decryptMany(db, items) {
      for (const it of items) {
        checkSubject(it.subject);
        checkRef(it.ref);
      }
      // The data keys not in memory are fetched in one query (once per owner-year),
      // so a list of values costs one round trip however long it is.
      const missing = new Set<string>();
      for (const it of items) {
        const keyId = parseEnvelope(it.envelope)?.keyId;
        if (keyId && !cached(keyId)) missing.add(keyId);
      }
      const fetched = new Map<string, { subject: string; dek: Buffer }>();
      for (const row of missing.size ? await repo.findDataKeysByIds(db, [...missing]) : []) {
        const dek = unwrapDataKey(keyring, row);
        fetched.set(row.id, { subject: row.subject, dek });
        remember(row.id, row.subject, dek);
      }
      const out: string[] = [];
      for (const it of items) out.push(await openValue(db, it.subject, it.ref, it.envelope, fetched));
      return out;
    },

    async shred(db, subject, year) {
      checkSubject(subject);
      if (year !== undefined && (!Number.isInteger(year) || year < 1970 || year > 9999)) throw new TypeError('year must be an integer between 1970 and 9999');
      return inTransaction(db, async (trx) => {
        const ids = await recordingShred(opts.ledger, trx, subject, year, () => repo.deleteDataKeysWithTombstone(trx, subject, year));
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
