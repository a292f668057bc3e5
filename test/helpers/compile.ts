/**
 * The compiled route of test/run.ts: tsc compiles src/, migrations/, test/ and
 * scripts/ into .test-build/ once per run (incrementally: only what changed is
 * emitted again), and AVA and the CLI helpers run that JavaScript without a
 * TypeScript loader, which halves the start-up of every test process and CLI call.
 *
 * Never stale: tsc runs on every test run (it also type-checks; any error stops the
 * run), output whose source went away is deleted, and a source without output (a
 * hand-pruned build directory) forces a clean build.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BUILD_DIR } from './env.js';

/** What tsconfig.test.json compiles; each holds .ts sources whose .js lands under BUILD_DIR. */
const SOURCE_DIRS = ['src', 'migrations', 'test', 'scripts'];
/** Assets the code reads relative to itself (as scripts/build.ts copies them into dist/). */
const ASSET_DIRS = ['src/web/static'];

function filesUnder(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Runs a package's command line (`node_modules/<bin>`) in a child process, output to ours; true when it exits 0. */
export function runBin(root: string, bin: string, args: string[]): Promise<boolean> {
  const child = spawn(process.execPath, [path.join(root, 'node_modules', bin), ...args], { cwd: root, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

function tsc(root: string): Promise<boolean> {
  return runBin(root, 'typescript/bin/tsc', ['-p', path.join(root, 'tsconfig.test.json')]);
}

/** Compiled files (relative to the build) whose source is gone, and sources with no compiled file. */
function mismatches(root: string): { orphans: string[]; missing: string[] } {
  const build = path.join(root, BUILD_DIR);
  const orphans = SOURCE_DIRS.flatMap((d) => filesUnder(build, d))
    .filter((f) => /\.js(\.map)?$/.test(f) && !ASSET_DIRS.some((a) => f.startsWith(`${a}${path.sep}`)))
    .filter((f) => !existsSync(path.join(root, f.replace(/\.js(\.map)?$/, '.ts'))));
  const missing = SOURCE_DIRS.flatMap((d) => filesUnder(root, d))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .filter((f) => !existsSync(path.join(build, f.replace(/\.ts$/, '.js'))));
  return { orphans, missing };
}

/**
 * Brings .test-build/ in step with the sources; false (after tsc printed why) when
 * they do not compile.
 */
export async function compileForTests(root: string): Promise<boolean> {
  const started = Date.now();
  process.stdout.write(`test: compiling into ${BUILD_DIR}/ (tsc --incremental, type-checks too)\n`);
  if (!(await tsc(root))) {
    console.error('test: the sources do not compile; no test ran');
    return false;
  }
  const build = path.join(root, BUILD_DIR);
  const first = mismatches(root);
  for (const f of first.orphans) rmSync(path.join(build, f), { force: true });
  let missing = first.missing;
  if (missing.length > 0) {
    process.stdout.write(`test: ${missing.length} source(s) had no compiled file; clean build\n`);
    rmSync(build, { recursive: true, force: true });
    if (!(await tsc(root))) return false;
    ({ missing } = mismatches(root));
    if (missing.length > 0) {
      console.error(`test: tsc left these without output: ${missing.join(', ')}`);
      return false;
    }
  }
  for (const dir of ASSET_DIRS) {
    rmSync(path.join(build, dir), { recursive: true, force: true });
    cpSync(path.join(root, dir), path.join(build, dir), { recursive: true });
  }
  process.stdout.write(`test: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

/**
 * AVA's arguments with each test path people type (`test/x/y.test.ts`, or a glob
 * such as `test/x/*.test.ts`) turned into its compiled counterpart under BUILD_DIR;
 * options and their values (`--match PATTERN`) stay as they are.
 */
export function toCompiledArgs(root: string, args: string[]): string[] {
  const takesValue = new Set(['--match', '-m', '--timeout', '-T', '--concurrency', '-c', '--node-arguments', '--config']);
  return args.map((arg, i) => {
    if (arg.startsWith('-') || takesValue.has(args[i - 1] ?? '')) return arg;
    const rel = path.relative(root, path.resolve(root, arg));
    if (rel.startsWith('..') || rel.startsWith(BUILD_DIR)) return arg;
    return path.join(BUILD_DIR, rel).replace(/\.ts$/, '.js');
  });
}
