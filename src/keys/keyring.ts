import { createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  chmodSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync,
  unlinkSync, writeSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { KEY_BYTES } from './crypto.js';
import { KeyringError } from './errors.js';
import type { Keyring } from './types.js';

/**
 * The keyring on disk: a directory (0700, owned by the service user) holding
 * versioned key-encryption keys `kek-v<N>.key` (32 raw bytes each, 0600) and the
 * Ed25519 key that signs audit checkpoints (`audit-signing.key`, PKCS#8 PEM, 0600).
 * Nothing here touches the database; the canary check lives in lifecycle.ts.
 */

export const SIGNING_KEY_FILE = 'audit-signing.key';
const KEK_FILE = /^kek-v([1-9][0-9]{0,5})\.key$/;

/** File name of KEK version `v`. */
export function kekFileName(version: number): string {
  return `kek-v${version}.key`;
}

/** The keyring directory: `keys.dir`, else `<data_dir>/keys`. */
export function keyringDir(config: Pick<Config, 'data_dir'> & { keys?: { dir?: string } }): string {
  return path.resolve(config.keys?.dir ?? path.join(config.data_dir, 'keys'));
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(currentUid());
  }
}

/**
 * Checks the directory and every file in it: no group/other permission bits, owned
 * by the running user, regular files only. Mode bits are checked, not access(),
 * because root can read anything. Throws a KeyringError naming the path and the fix.
 */
export function checkKeyringPermissions(dir: string): void {
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new KeyringError(`keyring ${dir} is not a directory`, `point keys.dir at a directory, or move ${dir} away and run \`uurwerk keys:init\``);
  const uid = currentUid();
  if (uid !== undefined && st.uid !== uid) {
    throw new KeyringError(`keyring directory ${dir} is owned by uid ${st.uid}, not by the user running Uurwerk (uid ${uid})`, `chown -R ${userName()} ${dir}`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new KeyringError(`keyring directory ${dir} is accessible to group or others (mode ${octal(st.mode)})`, `chmod 700 ${dir}`);
  }
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const fst = lstatSync(file);
    if (!fst.isFile()) throw new KeyringError(`${file} in the keyring is not a regular file`, `remove ${file}; the keyring holds plain files only`);
    if (uid !== undefined && fst.uid !== uid) {
      throw new KeyringError(`key file ${file} is owned by uid ${fst.uid}, not by the user running Uurwerk (uid ${uid})`, `chown ${userName()} ${file}`);
    }
    if ((fst.mode & 0o077) !== 0) {
      throw new KeyringError(`key file ${file} is accessible to group or others (mode ${octal(fst.mode)})`, `chmod 600 ${file}`);
    }
  }
}

/** True when the directory exists and holds at least one file (an empty directory is "no keyring yet"). */
export function keyringPresent(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).length > 0;
}

