/**
 * `npm run build` (scripts/build.ts) skips `tsc` when nothing it depends on changed.
 * The script runs for real (real `tsc`) against a tiny project in a temporary
 * directory, so the test stays quick and leaves this checkout's dist/ alone. The
 * script's run on this checkout itself is what `npm start` does every time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { nodeScript, repoRoot } from '../helpers/env.js';

const repo = repoRoot;

/** A project shaped like this one: the same tsconfig pair, src/, migrations/, static assets. */
function fixture(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'package.json': '{ "name": "fixture", "type": "module" }\n',
    // The same pair as this project's (type-check config with noEmit; the build config
    // extends it and emits), written out so the fixture needs no node_modules of its own.
    'tsconfig.json': JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'dist', rootDir: '.', noEmit: true, types: [] },
      include: ['src', 'migrations'],
    }),
    'tsconfig.build.json': JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: false }, include: ['src', 'migrations'] }),
    'src/main.ts': "import { greet } from './greet.js';\nexport const out = greet('main');\n",
    'src/greet.ts': 'export function greet(who: string): string {\n  return `hello ${who}`;\n}\n',
    'src/old.ts': 'export const old = 1;\n',
    'src/web/static/app.css': 'body { color: black; }\n',
    'migrations/20260101000000_first.ts': 'export const up = 1;\n',
  };
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

/** Runs the build script against `root`; resolves with its exit code and output. */
function runBuild(root: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeScript('scripts/build.ts'), '--root', root], { cwd: repo });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Sets a file's mtime an hour back, so an unchanged output is told from a rewritten one. */
function age(file: string): number {
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(file, past, past);
  return statSync(file).mtimeMs;
}

test('a second build with nothing changed does not run tsc; a changed source does', async (t) => {
  const root = fixture(t);
  const main = path.join(root, 'dist', 'src', 'main.js');
  const greet = path.join(root, 'dist', 'src', 'greet.js');

  const first = await runBuild(root);
  t.is(first.code, 0, first.out);
  t.regex(first.out, /build: built/);
  t.true(existsSync(main) && existsSync(path.join(root, 'dist', 'migrations', '20260101000000_first.js')), first.out);
  t.is(readFileSync(path.join(root, 'dist', 'src', 'web', 'static', 'app.css'), 'utf8'), 'body { color: black; }\n');
  t.true((statSync(main).mode & 0o100) !== 0, 'dist/src/main.js is executable');

  const mainTime = age(main);
  const second = await runBuild(root);
  t.is(second.code, 0, second.out);
  t.regex(second.out, /build up to date/);
  t.is(statSync(main).mtimeMs, mainTime, 'tsc did not rewrite the output');

  // A touch alone changes nothing the output depends on.
  const now = new Date();
  utimesSync(path.join(root, 'src', 'greet.ts'), now, now);
  t.regex((await runBuild(root)).out, /build up to date/);

  writeFileSync(path.join(root, 'src', 'greet.ts'), 'export function greet(who: string): string {\n  return `good day ${who}`;\n}\n');
  const third = await runBuild(root);
  t.is(third.code, 0, third.out);
  t.regex(third.out, /compiling changed sources/);
  t.regex(readFileSync(greet, 'utf8'), /good day/);
});

test('a changed static asset is copied without compiling; a removed source leaves no stale output', async (t) => {
  const root = fixture(t);
  t.is((await runBuild(root)).code, 0);
  const main = path.join(root, 'dist', 'src', 'main.js');
  const mainTime = age(main);

  writeFileSync(path.join(root, 'src', 'web', 'static', 'app.css'), 'body { color: navy; }\n');
  const assets = await runBuild(root);
  t.regex(assets.out, /static assets copied; code up to date/);
  t.is(readFileSync(path.join(root, 'dist', 'src', 'web', 'static', 'app.css'), 'utf8'), 'body { color: navy; }\n');
  t.is(statSync(main).mtimeMs, mainTime, 'tsc did not run for a stylesheet');

  unlinkSync(path.join(root, 'src', 'old.ts'));
  const removed = await runBuild(root);
  t.is(removed.code, 0, removed.out);
  t.regex(removed.out, /clean build \(1 source file\(s\) removed\)/);
  t.false(existsSync(path.join(root, 'dist', 'src', 'old.js')), 'stale output of a deleted source is gone');
  t.true(existsSync(main));
});

test('a type error fails the build and the next build tries again', async (t) => {
  const root = fixture(t);
  writeFileSync(path.join(root, 'src', 'greet.ts'), 'export function greet(who: string): number {\n  return who;\n}\n');
  const failed = await runBuild(root);
  t.not(failed.code, 0);
  t.regex(failed.out, /TS2322/);
  const again = await runBuild(root);
  t.not(again.code, 0, 'no stamp was written for a failed build, so it is not "up to date"');
  t.notRegex(again.out, /up to date/);
});

test('npm start goes through the skipping build and execs the server (so SIGTERM reaches it)', (t) => {
  const { scripts } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.regex(scripts.build ?? '', /scripts\/build\.ts/);
  // A 64 MB young-generation semi-space: Node 20's 16 MB default collected a day view's garbage a quarter of the CPU's worth (README "Developing").
  t.regex(scripts.start ?? '', /^npm run build --silent && exec node --max-semi-space-size=64 dist\/src\/main\.js serve$/);
});
