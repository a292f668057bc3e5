import { AppError } from '../platform/errors.js';

/**
 * Errors of the key domain. Their messages never contain key material, plaintext or
 * ciphertext: they end up in logs.
 */

/**
 * The keyring cannot be used (permissions, a missing or wrong key). Thrown at start,
 * so the appliance refuses to serve instead of failing on the first read. `fix` is
 * the operator's next step, repeated in the message.
 */
export class KeyringError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}. Fix: ${fix}` : message);
    this.name = 'KeyringError';
  }
}

/** The data key of a ciphertext was destroyed (crypto-shredding); the value is gone for good. */
export class KeyShreddedError extends AppError {
  constructor(message = 'The data key of this value was shredded') {
    super(410, 'key_shredded', message);
  }
}

/**
 * A ciphertext does not decrypt: malformed, tampered with, or moved to another row,
 * column or table than the one it was written for. Never shown to callers (500).
 */
export class DecryptError extends AppError {
  constructor(message = 'Value does not decrypt') {
    super(500, 'decrypt_failed', message);
  }
}
