import { randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { KEY_BYTES, open, seal } from './crypto.js';

/**
 * A passphrase-protected file, as the keyring backup and the decommission archive
 * write it: scrypt derives the key from the passphrase, AES-256-GCM seals the payload,
 * and the header (format, version, KDF parameters, salt, compression) is the
 * associated data, so it cannot be altered either. The format name keeps one kind of
 * file from being taken for another.
 */

/** scrypt cost: 2^17 × 8 × 128 B = 128 MiB and a few hundred ms per attempt. */
const DEFAULT_KDF = { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 } as const;

const headerSchema = z.strictObject({
  format: z.string().min(1),
  version: z.number().int().min(1),
  created_at: z.string(),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z.number().int().min(2 ** 14).max(2 ** 22),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: z.string().min(16),
  }),
  cipher: z.literal('aes-256-gcm'),
  compression: z.literal('gzip').optional(),
});

const fileSchema = z.strictObject({ header: headerSchema, sealed: z.string().min(1) });

/** The clear header of a passphrase file. */
export type PassphraseHeader = z.infer<typeof headerSchema>;

function deriveKey(passphrase: string, kdf: PassphraseHeader['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), KEY_BYTES, {
    N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
}

/**
 * Seals `plain` (zeroed afterwards) under `passphrase`; returns the file's text.
 * `indent` pretty-prints the JSON (the keyring backup is meant to be looked at).
 */
export function sealWithPassphrase(
  plain: Buffer, passphrase: string,
  file: { format: string; version: number; createdAt: string; compression?: 'gzip'; kdfN?: number; indent?: number },
): string {
  const header: PassphraseHeader = {
    format: file.format, version: file.version, created_at: file.createdAt,
    kdf: { ...DEFAULT_KDF, N: file.kdfN ?? DEFAULT_KDF.N, salt: randomBytes(16).toString('base64') },
    cipher: 'aes-256-gcm',
    ...(file.compression ? { compression: file.compression } : {}),
  };
  const key = deriveKey(passphrase, header.kdf);
  const sealed = seal(key, plain, Buffer.from(JSON.stringify(header), 'utf8'));
  plain.fill(0);
  key.fill(0);
  return `${JSON.stringify({ header, sealed: sealed.toString('base64') }, null, file.indent)}\n`;
}

/**
 * Opens a passphrase file's text. `accepts` says whether a header is of the expected
 * kind; `unreadable` when the text is no such file, `wrong` when it does not open
 * (wrong passphrase or altered), both returning the caller's error to throw.
 */
export function openWithPassphrase(
  text: string, passphrase: string,
  kind: { accepts: (h: PassphraseHeader) => boolean; unreadable: () => Error; wrong: () => Error },
): { header: PassphraseHeader; plain: Buffer } {
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
  } catch {
    throw kind.unreadable();
  }
  if (!kind.accepts(parsed.header)) throw kind.unreadable();
  const key = deriveKey(passphrase, parsed.header.kdf);
  const plain = open(key, Buffer.from(parsed.sealed, 'base64'), Buffer.from(JSON.stringify(parsed.header), 'utf8'));
  key.fill(0);
  if (!plain) throw kind.wrong();
  return { header: parsed.header, plain };
}
