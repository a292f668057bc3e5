import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import { startAppliance } from '../../src/app/appliance.js';
import { KeyringError } from '../../src/keys/errors.js';
import { LEDGER_FILE, openShredLedger } from '../../src/keys/ledger.js';
import { destroyAgain } from '../../src/keys/replay.js';
import { createKeyService } from '../../src/keys/service.js';
import { parseConfig, type Config } from '../../src/platform/config.js';
import { createKnex } from '../../src/platform/db.js';
import { createLogger } from '../../src/platform/logger.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';

/** The start-up side of the shred ledger: lost, behind, torn, and two nodes at once. */

interface Site {
  dir: string;
  configFile: string;
  config: Readonly<Config>;
  ledgerFile: string;
}

function site(t: ExecutionContext, db: TestDatabase): Site {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-ledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, `data_dir: ${dir}/data\nserver:\n  port: 0\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  const config = parseConfig({ data_dir: `${dir}/data`, server: { port: 0 }, database: { url: db.url }, log: { level: 'debug' } }, 'test');
  return { dir, configFile, config, ledgerFile: path.join(dir, 'data', 'keys', LEDGER_FILE) };
}

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c.toString()); cb(); } });
  const logger = createLogger({ log: { level: 'debug', format: 'json' } }, sink);
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const ref = { table: 'diary', column: 'note', rowId: '1' };
// Options as variables: the purpose the keys service asks for since issue 12 (a record key).
const record2025 = { year: 2025, purpose: 'record' as const };

test('a missing ledger while the database shows shredding: the start is refused, naming the file and the way out; keys:ledger --rebuild-from-database is that way', async (t) => {
  const db = await useTestDatabase(t);
  const s = site(t, db);
  const app = await startAppliance(s.config, testLogger(t.title), { jobs: false });
  await app.keys.encrypt(app.db, 'acc-1', ref, 'x', record2025);
  await app.keys.shred(app.db, 'acc-1');
  await app.stop();
  rmSync(s.ledgerFile);

  const err = await t.throwsAsync(startAppliance(s.config, testLogger(t.title), { jobs: false }), { instanceOf: KeyringError });
  t.true(err!.message.includes(s.ledgerFile), err!.message);
  t.regex(err!.message, /missing or empty, but the database records 1 shredded data key/);
  t.regex(err!.message, /uurwerk keys:restore --in FILE/);
  t.regex(err!.message, /uurwerk keys:ledger --rebuild-from-database/);
  // An empty file counts as missing.
  writeFileSync(s.ledgerFile, '', { mode: 0o600 });
  await t.throwsAsync(startAppliance(s.config, testLogger(t.title), { jobs: false }), { instanceOf: KeyringError, message: /missing or empty/ });

  const serve = await runCli(['serve', '--config', s.configFile]);
  t.is(serve.code, 1);
  t.true(serve.stdout.concat(serve.stderr).includes(s.ledgerFile));

  const status = await runCli(['keys:ledger', '--config', s.configFile]);
  t.is(status.code, 1, status.stdout + status.stderr);
  t.regex(status.stdout, /PROBLEM: the ledger is missing or empty/);
  const rebuild = await runCli(['keys:ledger', '--rebuild-from-database', '--config', s.configFile]);
  t.is(rebuild.code, 0, rebuild.stderr);
  t.regex(rebuild.stdout, /1 key\(s\) appended from the database's tombstones/);
  t.deepEqual(openShredLedger(path.dirname(s.ledgerFile)).read().records.map((r) => [r.subject, r.year, r.purpose]), [['acc-1', 0, 'record']]);

  const again = await startAppliance(s.config, testLogger(t.title), { jobs: false });
  await again.stop();
  t.pass();
});

test('a ledger behind the database (another node shredded) is caught up at start and the start logs it', async (t) => {
  const db = await useTestDatabase(t);
  const s = site(t, db);
  const app = await startAppliance(s.config, testLogger(t.title), { jobs: false });
  await app.keys.encrypt(app.db, 'acc-1', ref, 'x', record2025);
  await app.keys.encrypt(app.db, 'acc-2', ref, 'x', record2025);
  await app.keys.shred(app.db, 'acc-1', 2025);
  // The other node's key service writes its own ledger, not this one.
  const otherNode = createKeyService(app.keyring, testLogger(t.title), { ledger: openShredLedger(path.join(s.dir)) });
  const acc2Key = (await app.db('data_keys').where({ subject: 'acc-2' }).first('id')) as { id: string };
  await otherNode.shred(app.db, 'acc-2', 2025);
  await app.stop();
  t.is(openShredLedger(path.dirname(s.ledgerFile)).read().records.length, 1);

  const { logger, lines } = capturingLogger();
  const again = await startAppliance(s.config, logger, { jobs: false });
  await again.stop();
  const records = openShredLedger(path.dirname(s.ledgerFile)).read().records;
  t.deepEqual(records.map((r) => r.subject), ['acc-1', 'acc-2']);
  t.is(records[1]!.keyId, acc2Key.id);
  t.is(records[1]!.year, 2025);
  const line = lines().find((l) => String(l.msg).includes('shred ledger was behind the database'));
  t.truthy(line);
  t.is(line!.keys, 1);
  t.false(JSON.stringify(lines()).includes('acc-2'), 'the log names no subject');
});

test('a torn last line in the ledger does not stop the start; the records before it still count', async (t) => {
  const db = await useTestDatabase(t);
  const s = site(t, db);
  const app = await startAppliance(s.config, testLogger(t.title), { jobs: false });
  await app.keys.encrypt(app.db, 'acc-1', ref, 'x', record2025);
  await app.keys.shred(app.db, 'acc-1', 2025);
  await app.stop();
  appendFileSync(s.ledgerFile, '{"keyId":"0b0c');

  const { logger, lines } = capturingLogger();
  const again = await startAppliance(s.config, logger, { jobs: false });
  await again.keys.encrypt(again.db, 'acc-2', ref, 'x', record2025);
  await again.keys.shred(again.db, 'acc-2', 2025);
  await again.stop();
  t.truthy(lines().find((l) => String(l.msg).includes('incomplete line')));
  t.false(openShredLedger(path.dirname(s.ledgerFile)).read().torn, 'the next append cut the torn line off');
  t.deepEqual(readFileSync(s.ledgerFile, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { subject: string }).subject), ['acc-1', 'acc-2']);
});

test('two nodes replaying the same ledger at once: each key destroyed once, one tombstone, one replay event', async (t) => {
  const db = await useTestDatabase(t);
  const s = site(t, db);
  const app = await startAppliance(s.config, testLogger(t.title), { jobs: false });
  await app.keys.encrypt(app.db, 'acc-1', ref, 'x', record2025);
  const key = (await app.db('data_keys').first('id')) as { id: string };
  const pool2 = createKnex({ connectionString: db.url }, s.config);
  t.teardown(() => pool2.destroy());
  const events: string[] = [];
  const opts = { logger: testLogger(t.title), onKeyEvent: async (_trx: unknown, e: { action: string }) => void events.push(e.action) };
  let second: Promise<string[]> | undefined;
  await app.db.transaction(async (trx) => {
    t.deepEqual(await destroyAgain(trx, [key.id], opts), [key.id]);
    // The second node starts while the first one's transaction is open: it waits on the row.
    second = destroyAgain(pool2, [key.id], opts);
    await new Promise((r) => setTimeout(r, 300));
  });
  t.deepEqual(await second, []);
  await app.stop();
  t.is((await db.knex('key_tombstones')).length, 1);
  t.deepEqual(events, ['keys.shred_replayed']);
});
