import { chainForCli } from '../audit/chainer.js';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../platform/config.js';
import { createKnex, migrationStatus, type Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { Config } from '../platform/config.js';
import { keyCommandAuditHook } from '../app/services.js';
import { KeyringError } from '../keys/errors.js';
import {
  BackupError, backupDatabase, checkRestoredDatabaseDecrypts, findPgTools, openDumpTarget, replayAfterRestore, restoreDatabase,
} from '../ops/backup.js';
import { cliActorId, configFile, quietLogger } from './common.js';
import { EXIT, out } from './output.js';

/** Runs one backup/restore command, mapping known failures to exit codes and messages. */
async function guarded(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      out.error(err.message);
      return EXIT.config;
    }
    if (err instanceof BackupError) {
      out.error(`uurwerk: ${err.message}`);
      return EXIT.failure;
    }
    throw err;
  }
}

/**
 * After a restore whose keyring matches: replays the shred ledger, so data shredded
 * since the dump was made stays unreadable. Returns the exit code.
 */
async function replayShreds(db: Knex, config: Readonly<Config>, logger: Logger): Promise<number> {
  if ((await migrationStatus(db)).pending.length > 0) {
    out.line('shred ledger: replayed at the next start (the dump is older than this version; run `uurwerk migrate` first)');
    return EXIT.ok;
  }
  try {
    const r = await replayAfterRestore(db, config, { logger, onKeyEvent: keyCommandAuditHook(), actor: cliActorId() });
    const replayed = r.replayed.length
      ? `${r.replayed.length} data key(s) shredded since this dump destroyed again`
      : `none of its ${r.ledgerRecords} shredded key(s) came back with this dump`;
    out.line(`shred ledger: ${replayed}${r.caughtUp ? `; ${r.caughtUp} key(s) from the dump's tombstones added to the ledger` : ''}`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof KeyringError)) throw err;
    out.error(`uurwerk: ${err.message}`);
    return EXIT.failure;
  }
}

/** Registers `backup` and `restore` on the program. */
export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description('dump the database (pg_dump custom format) to a file; the keyring and its shred ledger are NOT included (use keys:backup)')
    .requiredOption('--out <file>', 'dump file to write (mode 0600; replaced only when the new dump is complete)')
    .option('--pg-bin-dir <dir>', 'directory holding pg_dump and pg_restore (default: $UURWERK_PG_BIN_DIR, PATH, /usr/lib/postgresql/*/bin)')
    .action(async (opts: { out: string; pgBinDir?: string }, cmd: Command) => {
      process.exitCode = await guarded(async () => {
        const config = loadConfig(configFile(cmd));
        const tools = findPgTools(opts.pgBinDir);
        const target = await openDumpTarget(config, quietLogger(config));
        try {
          const res = await backupDatabase(target, tools, opts.out);
          out.line(`backup written: ${res.file} (${res.bytes} bytes, ${res.entries} entries)`);
          out.line('the keyring is not in this file: keep a current `uurwerk keys:backup` alongside it');
          if (!res.recorded) out.line('warning: the backup could not be recorded in the database (backup_runs), so the backup-age alarm does not know of it');
          return EXIT.ok;
        } finally {
          await target.release();
        }
      });
    });

  program
    .command('restore')
    .description('replace the database with a dump made by `uurwerk backup`, check it decrypts with the keys at hand, and destroy again the data keys shredded since')
    .requiredOption('--in <file>', 'dump file written by `uurwerk backup`')
    .option('--force', 'restore even though other sessions (a running service) are connected')
    .option('--pg-bin-dir <dir>', 'directory holding pg_dump and pg_restore')
    .action(async (opts: { in: string; force?: boolean; pgBinDir?: string }, cmd: Command) => {
      process.exitCode = await guarded(async () => {
        const config = loadConfig(configFile(cmd));
        const tools = findPgTools(opts.pgBinDir);
        const logger = quietLogger(config);
        const target = await openDumpTarget(config, logger);
        try {
          const entries = await restoreDatabase(target, tools, opts.in, { force: opts.force === true });
          out.line(`restored ${entries} entries from ${opts.in}`);
          const db = createKnex({ connectionString: target.connectionString }, config, 'uurwerk-restore');
          try {
            const check = await checkRestoredDatabaseDecrypts(db, config, logger);
            if (check.status === 'mismatch') {
              out.error(`uurwerk: the restored database does NOT decrypt with the keyring in ${config.data_dir}: ${check.detail}`);
              out.error('restore the matching keyring (keys:restore) before starting the service');
              return EXIT.failure;
            }
            out.line(check.status === 'ok' ? `decryption check: OK (${check.detail})` : `decryption check: not performed — ${check.detail}`);
            if (check.status === 'ok') {
              const code = await replayShreds(db, config, logger);
              if (code !== EXIT.ok) return code;
            }
          } finally {
            await chainForCli(db, logger); // the replay's audit events go into the chain
            await db.destroy();
          }
          out.line('run `uurwerk migrate` if this dump comes from an older version, then start the service');
          return EXIT.ok;
        } finally {
          await target.release();
        }
      });
    });
}
