// AVA settings for every suite. Which test files run depends on UURWERK_TEST_SUITE,
// set by test/run.ts: `npm test` runs "main" (everything but test/ops), `npm run
// test:ops` runs "ops" (tests that build the bundle, install packages, converge the
// host with Ansible, check the systemd units, back up and restore with the PostgreSQL
// tools), and `npm run test:only -- FILES` picks from "all".
const suites = {
  main: ['test/**/*.test.ts', '!test/ops/**'],
  ops: ['test/ops/**/*.test.ts'],
  all: ['test/**/*.test.ts'],
};

const suite = process.env.UURWERK_TEST_SUITE || 'all';
if (!(suite in suites)) throw new Error(`UURWERK_TEST_SUITE must be one of ${Object.keys(suites).join(', ')}, not "${suite}"`);

export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  files: suites[suite],
  timeout: '120s',
  concurrency: 2,
};
