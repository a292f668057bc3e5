// AVA settings for every suite. test/run.ts compiles the sources into .test-build/
// first (see test/helpers/compile.ts), so AVA runs that JavaScript with no TypeScript
// loader. Which test files run depends on UURWERK_TEST_SUITE, set by test/run.ts:
// `npm test` runs "main" (everything but test/ops), `npm run test:ops` runs "ops"
// (tests that build the bundle, install packages, converge the host with Ansible,
// check the systemd units, back up and restore with the PostgreSQL tools), and
// `npm run test:only -- FILES` picks from "all" (test/run.ts maps the .ts paths typed
// there to the compiled files).
const build = '.test-build';
const suites = {
  main: [`${build}/test/**/*.test.js`, `!${build}/test/ops/**`],
  ops: [`${build}/test/ops/**/*.test.js`],
  all: [`${build}/test/**/*.test.js`],
};

const suite = process.env.UURWERK_TEST_SUITE || 'all';
if (!(suite in suites)) throw new Error(`UURWERK_TEST_SUITE must be one of ${Object.keys(suites).join(', ')}, not "${suite}"`);

export default {
  // Stack traces point into the .ts sources (tsc writes the source maps).
  nodeArguments: ['--enable-source-maps'],
  workerThreads: false,
  files: suites[suite],
  timeout: '120s',
  concurrency: 2,
};
