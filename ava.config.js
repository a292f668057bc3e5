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

// Longest files first (measured December 2026), the rest by name: a slow file that starts
// last keeps one slot busy after the others are done. The two Samba files (one machine-wide
// lock on :389; the second waits for the first while holding a slot) are kept far apart:
// directory/sync leads, directory/sync-edges comes with the rest.
const LONGEST = [
  'cli/shutdown', 'cli/lifecycle', 'web/a11y', 'cli/people', 'audit/cli', 'directory/sync', 'retention/cli',
  'keys/backup', 'cli/decommission', 'cli/demo', 'directory/fake-directory', 'timesheets/day-digest',
  'compliance/view-verification', 'identity/sign-in', 'cli/build', 'platform/tls', 'retention/ledger-start',
  'retention/ledger-restore', 'timesheets/browser', 'compliance/export-cli', 'capture/kill-durability',
  'capture/heartbeat-merge', 'privacy/alarm-suspected', 'mail/outbox', 'identity/session-cache',
];
const rank = (file) => {
  const m = /[\\/]\.test-build[\\/]test[\\/](.+)\.test\.js$/.exec(file);
  const i = m ? LONGEST.indexOf(m[1].replaceAll('\\', '/')) : -1;
  return i === -1 ? LONGEST.length : i;
};

// Three files at a time on two cores: a file waiting on a child process, PostgreSQL,
// Chromium or the clock leaves its core to the others (at two, the cores were busy about
// three quarters of the run). UURWERK_TEST_CONCURRENCY overrides it.
const concurrency = Number(process.env.UURWERK_TEST_CONCURRENCY || 3);

export default {
  // Stack traces point into the .ts sources (tsc writes the source maps).
  nodeArguments: ['--enable-source-maps'],
  workerThreads: false,
  files: suites[suite],
  timeout: '120s',
  concurrency,
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b, [], { numeric: true }),
};
