import type { KeyObject } from 'node:crypto';
import type { Knex } from '../platform/db.js';

/**
 * The contract other domains use for encryption at rest. No domain touches keys
 * directly: they call `encrypt`/`decrypt`/`shred` with the database handle (or the
 * transaction) they are working in.
 */

/** Where a ciphertext lives; bound into the AES-GCM associated data. */
export interface CipherRef {
  table: string;
  column: string;
  rowId: string;
}

/** What to encrypt, under which key (subject, purpose, year). */
export interface EncryptOptions {
  /** The key's year (default: the current UTC year). */
  year?: number;
  /** What the value is, which decides how long its key lives. Required: every caller decides. */
  purpose: KeyPurpose;
}

/** Which data key: one per subject, purpose and year. */
export interface KeySlot {
  subject: string;
  purpose: KeyPurpose;
  year: number;
}

/** The value a `dataKeysColumn` read: the stored key rows of the slots it named (opaque to callers). */
export interface FoundDataKeys {
  readonly slots: readonly KeySlot[];
  readonly value: unknown;
}

/** Which existing keys `keySlots` lists. */
export interface KeySlotQuery {
  purposes: readonly KeyPurpose[];
  subject?: string;
  beforeYear?: number;
  excludeSubjects?: readonly string[];
  excludeYears?: ReadonlyArray<{ subject: string; year: number }>;
  /**
   * Only subjects that are people (account ids, UUIDs), never system subjects such as
   * `system:privacy-registers` or `system:mail-outbox`, whose keys other modules keep
   * for their own periods.
   */
  peopleOnly?: boolean;
  limit?: number;
}

/** Encryption service backed by per-subject, per-purpose, per-year data keys wrapped by the KEK. */
export interface KeyService {
  /**
   * Encrypts `plaintext` under the subject's data key for `opts.purpose` and
   * `opts.year`, creating that key on first use. Returns a self-describing text
   * envelope (key id, nonce, ciphertext, tag).
   */
  encrypt(db: Knex | Knex.Transaction, subject: string, ref: CipherRef, plaintext: string, opts: EncryptOptions): Promise<string>;
  /**
   * Encrypts many values, in order, looking up every data key they need in one query.
   * `found` is what a `dataKeysColumn` read earlier in the same transaction `db` (the
   * keys of the slots it names cost no lookup of their own); pass it only from that
   * transaction, so a key made in a rolled-back transaction or shredded since is never used.
   */
  encryptMany(db: Knex | Knex.Transaction, items: ReadonlyArray<{ subject: string; ref: CipherRef; plaintext: string } & EncryptOptions>, found?: FoundDataKeys): Promise<string[]>;
  /**
   * A column for the select list of a statement the caller sends anyway (a wall's first
   * statement) that reads the stored data keys of `slots`; hand `{ slots, value }` (the
   * column's value) to `encryptMany` in the same transaction. Runs no statement itself.
   */
  dataKeysColumn(name: string, slots: readonly KeySlot[]): { sql: string; bindings: Array<string | number> };
  /** Decrypts an envelope; throws `KeyShreddedError` if its key was shredded, `DecryptError` if it does not belong to `ref`. */
  decrypt(db: Knex | Knex.Transaction, subject: string, ref: CipherRef, envelope: string): Promise<string>;
  /**
   * Decrypts many envelopes, in order, fetching the data keys not in memory in one
   * query; each value fails as `decrypt` would.
   */
  decryptMany(db: Knex | Knex.Transaction, items: ReadonlyArray<{ subject: string; ref: CipherRef; envelope: string }>): Promise<string[]>;
  /** As `decryptMany`, but a value whose key was shredded is null instead of an error (erased notes). */
  decryptEach(db: Knex | Knex.Transaction, items: ReadonlyArray<{ subject: string; ref: CipherRef; envelope: string }>): Promise<Array<string | null>>;
  /** Destroys the subject's data keys (all years, or one; every purpose), leaving a tombstone. */
  shred(db: Knex | Knex.Transaction, subject: string, year?: number): Promise<number>;
  /**
   * Destroys the data keys of the given slots that exist, in the caller's transaction:
   * the shred ledger records them first, then they are deleted with a tombstone each.
   * Returns the ids destroyed (a key another node shredded meanwhile is not among them).
   * No audit event per key: the caller (the retention run) audits counts.
   */
  shredKeys(trx: Knex.Transaction, which: readonly KeySlot[]): Promise<string[]>;
  /**
   * The data keys that exist, as slots (year, subject order): of these purposes,
   * optionally one subject, years before `beforeYear`, none of the subjects or
   * subject-years excluded (what a legal hold or remaining data keeps); at most `limit`.
   */
  keySlots(db: Knex | Knex.Transaction, q: KeySlotQuery): Promise<KeySlot[]>;
}

/** The keyring on disk as the rest of the appliance sees it. */
export interface Keyring {
  /** Absolute path of the keyring directory. */
  readonly dir: string;
  /** Ed25519 key pair used to sign audit checkpoints. */
  auditSigningKey(): { privateKey: KeyObject; publicKey: KeyObject; keyId: string };
}

/** What a key operation was: one audit action each. */
export type KeyAction = 'keys.init' | 'keys.rotate' | 'keys.retire' | 'keys.backup' | 'keys.restore' | 'keys.shred' | 'keys.shred_replayed';

/**
 * A key operation, handed to the audit log in the transaction that performed it.
 * `details` holds non-secret facts only (versions, counts, key ids, a file name):
 * never key material, never a passphrase.
 */
export interface KeyEvent {
  action: KeyAction;
  /** Who did it: `system` (appliance start, service calls) or `cli:<os user>`. */
  actor: string;
  /** The data subject concerned (`keys.shred` only). */
  subject?: string;
  details: Record<string, string | number | boolean | null | number[] | string[]>;
}

/**
 * Where key operations are recorded. The audit log plugs in here
 * (`(trx, e) => audit.record(trx, ...)`); without a hook the events are only logged.
 * Called inside the transaction of the operation, so a failed record rolls it back.
 * Note for implementers: a `keys.shred` event must not be encrypted under the
 * shredded subject's key (it no longer exists when the hook runs).
 */
export type KeyEventHook = (trx: Knex.Transaction, event: KeyEvent) => Promise<void>;

/**
 * What a data key protects, so that what may be erased early never shares a key with
 * what a legal duty keeps: `record` (submitted and approved days), `draft` (days never
 * submitted), `note` (entry notes, erasable on request), `capture` (raw captured
 * activity), `audit` (personal payloads of audit events), `profile` (a person's own
 * credentials such as a TOTP secret: gone only when the person is), `mail` (outbox
 * bodies). A key is one per subject, purpose and year.
 */
export type KeyPurpose = 'record' | 'draft' | 'note' | 'capture' | 'audit' | 'profile' | 'mail';

/** One shredded data key, as recorded outside the database. No key material, no names. */
export interface ShredRecord {
  keyId: string;
  subject: string;
  purpose: KeyPurpose;
  year: number;
  /** ISO time of the shred. */
  at: string;
}

/**
 * The record of every shredded key kept beside the keyring (and in `keys:backup`),
 * so a restored database cannot bring a shredded key back: at start and after a
 * restore every key it names is destroyed again. Written before the shredding
 * transaction commits (a record of a shred that then rolled back only causes a
 * second, harmless shred of a key meant to go).
 */
export interface ShredLedger {
  record(entries: readonly ShredRecord[]): Promise<void>;
}
