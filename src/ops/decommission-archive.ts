import { randomBytes, scryptSync } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { MIN_PASSPHRASE_LENGTH } from '../keys/backup.js';
import { KEY_BYTES, open, seal } from '../keys/crypto.js';

/**
 * The decommission archive: everything the customer must keep after the appliance is
 * gone, in one passphrase-protected file. The same construction as the keyring
 * backup (src/keys/backup.ts): scrypt derives the key from the passphrase, AES-256-GCM
 * seals the (gzipped) JSON document, and the header (format, KDF parameters, salt) is
 * the associated data, so it cannot be altered either. Only the format name differs,
 * so neither file is taken for the other.
 */

const FORMAT = 'uurwerk-decommission-archive';
/** The keyring backup's scrypt cost: 2^17 × 8 × 128 B = 128 MiB, a few hundred ms per attempt. */
const DEFAULT_KDF = { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 } as const;

const headerSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(1),
  created_at: z.string(),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z.number().int().min(2 ** 14).max(2 ** 22),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: z.string().min(16),
  }),
  cipher: z.literal('aes-256-gcm'),
  compression: z.literal('gzip'),
});

const fileSchema = z.strictObject({ header: headerSchema, sealed: z.string().min(1) });

type Header = z.infer<typeof headerSchema>;

/** A JSON value as the archive holds it. */
export type ArchiveJson = string | number | boolean | null | ArchiveJson[] | { [key: string]: ArchiveJson };

/** What the archive holds (see `collectArchive`). */
export interface ArchiveContent {
  format: 'uurwerk.decommission.archive';
  version: 1;
  created_at: string;
  organisation: string;
  /** The `retention:` settings in force. */
  retention: Record<string, ArchiveJson>;
  /** Every legal hold, released ones included, as stored. */
  holds: Array<Record<string, ArchiveJson>>;
  /** The people the kept days belong to. */
  people: Array<{ id: string; name: string | null; username: string }>;
  /** Submitted, returned and approved days with their entries decrypted. */
  days: ArchiveJson[];
  /** The audit log as `audit:export` writes it (header with public keys, checkpoints, events; JSON lines). */
  audit_export: string;
}

/** Thrown when an archive cannot be sealed or opened; the message says why. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

function deriveKey(passphrase: string, kdf: Header['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), KEY_BYTES, {
    N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
}

/** Seals the archive content with a passphrase; returns the file's text. */
export function sealArchive(content: ArchiveContent, passphrase: string, kdf: { N?: number } = {}): string {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new ArchiveError(`the archive passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
  const header: Header = {
    format: FORMAT, version: 1, created_at: content.created_at,
    kdf: { ...DEFAULT_KDF, N: kdf.N ?? DEFAULT_KDF.N, salt: randomBytes(16).toString('base64') },
    cipher: 'aes-256-gcm',
    compression: 'gzip',
  };
  const key = deriveKey(passphrase, header.kdf);
  const plain = gzipSync(Buffer.from(JSON.stringify(content), 'utf8'));
  const sealed = seal(key, plain, Buffer.from(JSON.stringify(header), 'utf8'));
  plain.fill(0);
  key.fill(0);
  return `${JSON.stringify({ header, sealed: sealed.toString('base64') })}\n`;
}

/** Opens an archive's text; a wrong passphrase or an altered file gives one clear error. */
export function openArchive(text: string, passphrase: string): ArchiveContent {
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
  } catch {
    throw new ArchiveError('not an Uurwerk decommission archive (unreadable or unknown format)');
  }
  const key = deriveKey(passphrase, parsed.header.kdf);
  const plain = open(key, Buffer.from(parsed.sealed, 'base64'), Buffer.from(JSON.stringify(parsed.header), 'utf8'));
  key.fill(0);
  if (!plain) throw new ArchiveError('the archive does not open: wrong passphrase, or the file was altered');
  return JSON.parse(gunzipSync(plain).toString('utf8')) as ArchiveContent;
}
