import { gunzipSync, gzipSync } from 'node:zlib';
import { MIN_PASSPHRASE_LENGTH } from '../keys/backup.js';
import { openWithPassphrase, sealWithPassphrase } from '../keys/passphrase-file.js';

/**
 * The decommission archive: everything the customer must keep after the appliance is
 * gone, in one passphrase-protected file (src/keys/passphrase-file.ts, as the keyring
 * backup): a gzipped JSON document. Only the format name differs, so neither file is
 * taken for the other.
 */

const FORMAT = 'uurwerk-decommission-archive';

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

/** Seals the archive content with a passphrase; returns the file's text. */
export function sealArchive(content: ArchiveContent, passphrase: string, kdf: { N?: number } = {}): string {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new ArchiveError(`the archive passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
  const plain = gzipSync(Buffer.from(JSON.stringify(content), 'utf8'));
  return sealWithPassphrase(plain, passphrase, { format: FORMAT, version: 1, createdAt: content.created_at, compression: 'gzip', kdfN: kdf.N });
}

/** Opens an archive's text; a wrong passphrase or an altered file gives one clear error. */
export function openArchive(text: string, passphrase: string): ArchiveContent {
  const { plain } = openWithPassphrase(text, passphrase, {
    accepts: (h) => h.format === FORMAT && h.version === 1 && h.compression === 'gzip',
    unreadable: () => new ArchiveError('not an Uurwerk decommission archive (unreadable or unknown format)'),
    wrong: () => new ArchiveError('the archive does not open: wrong passphrase, or the file was altered'),
  });
  return JSON.parse(gunzipSync(plain).toString('utf8')) as ArchiveContent;
}
