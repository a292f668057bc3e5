import type { AuditLog } from '../audit/service.js';
import type { CipherRef, EncryptOptions, KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';

/**
 * Plumbing shared by the capture operations: what they are given, the key subjects
 * and where each sealed column's ciphertext is bound.
 */

/** What the capture operations need, passed explicitly. */
export interface CaptureDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  audit: AuditLog;
}

/**
 * The key subject of one day of a person's raw activity. One key per day, so the
 * retention job forgets a day by shredding one key (`raw_capture`, 30 days by default).
 */
export const daySubject = (accountId: string, day: string): string => `capture:${accountId}:${day}`;

/** The key subject of a person's capture settings and bucket details (gone with the person). */
export const settingsSubject = (accountId: string): string => `capture:${accountId}:settings`;

/** The AES-GCM binding of an event's data. */
export const eventRef = (id: number | string): CipherRef => ({ table: 'capture_events', column: 'data', rowId: String(id) });
/** The AES-GCM binding of a bucket's details. */
export const bucketRef = (id: string): CipherRef => ({ table: 'capture_buckets', column: 'meta', rowId: id });
/** The AES-GCM binding of a person's capture rules. */
export const rulesRef = (accountId: string): CipherRef => ({ table: 'capture_settings', column: 'rules', rowId: accountId });

/** Encryption options for capture data: the day's year, purpose `capture`. */
export function captureKeyOpts(year: number): EncryptOptions {
  return { year, purpose: 'capture' };
}

/** The UTC calendar day (`YYYY-MM-DD`) of an instant in epoch ms. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
