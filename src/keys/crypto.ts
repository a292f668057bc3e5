import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import type { CipherRef } from './types.js';

/**
 * AES-256-GCM primitives shared by value encryption, key wrapping, the canary and
 * backups. Associated data is a JSON array, so no two different contexts serialise
 * to the same bytes (no ambiguity from separators inside table or row ids).
 */

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** Encrypts and returns nonce || ciphertext || tag. A fresh random nonce every call. */
export function seal(key: KeyObject | Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Reverses `seal`; returns undefined when the tag does not verify (wrong key, AAD or bytes). */
export function open(key: KeyObject | Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * AAD of a wrapped data key: binds it to its subject, purpose, year and the KEK
 * version wrapping it, so a key row relabelled in the database (a draft key passed off
 * as a record key, say) no longer unwraps. Without `purpose`: the form of keys made
 * before purposes existed, still read (and upgraded by the next re-wrap).
 */
export function wrapAad(subject: string, year: number, kekVersion: number, purpose?: string): Buffer {
  const parts = purpose === undefined ? ['uurwerk.dek.v1', subject, year, kekVersion] : ['uurwerk.dek.v2', subject, purpose, year, kekVersion];
  return Buffer.from(JSON.stringify(parts), 'utf8');
}

/** AAD of a value: binds it to its table, column, row, subject and data key. */
export function valueAad(ref: CipherRef, subject: string, keyId: string): Buffer {
  return Buffer.from(JSON.stringify(['uurwerk.value.v1', ref.table, ref.column, ref.rowId, subject, keyId]), 'utf8');
}

/** AAD of the canary of one KEK version. */
export function canaryAad(kekVersion: number): Buffer {
  return Buffer.from(JSON.stringify(['uurwerk.canary.v1', kekVersion]), 'utf8');
}

/** The canary plaintext: known, so decrypting it proves the KEK is the one the database was set up with. */
export const CANARY_PLAINTEXT = Buffer.from('uurwerk keyring canary v1', 'utf8');

const ENVELOPE_PREFIX = 'uk1';

/** Text envelope of a value: `uk1.<key id>.<base64url(nonce || ciphertext || tag)>`. */
export function formatEnvelope(keyId: string, sealed: Buffer): string {
  return `${ENVELOPE_PREFIX}.${keyId}.${sealed.toString('base64url')}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses an envelope; undefined when it is not one. */
export function parseEnvelope(envelope: string): { keyId: string; sealed: Buffer } | undefined {
  if (typeof envelope !== 'string') return undefined;
  const parts = envelope.split('.');
  if (parts.length !== 3 || parts[0] !== ENVELOPE_PREFIX) return undefined;
  const [, keyId, body] = parts as [string, string, string];
  if (!UUID.test(keyId) || !/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  const sealed = Buffer.from(body, 'base64url');
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  return { keyId, sealed };
}
