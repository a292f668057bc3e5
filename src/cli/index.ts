import { Command, CommanderError } from 'commander';
import { startAppliance, type Appliance } from '../app/appliance.js';
import { ConfigError, type Config } from '../platform/config.js';
import { migrateLatest, migrationStatus } from '../platform/db.js';
import { ALL_QUEUES } from '../app/jobs.js';
import { installJobSchema } from '../platform/jobs.js';
import { createLogger } from '../platform/logger.js';
import { retentionFindings } from '../retention/findings.js';
import { packageVersion } from '../platform/paths.js';
import { registerAuditCommands } from './audit.js';
import { registerBackupCommands } from './backup.js';
import { registerComplianceCommands } from './compliance.js';
import { registerDecommissionCommands } from './decommission.js';
import { registerDirectoryCommands } from './directory.js';
import { configFile, ExitError, loadConfigOrExit, withDatabase } from './common.js';
import { registerIdentityCommands } from './identity.js';
import { registerKeyCommands } from './keys.js';
import { registerPeopleCommands } from './people.js';
import { registerDemoCommands } from './demo.js';
import { firstStartHint, startedFromCheckout } from './first-start.js';
import { registerRetentionCommands } from './retention.js';
import { registerTlsCommands } from './tls.js';
import { keyCommandAuditHook, openCoreServices } from '../app/services.js';
import { EXIT, out } from './output.js';
import { preflight } from './preflight.js';

async function serve(file?: string): Promise<number> {
  let config: Readonly<Config>;
  try {
    config = await preflight(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new ExitError(EXIT.config, err.message);
    throw err;
  }
  const logger = createLogger(config);
  let appliance: Appliance;
  try {
    appliance = await startAppliance(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    await new Promise((r) => logger.flush(() => r(undefined)));
    return EXIT.failure;
  }
  // One line, only while no account exists, naming the command as this install runs it.
  const hint = await firstStartHint(appliance.db, startedFromCheckout(), file).catch(() => undefined);
  if (hint) logger.info({ hint: 'first_operator' }, hint);
  return new Promise<number>((resolve) => {
    let signals = 0;
    // Leaving without stopping the embedded PostgreSQL would leave it running with no
    // owner, so every early exit goes through abort() (bounded: pg_ctl may hang).
    const exitAfterAbort = (reason: string) => {
      setTimeout(() => process.exit(EXIT.failure), 35_000).unref();
      appliance.abort(reason).then(
        () => process.exit(EXIT.failure),
        (err: unknown) => {
          logger.error({ err }, 'could not stop the database');
          process.exit(EXIT.failure);
        },
      );
    };
    let first: { signal: NodeJS.Signals; at: number } | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      // Ctrl-C under `npm start` reaches us twice at once: from the terminal and
      // forwarded by npm. That is one request to stop, not an impatient second one.
      if (first && signal === first.signal && Date.now() - first.at < 250) return;
      first ??= { signal, at: Date.now() };
      signals++;
      if (signals === 2) {
        logger.warn({ signal }, 'second signal: stopping the database (fast mode) and exiting now');
        exitAfterAbort('second signal');
        return;
      }
      if (signals > 2) {
        logger.warn({ signal }, 'third signal: exiting without waiting for the database to stop');
        process.exit(EXIT.failure);
      }
      logger.info({ signal }, 'signal received');
      // stop() cuts in-flight work itself at the deadline; this is the last resort if
      // even that hangs.
      const hardStop = setTimeout(() => {
        logger.error('shutdown took too long; stopping the database and exiting');
        exitAfterAbort('shutdown took too long');
      }, (config.server.shutdown_timeout_seconds + 5) * 1000);
      hardStop.unref();
      appliance.stop().then(
        () => resolve(EXIT.ok),
        (err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          resolve(EXIT.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function migrate(file: string | undefined, status: boolean): Promise<number> {
  const config = loadConfigOrExit(file);
  const logger = createLogger({ log: { ...config.log, level: status ? 'warn' : config.log.level } });
  return withDatabase(config, logger, async (db, url) => {
    if (status) {
      const s = await migrationStatus(db);
      out.line(`applied: ${s.applied.length}`);
      for (const n of s.applied) out.line(`  [x] ${n}`);
      out.line(`pending: ${s.pending.length}`);
      for (const n of s.pending) out.line(`  [ ] ${n}`);
      return s.pending.length ? EXIT.failure : EXIT.ok;
    }
    const applied = await migrateLatest(db);
    await installJobSchema(url, logger, ALL_QUEUES);
    out.line(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
    return EXIT.ok;
  });
}

/** Builds the command tree; exported so tests can check every command has help. */
export function buildProgram(): Command {
  const program = new Command('uurwerk')
    .description('Uurwerk — self-hosted time tracking for regulated organisations')
    .version(packageVersion(), '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: $UURWERK_CONFIG, else built-in defaults)')
    .showHelpAfterError()
    .addHelpText('after', `
Exit codes: 0 success, 1 failure, 2 usage error, 78 configuration problem.
Every command accepts --help.`)
    .exitOverride();

  program
    .command('serve')
    .description('run the appliance: database (embedded unless database.url), migrations, jobs, HTTP server')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await serve(configFile(cmd));
    });

  program
    .command('migrate')
    .description('apply pending database migrations (or show them with --status)')
    .option('--status', 'list applied and pending migrations; exit 1 when any are pending')
    .action(async (opts: { status?: boolean }, cmd: Command) => {
      process.exitCode = await migrate(configFile(cmd), opts.status === true);
    });

  program
    .command('config:check')
    .description('validate the configuration file and print every problem, then warnings for retention settings below a legal minimum or longer than the default')
    .action(async (_opts, cmd: Command) => {
      const config = loadConfigOrExit(configFile(cmd));
      out.line(`configuration OK (data_dir ${config.data_dir}, listen ${config.server.host}:${config.server.port}, database ${config.database.url ? 'external' : 'embedded'})`);
      // Policy findings are warnings, not errors: a site may have its reasons (exit 0).
      for (const f of retentionFindings(config)) out.line(`warning: ${f.key}: ${f.message}`);
    });

  registerAuditCommands(program);
  registerBackupCommands(program);
  registerComplianceCommands(program);
  registerDecommissionCommands(program);
  registerDirectoryCommands(program, { audit: async (db, config, logger) => (await openCoreServices(config, db, logger)).audit });
  registerIdentityCommands(program);
  registerKeyCommands(program, { onKeyEvent: keyCommandAuditHook() });
  registerPeopleCommands(program);
  registerDemoCommands(program);
  registerRetentionCommands(program);
  registerTlsCommands(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Parses argv and runs the command; returns the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  try {
    process.exitCode = EXIT.ok;
    await program.parseAsync(argv);
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT.usage;
    }
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof ExitError) {
      out.error(err.message);
      return err.exitCode;
    }
    out.error(`uurwerk: ${(err as Error).message}`);
    return EXIT.failure;
  }
}
