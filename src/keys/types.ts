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

/** Encryption service backed by per-subject, per-year data keys wrapped by the KEK. */
export interface KeyService {
  /**
   * Encrypts `plaintext` under the subject's data key for `year` (default: the
   * current UTC year), creating that key on first use. Returns a self-describing
   * text envelope (key id, key version, nonce, ciphertext, tag).
   */
  encrypt(db: Knex | Knex.Transaction, subject: string, ref: CipherRef, plaintext: string, opts?: { year?: number }): Promise<string>;
  /** Decrypts an envelope; throws `KeyShreddedError` if its key was shredded, `DecryptError` if it does not belong to `ref`. */
  decrypt(db: Knex | Knex.Transaction, subject: string, ref: CipherRef, envelope: string): Promise<string>;
  /**
   * Decrypts many envelopes, in order, fetching the data keys not in memory in one
   * query; each value fails as `decrypt` would.
   */
  decryptMany(db: Knex | Knex.Transaction, items: ReadonlyArray<{ subject: string; ref: CipherRef; envelope: string }>): Promise<string[]>;
  /** Destroys the subject's data keys (all years, or one), leaving a tombstone. */
  shred(db: Knex | Knex.Transaction, subject: string, year?: number): Promise<number>;
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
