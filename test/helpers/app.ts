import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { startAppliance, type Appliance, type StartOptions } from '../../src/app/appliance.js';
import { parseConfig, type Config } from '../../src/platform/config.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { testLogger } from './log.js';

/** A running appliance on its own database, for HTTP tests through the real server. */
export interface TestApp {
  app: Appliance;
  db: TestDatabase;
  config: Readonly<Config>;
  url: string;
  /** fetch() against the app, path relative to its root. */
  request(p: string, init?: RequestInit): Promise<Response>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Starts the real server (port 0) on a fresh test database; stops both at teardown. */
export async function startTestApp(t: ExecutionContext, overrides: DeepPartial<Config> & Record<string, unknown> = {}, opts: StartOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'uurwerk-app-'));
  const raw = {
    ...overrides,
    data_dir: dataDir,
    server: { port: 0, ...(overrides.server ?? {}) },
    database: { url: db.url, ...(overrides.database ?? {}) },
    log: { level: 'debug' },
    // The notice and confidentiality gates are tested in test/transparency/; elsewhere a
    // person is taken to have read them, unless a test asks for the gates.
    privacy: { require_acknowledgement: false, ...(overrides.privacy ?? {}) },
  };
  const config = parseConfig(raw, 'test');
  const app = await startAppliance(config, testLogger(t.title), { jobs: false, ...opts });
  t.teardown(async () => {
    await app.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    app, db, config, url: app.url,
    request: (p, init) => fetch(app.url + p, init),
  };
}
