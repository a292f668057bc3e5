import { existsSync } from 'node:fs';
import { randomBytes, createSecretKey, type KeyObject } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { CANARY_PLAINTEXT, KEY_BYTES, canaryAad, open, seal } from './crypto.js';
import { KeyringError } from './errors.js';
import {
  DiskKeyring, checkKeyringPermissions, destroyFile, ensureKeyringDir, generateKeyringMaterial, kekFileName, keyringDir, keyringPresent,
  loadKeyring, removeCreated, writeKeyringMaterial, writePrivateFile,
} from './keyring.js';
import * as repo from './repository.js';
import { inTransaction, unwrapDataKey, wrapDataKey } from './service.js';
import type { KeyEventHook } from './types.js';

/**
 * The keyring's life: creation, the start-up check against the database (canary),
 * rotation and retirement of KEKs, and status. Each operation that changes keys
 * reports a KeyEvent in its transaction.
 */

/** Options shared by the lifecycle operations. */
export interface KeyOpsOptions {
  logger: Logger;
  onKeyEvent?: KeyEventHook;
  /** Who runs the operation (`system`, `cli:<user>`). */
  actor?: string;
}

function makeCanary(kek: KeyObject, version: number): Buffer {
  return seal(kek, CANARY_PLAINTEXT, canaryAad(version));
}

function canaryOpens(kek: KeyObject, row: repo.CanaryRow): boolean {
  const plain = open(kek, row.ciphertext, canaryAad(row.kek_version));
  return plain !== undefined && plain.equals(CANARY_PLAINTEXT);
}

const RESTORE_FIX = 'restore the keyring that belongs to this database with `uurwerk keys:restore --in BACKUP`';

/**
 * Checks a loaded keyring against the database: every KEK version the database
 * knows (canaries, data keys) must be on disk and decrypt its canary, and the
 * newest KEK on disk must be known to the database. A database that has never seen
 * a keyring adopts this one (writes its canaries).
 */
export async function verifyKeyring(db: Knex, keyring: DiskKeyring, opts: KeyOpsOptions & { adopt?: boolean }): Promise<void> {
  const log = opts.logger.child({ module: 'keys' });
  const canaries = await repo.listCanaries(db);
  const counts = await repo.dataKeyCountsByKek(db);
  if (canaries.length === 0) {
    if (counts.size > 0) {
      throw new KeyringError(`the database holds data keys but no KEK canary, so keyring ${keyring.dir} cannot be checked against it`, RESTORE_FIX);
    }
    if (opts.adopt === false) throw new KeyringError(`the database has no KEK canary yet; keyring ${keyring.dir} has not been checked against it`, 'start the appliance once (it adopts the keyring)');
    await inTransaction(db, async (trx) => {
      for (const v of keyring.versions()) await repo.insertCanary(trx, { kek_version: v, ciphertext: makeCanary(keyring.kek(v), v) });
    });
    log.info({ dir: keyring.dir, versions: keyring.versions() }, 'keyring adopted by a database that had none');
    return;
  }
  for (const row of canaries) {
    const file = path.join(keyring.dir, kekFileName(row.kek_version));
    if (!keyring.has(row.kek_version)) {
      throw new KeyringError(`KEK version ${row.kek_version} is missing: ${file} does not exist, but the database uses it`, RESTORE_FIX);
    }
    if (!canaryOpens(keyring.kek(row.kek_version), row)) {
      throw new KeyringError(`wrong key: ${file} does not decrypt this database's canary, so it is not the KEK this database was encrypted with`, RESTORE_FIX);
    }
  }
  for (const v of counts.keys()) {
    if (!keyring.has(v)) throw new KeyringError(`KEK version ${v} is missing: ${path.join(keyring.dir, kekFileName(v))} wraps data keys in the database`, RESTORE_FIX);
  }
  const known = new Set(canaries.map((c) => c.kek_version));
  const unknown = keyring.versions().filter((v) => !known.has(v));
  if (unknown.includes(keyring.activeVersion)) {
    const file = path.join(keyring.dir, kekFileName(keyring.activeVersion));
    throw new KeyringError(`${file} is newer than any KEK this database knows (no canary): it was not made by \`uurwerk keys:rotate\` against this database`, `remove ${file} if a rotation failed half-way, or ${RESTORE_FIX}`);
  }
  if (unknown.length) log.warn({ versions: unknown }, 'keyring holds KEK versions this database does not use (retired elsewhere?); they are ignored');
}

