/**
 * `npm run build [-- --force] [--root DIR]`: compiles src/ and migrations/ into dist/
 * only when something the output depends on changed, so a second `npm start` is
 * ready in a moment instead of waiting half a minute for `tsc`.
 *
 * What "changed" means: the content of any file under src/ or migrations/, of the
 * tsconfig files, package.json or package-lock.json (the stamp in dist/ holds a
 * digest of each). Content, not modification times, because a checkout back and
 * forth or a `touch` changes times without changing the output. A file that went
 * away since the last build forces a clean build, because `tsc` never deletes the
 * stale output of a removed source and the bundle ships all of dist/src.
 * Static assets (src/web/static) are only copied when they alone changed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** Where the build writes its digest of the inputs, relative to the project root. */
const STAMP_FILE = 'dist/.build-stamp.json';
const BUILD_INFO = 'dist/.tsbuildinfo';
const STATIC_DIR = 'src/web/static';
const CODE_DIRS = ['src', 'migrations'];
const CODE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

interface Stamp {
  /** Digest of each code input, by path relative to the root. */
  code: Record<string, string>;
  /** One digest over all static assets. */
  static: string;
}

function digest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every file under `dir` (relative to `root`), sorted, skipping `skip`. */
function listFiles(root: string, dir: string, skip?: string): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((f) => skip === undefined || !(f === skip || f.startsWith(`${skip}/`)))
    .sort();
}

function currentStamp(root: string): Stamp {
  const code: Record<string, string> = {};
  const files = [...CODE_DIRS.flatMap((d) => listFiles(root, d, STATIC_DIR)), ...CODE_FILES.filter((f) => existsSync(path.join(root, f)))];
  for (const f of files) code[f] = digest(path.join(root, f));
  const h = createHash('sha256');
  for (const f of listFiles(root, STATIC_DIR)) h.update(`${f}\0${digest(path.join(root, f))}\n`);
  return { code, static: h.digest('hex') };
}

function readStamp(root: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(path.join(root, STAMP_FILE), 'utf8')) as Stamp;
  } catch {
    return undefined; // never built, or built before stamps existed
  }
}

function sameCode(a: Stamp['code'], b: Stamp['code']): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function say(line: string): void {
  process.stdout.write(`build: ${line}\n`);
}

function copyStatic(root: string): void {
  const to = path.join(root, 'dist', STATIC_DIR);
  rmSync(to, { recursive: true, force: true });
  if (existsSync(path.join(root, STATIC_DIR))) cpSync(path.join(root, STATIC_DIR), to, { recursive: true });
}

/** Runs `tsc` incrementally (its build info lives in dist/, so deleting dist/ resets it). */
function compile(root: string): boolean {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', path.join(root, BUILD_INFO)], {
    cwd: root, stdio: 'inherit',
  });
  return r.status === 0;
}

/** Builds dist/ under `root` if its inputs changed; returns the process exit code. */
function build(root: string, force: boolean): number {
  const now = currentStamp(root);
  const last = force ? undefined : readStamp(root);
  const distPresent = existsSync(path.join(root, 'dist', 'src'));
  if (last && distPresent && sameCode(last.code, now.code)) {
    if (last.static === now.static) {
      say('build up to date');
      return 0;
    }
    copyStatic(root);
    writeFileSync(path.join(root, STAMP_FILE), JSON.stringify(now));
    say('static assets copied; code up to date');
    return 0;
  }
  const removed = last ? Object.keys(last.code).filter((f) => !(f in now.code)) : [];
  if (!last || !distPresent || removed.length > 0) {
    say(last && distPresent ? `clean build (${removed.length} source file(s) removed)` : 'clean build');
    for (const d of [...CODE_DIRS, BUILD_INFO.slice('dist/'.length)]) rmSync(path.join(root, 'dist', d), { recursive: true, force: true });
  } else {
    say('compiling changed sources (tsc --incremental)');
  }
  rmSync(path.join(root, STAMP_FILE), { force: true });
  if (!compile(root)) return 1;
  copyStatic(root);
  const main = path.join(root, 'dist', 'src', 'main.js');
  if (existsSync(main)) chmodSync(main, 0o755);
  mkdirSync(path.dirname(path.join(root, STAMP_FILE)), { recursive: true });
  writeFileSync(path.join(root, STAMP_FILE), JSON.stringify(now));
  say('built');
  return 0;
}

const { values } = parseArgs({
  options: {
    force: { type: 'boolean', default: false },
    root: { type: 'string', default: process.cwd() },
  },
});
process.exitCode = build(path.resolve(values.root), values.force);
