import { existsSync, readdirSync } from 'node:fs';
import { z } from 'zod';
import type { Knex } from '../platform/db.js';
import { KEY_BYTES } from './crypto.js';
import { KeyringError } from './errors.js';
import { SIGNING_KEY_FILE, loadKeyring, writeKeyringMaterial, type DiskKeyring, type KeyringMaterial } from './keyring.js';
import { LEDGER_FILE, formatRecord, openShredLedger, parseLedger } from './ledger.js';
import { verifyKeyring, type KeyOpsOptions } from './lifecycle.js';
import { openWithPassphrase, sealWithPassphrase } from './passphrase-file.js';
import { inTransaction } from './service.js';
import type { ShredRecord } from './types.js';

/**
 * The keyring as one passphrase-protected file (src/keys/passphrase-file.ts), for
 * escrow apart from database backups: a JSON document with every KEK and the signing
 * key. Since version 2 the
 * document also holds the shred ledger, so a keyring restored from escrow still
 * knows which data keys were destroyed.
 */

const FORMAT = 'uurwerk-keyring-backup';
/** Shortest passphrase accepted for a new backup. */
export const MIN_PASSPHRASE_LENGTH = 12;

const payloadSchema = z.strictObject({
  keks: z.record(z.string().regex(/^[1-9][0-9]*$/), z.string()),
  signing_key_pem: z.string().min(1),
  /** The shred ledger's lines (version 2; absent in version 1). */
  shred_ledger: z.string().optional(),
});

/** What a backup file holds: the keyring and the shred ledger (empty in version 1 files). */
export interface BackupContents extends KeyringMaterial {
  ledger: ShredRecord[];
}

/** Seals keyring material and the shred ledger with a passphrase; returns the backup file's text. */
export function sealBackup(material: KeyringMaterial, passphrase: string, kdf: { N?: number } = {}, ledger: readonly ShredRecord[] = []): string {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new KeyringError(`the backup passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
  const payload = {
    keks: Object.fromEntries([...material.keks].map(([v, b]) => [String(v), b.toString('base64')])),
    signing_key_pem: material.signingKeyPem,
    shred_ledger: ledger.map(formatRecord).join(''),
  };
  return sealWithPassphrase(Buffer.from(JSON.stringify(payload), 'utf8'), passphrase, { format: FORMAT, version: 2, createdAt: new Date().toISOString(), kdfN: kdf.N, indent: 2 });
}

/** Opens a backup file's text; a wrong passphrase or an altered file gives one clear error. */
export function openBackup(text: string, passphrase: string): BackupContents {
  const { header, plain } = openWithPassphrase(text, passphrase, {
    accepts: (h) => h.format === FORMAT && (h.version === 1 || h.version === 2) && h.compression === undefined,
    unreadable: () => new KeyringError('not an Uurwerk keyring backup (unreadable or unknown format)'),
    wrong: () => new KeyringError('the keyring backup does not open: wrong passphrase, or the file was altered'),
  });
  const payload = payloadSchema.parse(JSON.parse(plain.toString('utf8')));
  if (header.version === 1 && payload.shred_ledger !== undefined) throw new KeyringError('not an Uurwerk keyring backup (a version 1 file with a shred ledger)');
  plain.fill(0);
  const keks = new Map<number, Buffer>();
  for (const [v, b64] of Object.entries(payload.keks)) {
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length !== KEY_BYTES) throw new KeyringError(`KEK version ${v} in the backup is damaged`);
    keks.set(Number(v), bytes);
  }
  if (keks.size === 0) throw new KeyringError('the keyring backup holds no KEK');
  return { keks, signingKeyPem: payload.signing_key_pem, ledger: parseLedger(payload.shred_ledger ?? '', 'the backup').records };
}

/** True when `dir` holds a KEK or the signing key (the shred ledger alone is no keyring). */
function holdsKeys(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((n) => /^kek-v[0-9]+\.key$/.test(n) || n === SIGNING_KEY_FILE);
}

/** Writes the backup of `keyring` and its shred ledger and records the event; returns the file text. */
export async function backupKeyring(db: Knex, keyring: DiskKeyring, passphrase: string, opts: KeyOpsOptions & { file: string; kdfN?: number }): Promise<string> {
  const ledger = openShredLedger(keyring.dir).read().records;
  const text = sealBackup(keyring.exportMaterial(), passphrase, { N: opts.kdfN }, ledger);
  await inTransaction(db, async (trx) => {
    await opts.onKeyEvent?.(trx, { action: 'keys.backup', actor: opts.actor ?? 'system', details: { kek_versions: keyring.versions(), file: opts.file, shred_ledger_records: ledger.length } });
  });
  return text;
}

/**
 * Restores a backup into `dir`. An existing keyring there is only replaced with
 * `force` (the old files are overwritten); afterwards the restored keyring must pass
 * the same check against the database as at start, else the files are left for
 * inspection and the error says why. The shred ledger is never replaced: the
 * backup's records are merged into the ledger on disk (union by key id), so an old
 * backup cannot make the appliance forget a later shred.
 */
export async function restoreKeyring(db: Knex, dir: string, text: string, passphrase: string, opts: KeyOpsOptions & { force?: boolean; file: string }): Promise<DiskKeyring> {
  const material = openBackup(text, passphrase);
  if (holdsKeys(dir) && !opts.force) {
    throw new KeyringError(`keyring ${dir} already holds keys; refusing to overwrite them`, 'move it away first, or pass --force');
  }
  writeKeyringMaterial(dir, material, { overwrite: true });
  const { added, damaged } = openShredLedger(dir).merge(material.ledger);
  if (damaged) opts.logger.child({ module: 'keys' }).warn({ lines: damaged, file: `${LEDGER_FILE}.damaged` }, 'damaged lines of the shred ledger set aside; the readable ones are merged with the backup');
  const keyring = loadKeyring(dir);
  await verifyKeyring(db, keyring, opts);
  await inTransaction(db, async (trx) => {
    await opts.onKeyEvent?.(trx, { action: 'keys.restore', actor: opts.actor ?? 'system', details: { kek_versions: keyring.versions(), file: opts.file, shred_ledger_added: added } });
  });
  opts.logger.child({ module: 'keys' }).info({ dir, versions: keyring.versions(), shredLedgerAdded: added }, 'keyring restored from backup; its shred ledger merged with the one on disk');
  return keyring;
}