/**
 * Creates a new keyring (KEK v1, audit signing key) in `dir` and registers its
 * canary in the database. Refuses when the database already has a keyring.
 */
export async function initKeyring(db: Knex, dir: string, opts: KeyOpsOptions): Promise<DiskKeyring> {
  if (keyringPresent(dir)) throw new KeyringError(`keyring ${dir} already exists`, 'use `uurwerk keys:status` to inspect it; to start over, move it away first');
  const canaries = await repo.listCanaries(db);
  if (canaries.length > 0) {
    throw new KeyringError(`the database already uses a keyring (KEK versions ${canaries.map((c) => c.kek_version).join(', ')}), but ${dir} is empty or missing`, RESTORE_FIX);
  }
  const { created } = ensureKeyringDir(dir);
  let written: string[] = [];
  try {
    written = writeKeyringMaterial(dir, generateKeyringMaterial());
    const keyring = loadKeyring(dir);
    await inTransaction(db, async (trx) => {
      await repo.insertCanary(trx, { kek_version: 1, ciphertext: makeCanary(keyring.kek(1), 1) });
      await opts.onKeyEvent?.(trx, { action: 'keys.init', actor: opts.actor ?? 'system', details: { kek_version: 1, signing_key_id: keyring.auditSigningKey().keyId } });
    });
    opts.logger.child({ module: 'keys' }).info({ dir, signingKeyId: keyring.auditSigningKey().keyId }, 'keyring created (KEK v1, audit signing key); back it up with `uurwerk keys:backup`');
    return keyring;
  } catch (err) {
    removeCreated(dir, written, created);
    throw err;
  }
}

/**
 * Opens the keyring for the appliance: loads it (permission checks) and verifies
 * it against the database. With `create`, a missing or empty keyring is created
 * when the database has never had one (first start).
 */
export async function openKeyring(config: Pick<Config, 'data_dir'> & { keys?: { dir?: string; create_on_start?: boolean } }, db: Knex, opts: KeyOpsOptions & { create?: boolean }): Promise<DiskKeyring> {
  const dir = keyringDir(config);
  if (!keyringPresent(dir)) {
    const canaries = await repo.listCanaries(db);
    if (canaries.length > 0) {
      throw new KeyringError(`keyring ${dir} is missing or empty, but the database was encrypted with KEK version(s) ${canaries.map((c) => c.kek_version).join(', ')}`, RESTORE_FIX);
    }
    const create = opts.create ?? config.keys?.create_on_start ?? true;
    if (!create) throw new KeyringError(`no keyring at ${dir}`, 'run `uurwerk keys:init`');
    if (existsSync(dir)) checkKeyringPermissions(dir);
    return initKeyring(db, dir, opts);
  }
  const keyring = loadKeyring(dir);
  await verifyKeyring(db, keyring, opts);
  return keyring;
}

/**
 * Rotates the KEK: writes version N+1, registers its canary (from then on new data
 * keys are wrapped with it, also in running servers), then re-wraps every data key.
 * Data is not re-encrypted. The old KEK stays, decrypt-only, until `retireKek`.
 */
export async function rotateKek(db: Knex, keyring: DiskKeyring, opts: KeyOpsOptions): Promise<{ version: number; rewrapped: number }> {
  const known = (await repo.listCanaries(db)).map((c) => c.kek_version);
  const previous = keyring.activeVersion;
  const version = Math.max(previous, ...known) + 1;
  const name = kekFileName(version);
  const bytes = randomBytes(KEY_BYTES);
  writePrivateFile(keyring.dir, name, bytes);
  let rewrapped = 0;
  try {
    const kek = keyring.kek(version);
    if (!kek.equals(createSecretKey(bytes))) throw new KeyringError(`${name} changed while being written`);
    await repo.insertCanary(db, { kek_version: version, ciphertext: makeCanary(kek, version) });
  } catch (err) {
    keyring.forget(version);
    removeCreated(keyring.dir, [name], false);
    throw err;
  }
  // The canary is committed: the new KEK is now active. Re-wrapping is its own
  // transaction; if it fails, rerun `keys:rotate` or `keys:retire` re-wraps leftovers.
  await db.transaction(async (trx) => {
    const rows = await repo.dataKeysNotWrappedBy(trx, version);
    for (const row of rows) {
      const dek = unwrapDataKey(keyring, row);
      await repo.updateWrapping(trx, row.id, version, wrapDataKey(keyring, row, version, dek));
      dek.fill(0);
    }
    rewrapped = rows.length;
    await opts.onKeyEvent?.(trx, { action: 'keys.rotate', actor: opts.actor ?? 'system', details: { from_version: previous, to_version: version, data_keys_rewrapped: rewrapped } });
  });
  opts.logger.child({ module: 'keys' }).info({ from: previous, to: version, rewrapped }, 'KEK rotated; data keys re-wrapped; the old KEK is now decrypt-only until `uurwerk keys:retire`');
  return { version, rewrapped };
}

