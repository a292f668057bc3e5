import path from 'node:path';

/** Names shared by the test runner and the per-file helpers. */
export const TEMPLATE_DB = 'uurwerk_template';

/** Admin URL (database `postgres`) of the run's PostgreSQL, set by test/run.ts. */
export function testPgAdminUrl(): string {
  const url = process.env.UURWERK_TEST_PG;
  if (!url) throw new Error('UURWERK_TEST_PG is not set: run tests through `npm test` (test/run.ts starts PostgreSQL)');
  return url;
}

/** Where test/run.ts compiles src/, migrations/, test/ and scripts/ before AVA runs them. */
export const BUILD_DIR = '.test-build';

/** True when this code runs compiled from .test-build/ (the test runner's way), false under tsx. */
export const compiled = import.meta.url.endsWith('.js');

/** The root of the code that runs: .test-build/ when compiled, else the checkout. */
export const codeRootForTests = path.resolve(import.meta.dirname, '..', '..');

/**
 * The checkout's root, whether the tests run compiled or not: for files that are not
 * compiled (config.example.yaml, the .ts sources, files kept in the repository).
 */
export const repoRoot = path.basename(codeRootForTests) === BUILD_DIR ? path.dirname(codeRootForTests) : codeRootForTests;

/**
 * Node arguments that run one of the project's TypeScript files (`file` absolute, or
 * relative to the checkout, e.g. 'src/main.ts'): its compiled .js when the tests run
 * compiled (no loader to start, no stale code: test/run.ts compiles every run), else
 * the .ts through tsx.
 */
export function nodeScript(file: string): string[] {
  const abs = path.isAbsolute(file) ? file : path.join(repoRoot, file);
  if (!compiled) return ['--import=tsx', abs];
  // A path into the checkout's sources becomes the same path under .test-build/.
  const rel = path.relative(repoRoot, abs);
  const built = rel.startsWith(`${BUILD_DIR}${path.sep}`) ? path.join(repoRoot, rel) : path.join(codeRootForTests, rel);
  return [built.replace(/\.ts$/, '.js')];
}