/** Writes a file atomically with mode 0600: temporary file, fsync, rename, fsync of the directory. */
export function writePrivateFile(dir: string, name: string, data: Buffer | string, opts: { overwrite?: boolean } = {}): void {
  const target = path.join(dir, name);
  if (!opts.overwrite && existsSync(target)) throw new KeyringError(`${target} already exists; refusing to overwrite a key`);
  const tmp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    writeSync(fd, buf, 0, buf.length, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, target);
  syncDir(dir);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates the keyring directory (0700) if needed; an existing one must already be private. */
export function ensureKeyringDir(dir: string): { created: boolean } {
  if (existsSync(dir)) {
    checkKeyringPermissions(dir);
    return { created: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return { created: true };
}

/** Overwrites a key file with zeros before unlinking it (best effort on journaling file systems). */
export function destroyFile(file: string): void {
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(size), 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(file);
  syncDir(path.dirname(file));
}

/** Everything a keyring holds, as bytes: for creating, backing up and restoring it. */
export interface KeyringMaterial {
  keks: Map<number, Buffer>;
  signingKeyPem: string;
}

/** Fresh material for a new keyring: KEK version 1 and an Ed25519 signing key. */
export function generateKeyringMaterial(): KeyringMaterial {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    keks: new Map([[1, randomBytes(KEY_BYTES)]]),
    signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Writes material into `dir` (created 0700 if missing); existing files are kept unless `overwrite`. */
export function writeKeyringMaterial(dir: string, material: KeyringMaterial, opts: { overwrite?: boolean } = {}): string[] {
  ensureKeyringDir(dir);
  const written: string[] = [];
  for (const [version, bytes] of material.keks) {
    writePrivateFile(dir, kekFileName(version), bytes, opts);
    written.push(kekFileName(version));
  }
  writePrivateFile(dir, SIGNING_KEY_FILE, material.signingKeyPem, opts);
  written.push(SIGNING_KEY_FILE);
  return written;
}

function readKek(file: string): KeyObject {
  const bytes = readFileSync(file);
  if (bytes.length !== KEY_BYTES) {
    throw new KeyringError(`key file ${file} holds ${bytes.length} bytes, expected ${KEY_BYTES}: it is damaged`, 'restore the keyring from its backup with `uurwerk keys:restore --in FILE`');
  }
  return createSecretKey(bytes);
}

/**
 * The keyring as loaded from disk. Keys are held as KeyObjects in private fields, so
 * logging or serialising this object cannot print them.
 */
export class DiskKeyring implements Keyring {
  readonly #keks = new Map<number, KeyObject>();
  readonly #signing: { privateKey: KeyObject; publicKey: KeyObject; keyId: string };

  constructor(
    readonly dir: string,
    keks: Map<number, KeyObject>,
    signingKey: KeyObject,
  ) {
    for (const [v, k] of keks) this.#keks.set(v, k);
    const publicKey = createPublicKey(signingKey);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    this.#signing = { privateKey: signingKey, publicKey, keyId: `ed25519:${createHash('sha256').update(der).digest('hex').slice(0, 32)}` };
  }

  /** KEK versions present, ascending. */
  versions(): number[] {
    return [...this.#keks.keys()].sort((a, b) => a - b);
  }

  /** Highest KEK version present: the one new data keys are wrapped with. */
  get activeVersion(): number {
    return Math.max(...this.#keks.keys());
  }

  /** True when KEK `version` is loaded. */
  has(version: number): boolean {
    return this.#keks.has(version);
  }

  /**
   * KEK `version`. A version another process added since this one loaded (a
   * `keys:rotate` while the server runs) is read from disk on first need, with the
   * same permission checks.
   */
  kek(version: number): KeyObject {
    let key = this.#keks.get(version);
    if (!key) {
      const file = path.join(this.dir, kekFileName(version));
      if (!existsSync(file)) {
        throw new KeyringError(`KEK version ${version} (${file}) is missing`, 'restore the keyring from its backup with `uurwerk keys:restore --in FILE`');
      }
      checkKeyringPermissions(this.dir);
      key = readKek(file);
      this.#keks.set(version, key);
    }
    return key;
  }

  /** Forgets a KEK (after `keys:retire` destroyed its file). */
  forget(version: number): void {
    this.#keks.delete(version);
  }

  /** Ed25519 key pair that signs audit checkpoints; `keyId` is derived from the public key. */
  auditSigningKey(): { privateKey: KeyObject; publicKey: KeyObject; keyId: string } {
    return { ...this.#signing };
  }

  /** The raw material, for `keys:backup` only. */
  exportMaterial(): KeyringMaterial {
    const keks = new Map<number, Buffer>();
    for (const v of this.versions()) keks.set(v, this.kek(v).export());
    return { keks, signingKeyPem: this.#signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }

  /** Never print keys, whatever serialiser is used. */
  toJSON(): { dir: string; versions: number[] } {
    return { dir: this.dir, versions: this.versions() };
  }
}

/**
 * Loads the keyring from `dir` after checking permissions; refuses when the
 * directory or a file is too open, a KEK is damaged, or a key is missing.
 */
export function loadKeyring(dir: string): DiskKeyring {
  if (!existsSync(dir)) throw new KeyringError(`keyring directory ${dir} does not exist`, 'run `uurwerk keys:init`, or restore it with `uurwerk keys:restore --in FILE`');
  checkKeyringPermissions(dir);
  const keks = new Map<number, KeyObject>();
  for (const name of readdirSync(dir)) {
    const m = KEK_FILE.exec(name);
    if (m) keks.set(Number(m[1]), readKek(path.join(dir, name)));
  }
  if (keks.size === 0) {
    throw new KeyringError(`keyring ${dir} holds no key-encryption key (kek-v<N>.key)`, 'restore the keyring from its backup with `uurwerk keys:restore --in FILE`');
  }
  const signingFile = path.join(dir, SIGNING_KEY_FILE);
  if (!existsSync(signingFile)) {
    throw new KeyringError(`audit signing key ${signingFile} is missing`, 'restore the keyring from its backup with `uurwerk keys:restore --in FILE`');
  }
  let signingKey: KeyObject;
  try {
    signingKey = createPrivateKey(readFileSync(signingFile, 'utf8'));
  } catch {
    throw new KeyringError(`audit signing key ${signingFile} is not a readable private key`, 'restore the keyring from its backup with `uurwerk keys:restore --in FILE`');
  }
  if (signingKey.asymmetricKeyType !== 'ed25519') throw new KeyringError(`audit signing key ${signingFile} is not an Ed25519 key`);
  return new DiskKeyring(dir, keks, signingKey);
}

/** Removes files this process just created (undo of a failed init or rotation). */
export function removeCreated(dir: string, names: string[], removeDir: boolean): void {
  for (const n of names) rmSync(path.join(dir, n), { force: true });
  if (removeDir) rmSync(dir, { recursive: true, force: true });
}
