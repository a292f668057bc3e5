import type { Command } from 'commander';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { formatDiff, formatStatus } from '../directory/presenter.js';
import { recentRuns, syncState } from '../directory/repository.js';
import { runDirectorySync, type AuditRecorder } from '../directory/service.js';
import { cliActorId, loadConfigOrReport, quietLogger, withDatabase } from './common.js';
import { EXIT, out } from './output.js';

/** How the CLI gets the audit log; the lead wires the real one (src/audit) in. */
export interface DirectoryCliDeps {
  audit?: (db: Knex, config: Readonly<Config>, logger: Logger) => Promise<AuditRecorder>;
}

/** Registers `ldap:sync` and `ldap:status`. */
export function registerDirectoryCommands(program: Command, deps: DirectoryCliDeps = {}): void {
  program
    .command('ldap:sync')
    .description('sync accounts and roles from the directory now (changes nothing with --dry-run)')
    .option('--dry-run', 'print what would change (created, updated, disabled, re-enabled, deactivated, role changes) and change nothing')
    .option('--full', 'full reconcile: read every user (finds deleted users) instead of changes since the last sync')
    .option('--confirm-mass-change', 'apply a sync the safety valve would hold back (zero users, or more deactivations than allowed)')
    .action(async (opts: { dryRun?: boolean; full?: boolean; confirmMassChange?: boolean }, cmd: Command) => {
      const config = loadConfigOrReport(cmd);
      if (typeof config === 'number') {
        process.exitCode = config;
        return;
      }
      if (config.directory.urls.length === 0) {
        out.error('no directory configured: set directory.urls (see config.example.yaml)');
        process.exitCode = EXIT.config;
        return;
      }
      const logger = quietLogger(config);
      process.exitCode = await withDatabase(config, logger, async (db) => {
        let audit: AuditRecorder;
        if (opts.dryRun) {
          // A dry run writes nothing, so it records nothing either.
          const refuse = async (): Promise<never> => { throw new Error('a dry run must not record audit events'); };
          audit = { record: refuse, recordMany: refuse };
        } else if (deps.audit) {
          audit = await deps.audit(db, config, logger);
        } else {
          out.error('ldap:sync needs the audit log, which is not wired into this build yet; only --dry-run is available');
          return EXIT.failure;
        }
        const r = await runDirectorySync(db, { config: config.directory, audit, logger }, {
          dryRun: opts.dryRun === true, full: opts.full === true, confirmMassChange: opts.confirmMassChange === true,
          trigger: 'cli', actorId: cliActorId(),
        });
        out.line(`${r.outcome === 'dry_run' ? 'dry run' : r.outcome} (${r.mode}, ${r.serverUrl ?? 'no server'}, ${r.durationMs} ms)`);
        if (r.problem) out.line(`problem (${r.problem.code}): ${r.problem.message}`);
        if (r.diff) for (const line of formatDiff(r.diff)) out.line(line);
        if (r.outcome === 'dry_run') out.line('nothing was changed (dry run)');
        if (r.operatorsMailed) out.line('the operators were mailed');
        if (r.outcome === 'skipped') out.line('another directory sync is running (another node or process); nothing was done');
        return r.outcome === 'applied' || r.outcome === 'dry_run' || r.outcome === 'skipped' ? EXIT.ok : EXIT.failure;
      });
    });

  program
    .command('ldap:status')
    .description('show the last directory syncs: when, how long, counts, errors and any pending (held back) changes')
    .option('--runs <n>', 'how many recent runs to list', '5')
    .action(async (opts: { runs: string }, cmd: Command) => {
      const config = loadConfigOrReport(cmd);
      if (typeof config === 'number') {
        process.exitCode = config;
        return;
      }
      const logger = quietLogger(config);
      const n = Math.max(1, Math.min(100, Number.parseInt(opts.runs, 10) || 5));
      process.exitCode = await withDatabase(config, logger, async (db) => {
        const lines = formatStatus(config.directory, await syncState(db), await recentRuns(db, n));
        for (const line of lines) out.line(line);
        const last = (await recentRuns(db, 1))[0];
        return last && last.outcome !== 'applied' ? EXIT.failure : EXIT.ok;
      });
    });
}
