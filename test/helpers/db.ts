import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ExecutionContext } from 'ava';
import { createKnex, type Knex } from '../../src/platform/db.js';
import { TEMPLATE_DB, testPgAdminUrl } from './env.js';

/** A database of its own for one test file, cloned from the migrated template. */
export interface TestDatabase {
  name: string;
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPgAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `t_<random>` from the template (`CREATE DATABASE ... TEMPLATE ...`). */
export async function createTestDatabase(template = TEMPLATE_DB): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = testPgAdminUrl().replace(/\/postgres$/, `/${name}`);
  const knex = createKnex({ connectionString: url }, { database: { pool_max: 5, statement_timeout_ms: 30000 } } as never);
  return {
    name,
    url,
    knex,
    async drop() {
      await knex.destroy();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A test database dropped when the test (or the file, with `test.after`) ends. */
export async function useTestDatabase(t: ExecutionContext): Promise<TestDatabase> {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  return db;
}

/** An empty database (no migrations) for tests of the migration path itself. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  return createTestDatabase('template0');
}
