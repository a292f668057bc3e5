import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startAppliance } from '../../src/app/appliance.js';
import { openShredLedger } from '../../src/keys/ledger.js';
import { parseConfig } from '../../src/platform/config.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';

/**
 * The agent thread (capture.agent_port) is a second instance of a running appliance:
 * it must not replay the shred ledger at its start, as the main thread does. Beside
 * the main thread's live shreds a replay could read the ledger between a shred's
 * append and its commit and destroy that key "again" (src/app/services.ts). Here the
 * ledger names a key the database still holds — what a shred in flight looks like.
 */
test('an appliance started as the agent thread leaves the shred ledger alone; a main start replays it', async (t) => {
  const db = await useTestDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-agent-ledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig({ data_dir: dir, server: { port: 0 }, database: { url: db.url }, log: { level: 'warn' } }, 'test');
  const subject = randomUUID();

  let app = await startAppliance(config, testLogger(t.title), { jobs: false });
  await app.keys.encrypt(app.db, subject, { table: 'diary', column: 'note', rowId: 'd1' }, 'Gesprek bedrijfsarts', { year: 2025, purpose: 'record' });
  const [key] = await app.db('data_keys').where({ subject }).select('id');
  await openShredLedger(app.services.keyring.dir).record([{ keyId: key.id, subject, purpose: 'record', year: 2025, at: new Date().toISOString() }]);
  await app.stop();

  const live = async () => (await db.knex('data_keys').where({ id: key.id }).first()) !== undefined;
  app = await startAppliance(config, testLogger(t.title), { jobs: false, agentServer: true });
  await app.stop();
  t.true(await live(), 'the agent thread did not destroy the key');
  t.is((await db.knex('audit.events').where({ action: 'keys.shred_replayed' })).length, 0);

  app = await startAppliance(config, testLogger(t.title), { jobs: false });
  await app.stop();
  t.false(await live(), 'a main start replays the ledger (the setup above would have been destroyed)');
  t.is((await db.knex('audit.events').where({ action: 'keys.shred_replayed' })).length, 1);
});
