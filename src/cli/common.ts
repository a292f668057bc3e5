import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { ConfigError, loadConfig, type Config } from '../platform/config.js';
import { createKnex, migrationStatus, openDatabaseTarget, type Knex } from '../platform/db.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { openCoreServices, type CoreServices } from '../app/services.js';
import { chainForCli } from '../audit/chainer.js';
import { EXIT, out } from './output.js';

/** Thrown inside a command to end with a given exit code and message. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The `--config` option, wherever on the command line it was given. */
export function configFile(cmd: Command): string | undefined {
  return cmd.optsWithGlobals<{ config?: string }>().config;
}

/** Loads the configuration or ends the command with exit code 78 and every problem. */
export function loadConfigOrExit(file?: string): Readonly<Config> {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new ExitError(EXIT.config, err.message);
    throw err;
  }
}

/** Loads the configuration, or prints every problem and returns exit code 78. */
export function loadConfigOrReport(cmd: Command): Readonly<Config> | number {
  try {
    return loadConfig(configFile(cmd));
  } catch (err) {
    if (err instanceof ConfigError) {
      out.error(err.message);
      return EXIT.config;
    }
    throw err;
  }
}

/** Prints why a command cannot run on a database with pending migrations; true when it can. */
export async function migrationsCurrent(db: Knex): Promise<boolean> {
  const { pending } = await migrationStatus(db);
  if (pending.length === 0) return true;
  out.error(`the database has ${pending.length} pending migration(s); run \`uurwerk migrate\` first`);
  return false;
}

/** A logger for short commands: warnings and worse, unless debugging was asked for. */
export function quietLogger(config: Readonly<Config>): Logger {
  const level = config.log.level === 'debug' || config.log.level === 'trace' ? config.log.level : 'warn';
  return createLogger({ log: { ...config.log, level } });
}

/** Runs a short command against the database (embedded started and stopped around it). */
export async function withDatabase<T>(config: Readonly<Config>, logger: Logger, fn: (db: Knex, url: string) => Promise<T>): Promise<T> {
  const target = await openDatabaseTarget(config, logger);
  const db = createKnex(target.connection, config, 'uurwerk-cli');
  try {
    await chainForCli(db, logger); // group commit: what others staged is chained before the command reads the log
    return await fn(db, String(target.connection.connectionString));
  } finally {
    await chainForCli(db, logger); // ... and what the command staged, before it exits
    await db.destroy();
    await target.embedded?.stop();
  }
}

/** Like withDatabase, with the keyring opened and the key service and audit log ready. */
export async function withCoreServices<T>(config: Readonly<Config>, logger: Logger, fn: (db: Knex, services: CoreServices) => Promise<T>): Promise<T> {
  return withDatabase(config, logger, async (db) => fn(db, await openCoreServices(config, db, logger)));
}

/** The audit actor for a command run by this OS user. */
export function cliActorId(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // A uid without a passwd entry (containers) has no name.
    return `cli:uid-${process.getuid?.() ?? '?'}`;
  }
}

/**
 * Reads a secret for a command: from `--…-file FILE`, else from standard input (one
 * line), so it never appears in the process list or the shell history.
 */
export function readSecretInput(file: string | undefined, what: string): string {
  const text = file ? readFileSync(file, 'utf8') : readFileSync(0, 'utf8');
  const value = text.replace(/\r?\n$/, '');
  if (!value) throw new ExitError(EXIT.usage, `no ${what} given (use --${what}-file FILE or pipe it on standard input)`);
  return value;
}
