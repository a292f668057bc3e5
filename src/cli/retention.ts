import type { Command } from 'commander';
import { applianceModules, retentionHandlers } from '../app/modules.js';
import type { CoreServices } from '../app/services.js';
import { systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { AppError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { Logger } from '../platform/logger.js';
import { createTransport } from '../platform/mail/delivery.js';
import type { RetentionCounts, RetentionHandler } from '../platform/retention.js';
import { erasePerson } from '../retention/erase.js';
import { addHold, listHolds, releaseHold } from '../retention/holds.js';
import { holdLine, holdTarget } from '../retention/presenter.js';
import { runRetention } from '../retention/run.js';
import { eraseBody, holdAddBody, holdReleaseBody } from '../retention/schema.js';
import { formatStatus, retentionStatus } from '../retention/status.js';
import { cliActorId, ExitError, loadConfigOrReport, migrationsCurrent, quietLogger, withCoreServices } from './common.js';
import { EXIT, out } from './output.js';

/** What a retention command works with. */
interface RetentionCliContext {
  db: Knex;
  config: Readonly<Config>;
  services: CoreServices;
  handlers: RetentionHandler[];
  logger: Logger;
}

/**
 * Runs a retention command: configuration, database (migrations current), keyring
 * and audit log, and the handlers of every module (built as the appliance builds
 * them, so the CLI forgets exactly what the job forgets). Service errors become
 * messages with exit code 1 (2 for bad input).
 */
async function withRetention(cmd: Command, fn: (c: RetentionCliContext) => Promise<number>): Promise<void> {
  const config = loadConfigOrReport(cmd);
  if (typeof config === 'number') {
    process.exitCode = config;
    return;
  }
  const logger = quietLogger(config);
  process.exitCode = await withCoreServices(config, logger, async (db, services) => {
    if (!(await migrationsCurrent(db))) return EXIT.failure;
    const modules = applianceModules({ db, config, logger, services, transport: createTransport(config.mail), tls: false });
    try {
      return await fn({ db, config, services, handlers: retentionHandlers(modules), logger });
    } catch (err) {
      if (err instanceof ValidationError) throw new ExitError(EXIT.usage, err.fields.map((f) => `${f.field}: ${f.message}`).join('\n'));
      if (err instanceof AppError && err.expose) throw new ExitError(EXIT.failure, err.message);
      throw err;
    }
  });
}

/** `2027-01-01` (midnight UTC) or a full ISO time; a usage error otherwise. */
function parseAsOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(d.getTime())) throw new ExitError(EXIT.usage, `--as-of: not a date: ${text} (use YYYY-MM-DD)`);
  return d;
}

function countText(c: RetentionCounts | undefined): string {
  const parts = Object.entries(c ?? {}).map(([k, v]) => `${v} ${k}`);
  return parts.length ? parts.join(', ') : 'nothing';
}

