import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/bcrypt';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { FieldProblem } from '../platform/errors.js';
import { idProblem } from './problems.js';

/** bcrypt cost for new hashes (house minimum 12). */
export const BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * bcrypt reads at most 72 bytes. Hashing the NFKC-normalised password with SHA-256
 * first (base64: 44 bytes) means every character counts, however long the password.
 */
function preHash(password: string): string {
  return createHash('sha256').update(password.normalize('NFKC'), 'utf8').digest('base64');
}

/** Hashes a password with bcrypt on the libuv thread pool (the event loop never blocks). */
export async function hashPassword(password: string): Promise<string> {
  return hash(preHash(password), BCRYPT_COST);
}

/** Checks a password against a stored hash, off the event loop. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  return verify(preHash(password), stored);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same bcrypt work as a real check when the account does not exist or has
 * no password, so response time does not reveal which usernames exist.
 */
export async function verifyAgainstDummy(password: string, verify: PasswordVerifier = verifyPassword): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verify(password, await dummy);
  return false;
}

/** The bcrypt check, as a type so callers can inject a counting one in tests. */
export type PasswordVerifier = (password: string, stored: string) => Promise<boolean>;

const common = new Set(dictionary['passwords-common'].map((p: string) => p.toLowerCase()));

/** The common/breached-password list shipped with the app (no network check). */
export function isCommonPassword(password: string): boolean {
  const p = password.toLowerCase();
  if (common.has(p)) return true;
  // Long variants of a listed password: padding with digits or symbols, or repetition.
  const core = p.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  if (core.length > 0 && common.has(core)) return true;
  for (let n = 1; n <= p.length / 2; n++) {
    if (p.length % n === 0 && p.slice(0, n).repeat(p.length / n) === p) return n < 4 || common.has(p.slice(0, n));
  }
  return false;
}

/**
 * Why a new password is refused, or undefined when it is fine. No composition rules
 * (NIST SP 800-63B): length, the common-password list and the account name only.
 */
export function passwordProblem(password: string, username?: string): string | undefined {
  return passwordFieldProblem('password', password, username)?.message;
}

/** Why a new password is refused, as a field problem with its code (pages word it in their language). */
export function passwordFieldProblem(field: string, password: string, username?: string): FieldProblem | undefined {
  const length = [...password.normalize('NFKC')].length;
  if (length < MIN_PASSWORD_LENGTH) return idProblem(field, 'password.too_short', { min: MIN_PASSWORD_LENGTH });
  if (length > MAX_PASSWORD_LENGTH) return idProblem(field, 'password.too_long', { max: MAX_PASSWORD_LENGTH });
  if (isCommonPassword(password)) return idProblem(field, 'password.common');
  if (username && username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) return idProblem(field, 'password.username');
  return undefined;
}
