import path from 'node:path';
import type { Command } from 'commander';
import { applianceModules, retentionHandlers } from '../app/modules.js';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import { publicKeyFingerprint } from '../audit/verify.js';
import { complianceExtraFiles } from '../compliance/export-extras.js';
import { buildComplianceBundle } from '../compliance/export-bundle.js';
import { parsePeriod } from '../compliance/export-period.js';
import type { Role } from '../identity/repository.js';
import { systemClock } from '../platform/clock.js';
import { ValidationError } from '../platform/errors.js';
import { createTransport } from '../platform/mail/delivery.js';
import { cliActorId, ExitError, loadConfigOrReport, migrationsCurrent, quietLogger, withCoreServices } from './common.js';
import { EXIT, out } from './output.js';

/** Registers `compliance:export`. */
export function registerComplianceCommands(program: Command): void {
  program
    .command('compliance:export')
    .description('write the signed compliance export (zip: audit events of the period with their checkpoints, measures, registers, retention, manifest and signature) for an auditor')
    .requiredOption('--out <file>', 'zip file to create (refuses to overwrite; mode 0600)')
    .option('--from <date>', 'first day of the period (YYYY-MM-DD, UTC; default: the start of the log)')
    .option('--to <date>', 'last day of the period (YYYY-MM-DD, UTC, included; default: now)')
    .addHelpText('after', `
The README.txt inside the zip gives the exact openssl and sha256sum commands that verify
it without Uurwerk. The signing key is the audit signing key (\`uurwerk audit:public-key\`).`)
    .action(async (opts: { out: string; from?: string; to?: string }, cmd: Command) => {
      let period;
      try {
        period = parsePeriod({ from: opts.from, to: opts.to });
      } catch (err) {
        if (err instanceof ValidationError) throw new ExitError(EXIT.usage, err.fields.map((f) => `--${f.field}: ${f.message}`).join('\n'));
        throw err;
      }
      const config = loadConfigOrReport(cmd);
      if (typeof config === 'number') {
        process.exitCode = config;
        return;
      }
      const logger = quietLogger(config);
      process.exitCode = await withCoreServices(config, logger, async (db, services) => {
        if (!(await migrationsCurrent(db))) return EXIT.failure;
        const modules = applianceModules({ db, config, logger, services, transport: createTransport(config.mail), tls: false });
        const actorId = cliActorId();
        const actor = { accountId: actorId, roles: new Set<Role>(['auditor']), teams: new Set<string>() };
        const deps = { db, config, keys: services.keys, audit: services.audit, clock: systemClock, keyring: services.keyring, ledger: services.ledger, handlers: retentionHandlers(modules) };
        const r = await buildComplianceBundle({ ...deps, extraFiles: complianceExtraFiles(deps) }, period, opts.out, actor);
        await db.transaction((trx) => services.audit.record(trx, {
          action: AUDIT_ACTIONS.complianceExportWritten, actorId,
          payload: { file: path.basename(opts.out), from: period.from, to: period.to, events: r.events, checkpoints: r.checkpoints, bytes: r.bytes, manifest_sha256: r.manifestSha256 },
        }));
        const k = services.keyring.auditSigningKey();
        out.line(`wrote ${r.events} event(s), ${r.checkpoints} checkpoint(s) and ${Object.keys(r.files).length} file(s) to ${opts.out} (${r.bytes} bytes)`);
        out.line(`manifest sha256 ${r.manifestSha256}; signed by key ${k.keyId}, fingerprint ${publicKeyFingerprint(k.publicKey)}`);
        return EXIT.ok;
      });
    });
}
