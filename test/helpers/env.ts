/** Names shared by the test runner and the per-file helpers. */
export const TEMPLATE_DB = 'uurwerk_template';

/** Admin URL (database `postgres`) of the run's PostgreSQL, set by test/run.ts. */
export function testPgAdminUrl(): string {
  const url = process.env.UURWERK_TEST_PG;
  if (!url) throw new Error('UURWERK_TEST_PG is not set: run tests through `npm test` (test/run.ts starts PostgreSQL)');
  return url;
}