/** Registers `retention:status`, `retention:run`, `hold:add|list|release` and `erase`. */
export function registerRetentionCommands(program: Command): void {
  program
    .command('retention:status')
    .description('per category: setting, legal minimum, oldest data held, next due, held items, last run and its counts')
    .option('--json', 'print the status as JSON (the shape of GET /api/v1/retention)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRetention(cmd, async (c) => {
        const s = await retentionStatus(c.db, c.config.retention, c.handlers, systemClock);
        if (opts.json) out.line(JSON.stringify(s, null, 2));
        else for (const line of formatStatus(s)) out.line(line);
        return EXIT.ok;
      });
    });

  program
    .command('retention:run')
    .description('forget what has expired now, as the daily job does (or show it with --dry-run)')
    .option('--dry-run', 'count what would go and what legal holds keep; change nothing')
    .option('--as-of <date>', 'work as of this date (YYYY-MM-DD); a future date only with --dry-run')
    .action(async (opts: { dryRun?: boolean; asOf?: string }, cmd: Command) => {
      const asOf = parseAsOf(opts.asOf);
      if (asOf && asOf.getTime() > Date.now() && !opts.dryRun) {
        throw new ExitError(EXIT.usage, `--as-of ${opts.asOf} lies in the future: that is only allowed with --dry-run (data is never deleted before its time)`);
      }
      await withRetention(cmd, async (c) => {
        const r = await runRetention({ db: c.db, retention: c.config.retention, handlers: c.handlers, audit: c.services.audit, logger: c.logger, clock: systemClock }, { dryRun: opts.dryRun === true, asOf, startedBy: cliActorId() });
        if (r.status === 'skipped') {
          out.line('another retention run is in progress (on this or another node); nothing was done');
          return EXIT.ok;
        }
        out.line(`${r.dryRun ? 'dry run' : `run ${r.status}`} as of ${r.asOf.toISOString()}${r.recovered ? ` (closed ${r.recovered} interrupted run(s) as failed)` : ''}`);
        for (const [category, counts] of Object.entries(r.counts)) {
          out.line(`  ${category}: ${r.dryRun ? 'due' : 'removed'} ${countText(counts)}${r.dryRun ? `; held ${countText(r.held[category])}` : ''}`);
        }
        for (const e of r.errors) out.error(`failed: ${e} (see the log)`);
        if (r.dryRun) out.line('nothing was changed (dry run)');
        return r.status === 'done' ? EXIT.ok : EXIT.failure;
      });
    });

  program
    .command('hold:add')
    .description('put a legal hold on a person, project, customer or date range: nothing it covers is deleted until it ends')
    .option('--person <id>', 'account id')
    .option('--project <id>', 'project id')
    .option('--customer <id>', 'customer id')
    .option('--from <date>', 'first day of a date range (YYYY-MM-DD)')
    .option('--to <date>', 'last day of a date range (YYYY-MM-DD)')
    .requiredOption('--reason <text>', 'why (kept with the hold; 1-500 characters)')
    .requiredOption('--until <date>', 'last day the hold is in force (YYYY-MM-DD)')
    .action(async (opts: Record<string, string | undefined>, cmd: Command) => {
      await withRetention(cmd, async (c) => {
        const body = validate(holdAddBody, { person: opts.person, project: opts.project, customer: opts.customer, from: opts.from, to: opts.to, reason: opts.reason, until: opts.until });
        const hold = await addHold(c.db, c.services.audit, cliActorId(), { target: holdTarget(body), reason: body.reason, endsOn: body.until }, systemClock.now());
        out.line(`legal hold ${hold.id} set (${hold.kind}, until ${hold.ends_on})`);
        return EXIT.ok;
      });
    });

  program
    .command('hold:list')
    .description('list the legal holds in force (--all: released ones too)')
    .option('--all', 'include released holds')
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      await withRetention(cmd, async (c) => {
        const holds = await listHolds(c.db, { all: opts.all === true });
        if (holds.length === 0) out.line('no legal holds');
        for (const h of holds) out.line(holdLine(h));
        return EXIT.ok;
      });
    });

  program
    .command('hold:release')
    .description('release a legal hold; what it kept is deleted by the next run once due')
    .argument('<id>', 'the hold id (see hold:list)')
    .requiredOption('--reason <text>', 'why it is released (1-500 characters)')
    .action(async (id: string, opts: { reason: string }, cmd: Command) => {
      await withRetention(cmd, async (c) => {
        const body = validate(holdReleaseBody, { reason: opts.reason });
        await releaseHold(c.db, c.services.audit, cliActorId(), id, body.reason);
        out.line(`legal hold ${id} released`);
        return EXIT.ok;
      });
    });

  program
    .command('erase')
    .description('erase what no legal duty keeps about a person now, and restrict the rest until its retention ends')
    .requiredOption('--person <id>', 'account id')
    .requiredOption('--reason <text>', 'why (stored encrypted under the person\'s key in the audit event)')
    .option('--dry-run', 'count what would be erased; change nothing (also for a held person)')
    .action(async (opts: { person: string; reason: string; dryRun?: boolean }, cmd: Command) => {
      await withRetention(cmd, async (c) => {
        const body = validate(eraseBody, { reason: opts.reason });
        const r = await erasePerson({ db: c.db, audit: c.services.audit, handlers: c.handlers, clock: systemClock }, { personId: opts.person, reason: body.reason, dryRun: opts.dryRun === true, actorId: cliActorId() });
        out.line(`${r.dryRun ? 'dry run: would erase' : 'erased'} for ${r.personId}:`);
        for (const [category, counts] of Object.entries(r.counts)) out.line(`  ${category}: ${countText(counts)}`);
        out.line(r.dryRun ? 'nothing was changed (dry run)' : 'the account is restricted: what a legal duty keeps is only stored until its retention ends');
        return EXIT.ok;
      });
    });
}
