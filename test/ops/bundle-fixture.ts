import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildBundle } from '../../src/ops/bundle.js';
import { repoRoot as checkoutRoot } from '../helpers/env.js';

/**
 * The offline bundle for the ops tests, built once per test run and shared by the
 * test files that need it (a directory lock keeps two files from building it at
 * once). `UURWERK_TEST_BUNDLE=/path/uurwerk-X-linux-x64.tar.gz` uses a bundle built
 * beforehand instead (CI can run `npm run bundle` once and hand it in).
 */

export const run = promisify(execFile);
/** The checkout (also when the tests run compiled from .test-build/). */
export const repoRoot = checkoutRoot;

function runDir(): string {
  const logDir = process.env.UURWERK_TEST_LOG_DIR;
  return logDir ? path.dirname(logDir) : path.join(repoRoot, '.test-tmp', `bundle-${process.pid}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Path of the bundle tarball for this run, building it on first use. */
export async function bundleTarball(): Promise<string> {
  if (process.env.UURWERK_TEST_BUNDLE) return path.resolve(process.env.UURWERK_TEST_BUNDLE);
  const outDir = path.join(runDir(), 'bundle');
  const lock = `${outDir}.lock`;
  mkdirSync(runDir(), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building it; a lock older than 15 minutes is stale.
      if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      await sleep(1000);
    }
  }
  try {
    const existing = existsSync(outDir) ? readdirSync(outDir).find((f) => f.endsWith('-linux-x64.tar.gz')) : undefined;
    if (existing) return path.join(outDir, existing);
    const res = await buildBundle({ repo: repoRoot, outDir });
    return res.tarball;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Unpacks the bundle into a fresh directory (mode 0755, so a service user can pass) and returns the bundle root. */
export async function unpackBundle(tarball: string, parent = tmpdir()): Promise<string> {
  const dir = mkdtempSync(path.join(parent, 'uurwerk-unpacked-'));
  chmodSync(dir, 0o755);
  await run('tar', ['xzf', tarball, '-C', dir]);
  const [name] = readdirSync(dir);
  if (!name) throw new Error(`${tarball} is empty`);
  return path.join(dir, name);
}
