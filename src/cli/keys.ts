import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { cliActorId, loadConfigOrReport, migrationsCurrent, quietLogger, withDatabase } from './common.js';
import { backupKeyring, restoreKeyring, MIN_PASSPHRASE_LENGTH } from '../keys/backup.js';
import { DecryptError, KeyringError } from '../keys/errors.js';
import { keyringDir, keyringPresent } from '../keys/keyring.js';
import { openShredLedger } from '../keys/ledger.js';
import { initKeyring, keyStatus, openKeyring, retireKek, rotateKek, type KeyOpsOptions } from '../keys/lifecycle.js';
import { MISSING_LEDGER_FIX, rebuildLedgerFromDatabase, tombstonedKeys } from '../keys/replay.js';
import type { KeyEventHook } from '../keys/types.js';
import { EXIT, out } from './output.js';

/** What the key commands need from outside the keys domain. */
export interface KeyCommandDeps {
  /** Records key operations in the audit log (wired by the lead to `audit.record`). */
  onKeyEvent?: KeyEventHook;
}

interface Ctx {
  config: Readonly<Config>;
  db: Knex;
  logger: Logger;
  ops: KeyOpsOptions;
}

/**
 * Runs one key command: configuration, database (embedded started and stopped
 * around it), a check that migrations are applied, then `fn`. Keyring problems end
 * with exit 1 and their message (which names the path and the fix).
 */
async function run(cmd: Command, deps: KeyCommandDeps, fn: (ctx: Ctx) => Promise<number>): Promise<number> {
  const config = loadConfigOrReport(cmd);
  if (typeof config === 'number') return config;
  const logger = quietLogger(config);
  return withDatabase(config, logger, async (db) => {
    if (!(await migrationsCurrent(db))) return EXIT.failure;
    try {
      return await fn({ config, db, logger, ops: { logger, onKeyEvent: deps.onKeyEvent, actor: cliActorId() } });
    } catch (err) {
      if (err instanceof KeyringError || err instanceof DecryptError) {
        out.error(`uurwerk: ${err.message}`);
        return EXIT.failure;
      }
      throw err;
    }
  });
}

/** Reads a passphrase from `--passphrase-file` or from stdin (piped), dropping one trailing newline. */
async function readPassphrase(file?: string): Promise<string> {
  if (file) return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (process.stdin.isTTY) {
    throw new KeyringError('no passphrase given', 'pipe it on stdin (`uurwerk keys:backup --out F < passphrase.txt`) or pass --passphrase-file FILE');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!text) throw new KeyringError('the passphrase read from stdin is empty');
  return text;
}