/**
 * Destroys KEK `version`. Any data key still wrapped by it (made by a server that
 * had not yet seen the rotation) is re-wrapped with the active KEK first, under a
 * table lock so none can appear meanwhile; the file is destroyed only after the
 * database no longer refers to the version.
 */
export async function retireKek(db: Knex, keyring: DiskKeyring, version: number, opts: KeyOpsOptions): Promise<{ rewrapped: number }> {
  const active = await repo.activeKekVersion(db);
  if (active === undefined) throw new KeyringError('the database has no KEK canary: nothing to retire');
  if (version === active) throw new KeyringError(`KEK version ${version} is the active one and cannot be retired`, 'run `uurwerk keys:rotate` first');
  if (!keyring.has(version)) throw new KeyringError(`KEK version ${version} is not in keyring ${keyring.dir}`);
  let rewrapped = 0;
  await db.transaction(async (trx) => {
    await trx.raw('LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE');
    const rows = await repo.dataKeysNotWrappedBy(trx, active, version);
    for (const row of rows) {
      const dek = unwrapDataKey(keyring, row);
      await repo.updateWrapping(trx, row.id, active, wrapDataKey(keyring, row, active, dek));
      dek.fill(0);
    }
    rewrapped = rows.length;
    const left = (await repo.dataKeyCountsByKek(trx)).get(version) ?? 0;
    if (left > 0) throw new KeyringError(`${left} data key(s) are still wrapped by KEK version ${version}; not retiring it`);
    await repo.deleteCanary(trx, version);
    await opts.onKeyEvent?.(trx, { action: 'keys.retire', actor: opts.actor ?? 'system', details: { kek_version: version, active_version: active, data_keys_rewrapped: rewrapped } });
  });
  const file = path.join(keyring.dir, kekFileName(version));
  if (existsSync(file)) destroyFile(file);
  keyring.forget(version);
  opts.logger.child({ module: 'keys' }).info({ version, rewrapped }, 'KEK retired and destroyed');
  return { rewrapped };
}

/** What `keys:status` shows. */
export interface KeyStatus {
  dir: string;
  permissions: 'ok' | string;
  onDisk: number[];
  inDatabase: number[];
  activeVersion?: number;
  dataKeysByKek: Record<string, number>;
  tombstones: number;
  signingKeyId?: string;
  problems: string[];
}

/** Reports the keyring and its use by the database, collecting problems instead of throwing. */
export async function keyStatus(db: Knex, dir: string, opts: KeyOpsOptions): Promise<KeyStatus> {
  const status: KeyStatus = {
    dir, permissions: 'ok', onDisk: [], inDatabase: [], dataKeysByKek: {}, tombstones: 0, problems: [],
  };
  status.inDatabase = (await repo.listCanaries(db)).map((c) => c.kek_version);
  status.activeVersion = await repo.activeKekVersion(db);
  status.dataKeysByKek = Object.fromEntries([...(await repo.dataKeyCountsByKek(db))].map(([v, n]) => [`v${v}`, n]));
  status.tombstones = await repo.tombstoneCount(db);
  if (!keyringPresent(dir)) {
    status.permissions = 'no keyring';
    status.problems.push(`no keyring at ${dir}`);
    return status;
  }
  try {
    checkKeyringPermissions(dir);
  } catch (err) {
    status.permissions = (err as Error).message;
    status.problems.push((err as Error).message);
    return status;
  }
  try {
    const keyring = loadKeyring(dir);
    status.onDisk = keyring.versions();
    status.signingKeyId = keyring.auditSigningKey().keyId;
    await verifyKeyring(db, keyring, { ...opts, adopt: false });
  } catch (err) {
    status.problems.push((err as Error).message);
  }
  return status;
}
