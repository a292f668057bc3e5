import { createHash, sign, type KeyObject } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { ZipWriter } from './zip-writer.js';

/**
 * The signed zip of a compliance export, written as a stream: each file is produced
 * when its turn comes (an async source of text or bytes), hashed on the way into the
 * zip in batches of ~1 MiB and deflated by zlib on the thread pool (zip-writer.ts),
 * and the zip goes straight to disk with back-pressure from the file down to the
 * database cursor. Memory stays bounded by a few batches whatever the size of a file;
 * files over 4 GiB get ZIP64 records.
 *
 * After the content files come, in this order:
 * - `SHA256SUMS`: `sha256sum -c` format, one line per content file;
 * - `SHA256SUMS.sig`: Ed25519 signature over SHA256SUMS (raw 64 bytes);
 * - `manifest.json`: the SHA-256 of every file above (content files and SHA256SUMS);
 * - `manifest.sig`: Ed25519 signature over manifest.json (raw 64 bytes).
 * Ed25519 signatures over the file bytes are what `openssl pkeyutl -verify -rawin` checks.
 */

/** What a file's content comes from: fixed text or bytes, or an async source read when its turn comes. */
export type BundleSource = string | Buffer | (() => AsyncIterable<string | Buffer>);

/** One file of the bundle. */
export interface BundleFile {
  /** Path inside the zip (forward slashes). */
  name: string;
  source: BundleSource;
  /** Deflate level (0 stores). Default 6; large files may choose a faster level. */
  level?: number;
  /** One line on what the file is, for the README. */
  what?: string;
}

/** The key that signs the manifest (the keyring's audit signing key). */
export interface BundleSigner {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** What was written. */
export interface BundleResult {
  bytes: number;
  /** SHA-256 (hex) of every file in the manifest, by name. */
  files: Record<string, string>;
  manifestSha256: string;
}

/** Names the bundle writes itself. */
export const SUMS_FILE = 'SHA256SUMS';
export const MANIFEST_FILE = 'manifest.json';

async function* asChunks(source: BundleSource): AsyncIterable<Buffer> {
  if (typeof source === 'string') yield Buffer.from(source, 'utf8');
  else if (Buffer.isBuffer(source)) yield source;
  else for await (const c of source()) yield typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
}

/**
 * Writes the files and the signed manifest into a new zip at `file` (refuses to
 * overwrite; mode 0600). On any failure the partial file is removed, so a bundle on
 * disk is always a whole one. `onFile` is told as each file starts (for progress).
 */
export async function writeSignedBundle(file: string, files: readonly BundleFile[], signer: BundleSigner, onFile?: (name: string, index: number, total: number) => Promise<void> | void): Promise<BundleResult> {
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name) || [SUMS_FILE, `${SUMS_FILE}.sig`, MANIFEST_FILE, 'manifest.sig'].includes(f.name)) throw new Error(`bundle file ${f.name} given twice or reserved`);
    names.add(f.name);
  }
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  await once(out, 'open');
  // A write error is thrown by the zip writer's next write (or by finished() below).
  out.on('error', () => undefined);
  const zip = new ZipWriter(out);
  const hashes: Record<string, string> = {};
  const add = async (name: string, level: number, source: BundleSource) => {
    const hash = createHash('sha256');
    await zip.add(name, asChunks(source), level, (batch) => hash.update(batch));
    hashes[name] = hash.digest('hex');
  };
  const sumsText = () => Buffer.from(files.map((f) => `${hashes[f.name]}  ${f.name}\n`).join(''), 'utf8');
  let manifest: Buffer | undefined;
  try {
    for (const [i, f] of files.entries()) {
      void onFile?.(f.name, i, files.length);
      await add(f.name, f.level ?? 6, f.source);
    }
    // Every content file's hash is known by now.
    const sums = sumsText();
    await add(SUMS_FILE, 6, sums);
    await add(`${SUMS_FILE}.sig`, 0, sign(null, sums, signer.privateKey));
    manifest = Buffer.from(JSON.stringify({
      format: 'uurwerk.compliance.export', version: 1, algorithm: 'sha256', signing_key_id: signer.keyId,
      files: Object.fromEntries([...files.map((f) => f.name), SUMS_FILE].map((n) => [n, hashes[n]])),
    }, null, 2) + '\n', 'utf8');
    await add(MANIFEST_FILE, 6, manifest);
    await add('manifest.sig', 0, sign(null, manifest, signer.privateKey));
    await zip.finish();
    await finished(out);
  } catch (err) {
    out.destroy();
    rmSync(file, { force: true });
    throw err;
  }
  return { bytes: out.bytesWritten, files: { ...hashes }, manifestSha256: createHash('sha256').update(manifest!).digest('hex') };
}