/** Registers `keys:init`, `keys:status`, `keys:rotate`, `keys:retire`, `keys:backup`, `keys:restore`, `keys:ledger`. */
export function registerKeyCommands(program: Command, deps: KeyCommandDeps = {}): void {
  const set = (code: number) => {
    process.exitCode = code;
  };

  program
    .command('keys:init')
    .description('create the keyring (KEK v1 and the audit signing key) and register it with the database')
    .action(async (_opts, cmd: Command) => set(await run(cmd, deps, async ({ config, db, ops }) => {
      const keyring = await initKeyring(db, keyringDir(config), ops);
      out.line(`keyring created in ${keyring.dir} (KEK v1, audit signing key ${keyring.auditSigningKey().keyId})`);
      out.line('Back it up now, apart from database backups: uurwerk keys:backup --out FILE');
      return EXIT.ok;
    })));

  program
    .command('keys:status')
    .description('show the keyring, its permissions and how the database uses it; exit 1 on any problem')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => set(await run(cmd, deps, async ({ config, db, ops }) => {
      const s = await keyStatus(db, keyringDir(config), ops);
      if (opts.json) {
        out.line(JSON.stringify(s, null, 2));
      } else {
        out.line(`keyring:          ${s.dir}`);
        out.line(`permissions:      ${s.permissions}`);
        out.line(`KEKs on disk:     ${s.onDisk.map((v) => `v${v}`).join(', ') || '(none)'}`);
        out.line(`KEKs in database: ${s.inDatabase.map((v) => `v${v}`).join(', ') || '(none)'}; active: ${s.activeVersion ? `v${s.activeVersion}` : '(none)'}`);
        out.line(`data keys:        ${Object.entries(s.dataKeysByKek).map(([v, n]) => `${n} wrapped by ${v}`).join(', ') || '(none)'}`);
        out.line(`shredded:         ${s.tombstones} tombstone(s)`);
        out.line(`signing key:      ${s.signingKeyId ?? '(unavailable)'}`);
        for (const p of s.problems) out.line(`PROBLEM: ${p}`);
      }
      return s.problems.length ? EXIT.failure : EXIT.ok;
    })));

  program
    .command('keys:rotate')
    .description('make a new KEK version and re-wrap every data key with it (data is not re-encrypted); the old KEK stays decrypt-only')
    .action(async (_opts, cmd: Command) => set(await run(cmd, deps, async ({ config, db, ops }) => {
      const keyring = await openKeyring(config, db, { ...ops, create: false });
      const from = keyring.activeVersion;
      const { version, rewrapped } = await rotateKek(db, keyring, ops);
      out.line(`KEK rotated: v${from} -> v${version}; ${rewrapped} data key(s) re-wrapped`);
      out.line(`v${from} is kept for decryption only. Make a new backup (uurwerk keys:backup), then destroy it with: uurwerk keys:retire ${from}`);
      return EXIT.ok;
    })));

  // `--version` is taken by the program (`uurwerk --version` prints the version and
  // wins wherever it appears), so the KEK version is an argument or --kek-version.
  const kekVersion = (v: string) => {
    const n = Number(v.replace(/^v/, ''));
    if (!Number.isInteger(n) || n < 1) throw new Error('the KEK version must be a positive integer, e.g. 1 or v1');
    return n;
  };
  program
    .command('keys:retire')
    .description('destroy an old KEK version once no data key is wrapped by it (leftovers are re-wrapped first): keys:retire 1, or --kek-version 1')
    .argument('[version]', 'KEK version to destroy (1 or v1)')
    .option('--kek-version <n>', 'KEK version to destroy (same as the argument)')
    .action(async (arg: string | undefined, opts: { kekVersion?: string }, cmd: Command) => {
      const given = arg ?? opts.kekVersion;
      if (given === undefined) {
        out.error('keys:retire: give the KEK version to destroy, e.g. `uurwerk keys:retire 1`');
        return set(EXIT.usage);
      }
      let version: number;
      try {
        version = kekVersion(given);
      } catch (err) {
        out.error(`keys:retire: ${(err as Error).message}`);
        return set(EXIT.usage);
      }
      set(await run(cmd, deps, async ({ config, db, ops }) => {
        const keyring = await openKeyring(config, db, { ...ops, create: false });
        const { rewrapped } = await retireKek(db, keyring, version, ops);
        out.line(`KEK v${version} destroyed${rewrapped ? ` (${rewrapped} leftover data key(s) re-wrapped first)` : ''}`);
        out.line('Keyring backups made before now still hold it; destroy those too if the key must be gone everywhere.');
        return EXIT.ok;
      }));
    });

  program
    .command('keys:backup')
    .description('write the whole keyring as one passphrase-protected file (scrypt + AES-256-GCM), for escrow apart from database backups')
    .requiredOption('--out <file>', 'backup file to create (mode 0600; never overwritten)')
    .option('--passphrase-file <file>', `file holding the passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters); default: read from stdin`)
    .action(async (opts: { out: string; passphraseFile?: string }, cmd: Command) => set(await run(cmd, deps, async ({ config, db, ops }) => {
      const file = path.resolve(opts.out);
      if (existsSync(file)) throw new KeyringError(`${file} already exists; refusing to overwrite it`);
      const passphrase = await readPassphrase(opts.passphraseFile);
      const keyring = await openKeyring(config, db, { ...ops, create: false });
      const text = await backupKeyring(db, keyring, passphrase, { ...ops, file });
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      out.line(`keyring (KEK ${keyring.versions().map((v) => `v${v}`).join(', ')}, audit signing key, shred ledger of ${openShredLedger(keyring.dir).read().records.length} key(s)) written to ${file}`);
      out.line('Keep it and its passphrase apart from database backups; without both, encrypted data cannot be recovered.');
      return EXIT.ok;
    })));

  program
    .command('keys:restore')
    .description('restore the keyring from a keys:backup file and check it against the database')
    .requiredOption('--in <file>', 'backup file')
    .option('--passphrase-file <file>', 'file holding the passphrase; default: read from stdin')
    .option('--force', 'overwrite the keys of an existing keyring')
    .action(async (opts: { in: string; passphraseFile?: string; force?: boolean }, cmd: Command) => set(await run(cmd, deps, async ({ config, db, ops }) => {
      const file = path.resolve(opts.in);
      const text = readFileSync(file, 'utf8');
      const passphrase = await readPassphrase(opts.passphraseFile);
      const keyring = await restoreKeyring(db, keyringDir(config), text, passphrase, { ...ops, file, force: opts.force === true });
      out.line(`keyring restored to ${keyring.dir} (KEK ${keyring.versions().map((v) => `v${v}`).join(', ')}); it matches the database`);
      out.line(`shred ledger: the backup's records merged with the ledger on disk (now ${openShredLedger(keyring.dir).read().records.length} key(s)); the next start destroys again any of them the database still holds`);
      return EXIT.ok;
    })));

  program
    .command('keys:ledger')
    .description('show the shred ledger beside the keyring against the database; --rebuild-from-database appends the keys its tombstones name')
    .option('--rebuild-from-database', 'append every key the database records as shredded that the ledger lacks (only when this database is the latest state)')
    .action(async (opts: { rebuildFromDatabase?: boolean }, cmd: Command) => set(await run(cmd, deps, async ({ config, db }) => {
      const dir = keyringDir(config);
      if (!keyringPresent(dir)) throw new KeyringError(`no keyring at ${dir}`, 'restore it with `uurwerk keys:restore --in FILE`');
      const ledger = openShredLedger(dir);
      if (opts.rebuildFromDatabase) {
        const { appended } = await rebuildLedgerFromDatabase(db, ledger);
        out.line(`shred ledger ${ledger.file}: ${appended} key(s) appended from the database's tombstones`);
        return EXIT.ok;
      }
      const { records, torn } = ledger.read();
      const inLedger = new Set(records.map((r) => r.keyId));
      const shredded = await tombstonedKeys(db);
      const back = (await db.raw('SELECT count(*)::int AS n FROM data_keys WHERE id = ANY(?::uuid[])', [[...inLedger]])) as { rows: Array<{ n: number }> };
      const stillThere = back.rows[0]?.n ?? 0;
      out.line(`shred ledger:         ${ledger.file}`);
      out.line(`keys in ledger:       ${inLedger.size}${torn ? ' (an incomplete last line is ignored)' : ''}`);
      out.line(`shredded in database: ${shredded.length}; not yet in the ledger: ${shredded.filter((k) => !inLedger.has(k.keyId)).length} (appended at the next start)`);
      out.line(`back in the database: ${stillThere} (destroyed again at the next start)`);
      if (inLedger.size === 0 && shredded.length > 0) {
        out.line(`PROBLEM: the ledger is missing or empty while the database records shredding; the appliance will not start. Fix: ${MISSING_LEDGER_FIX}`);
        return EXIT.failure;
      }
      return EXIT.ok;
    })));
}
