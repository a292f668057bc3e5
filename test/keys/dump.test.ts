import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { rotateKek } from '../../src/keys/lifecycle.js';
import { createKeyService, unwrapDataKey } from '../../src/keys/service.js';
import type { DataKeyRow } from '../../src/keys/repository.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { freshKeyring } from './helpers.js';

const run = promisify(execFile);

/** Every textual form a key could take in a dump or a log line. */
function forms(bytes: Buffer): string[] {
  return [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('latin1')];
}

test('a pg_dump of the database and the log output contain no KEK, no unwrapped data key and no plaintext of an encrypted value', async (t) => {
  const db = await useTestDatabase(t);
  const logger = testLogger(t.title);
  const { keyring } = await freshKeyring(t, db.knex);
  const keys = createKeyService(keyring, logger);
  await db.knex.raw('CREATE TABLE diary (id text PRIMARY KEY, subject text NOT NULL, note text NOT NULL)');
  const secrets = ['Afspraak bij de psycholoog om 15:00', 'Zwangerschapsecho, vrij genomen', 'Gesprek met vakbond over ontslag'];
  for (const [i, secret] of secrets.entries()) {
    const id = `row-${i}`;
    await db.knex('diary').insert({ id, subject: `emp-${i}`, note: await keys.encrypt(db.knex, `emp-${i}`, { table: 'diary', column: 'note', rowId: id }, secret, { year: 2025 + (i % 2), purpose: 'record' }) });
  }
  await keys.shred(db.knex, 'emp-0');
  await rotateKek(db.knex, keyring, { logger });

  const material = keyring.exportMaterial();
  const keks = [...material.keks.values()];
  t.is(keks.length, 2);
  const deks = (await db.knex<DataKeyRow>('data_keys').select('*')).map((row) => unwrapDataKey(keyring, row));
  t.is(deks.length, 2);

  const { stdout: dump } = await run('/usr/bin/pg_dump', ['--no-owner', '--dbname', db.url], { maxBuffer: 64 * 1024 * 1024 });
  // The dump really holds the encrypted rows, wrapped keys and canaries (so the check below means something).
  t.regex(dump, /COPY public\.diary/);
  t.regex(dump, /uk1\.[0-9a-f-]{36}\./);
  t.regex(dump, /COPY public\.data_keys/);
  t.regex(dump, /COPY public\.key_canaries/);
  t.true(dump.includes('emp-1'), 'subject ids are pseudonymous and do appear');

  const signingPem = material.signingKeyPem.replace(/-----[A-Z ]+-----|\s/g, '');
  const needles: Array<[string, string]> = [
    ...keks.flatMap((k, i) => forms(k).map((f): [string, string] => [`KEK ${i}`, f])),
    ...deks.flatMap((k, i) => forms(k).map((f): [string, string] => [`DEK ${i}`, f])),
    ...secrets.map((s, i): [string, string] => [`plaintext ${i}`, s]),
    ['signing key', signingPem],
  ];
  for (const [what, needle] of needles) t.false(dump.includes(needle), `${what} found in pg_dump`);

  // Everything this test run has logged so far (this worker's file and any other).
  const logDir = process.env.UURWERK_TEST_LOG_DIR ?? '';
  t.true(existsSync(logDir));
  const logs = readdirSync(logDir).map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('\n');
  t.regex(logs, /KEK rotated/, 'the key operations were logged');
  for (const [what, needle] of needles) t.false(logs.includes(needle), `${what} found in the log output`);
});
