import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import { createCheckpoint } from '../audit/checkpoints.js';
import { exportAuditLog } from '../audit/export.js';
import { createAuditLog } from '../audit/service.js';
import { publicKeyFingerprint, verifyDatabase, verifyExportFile, type TrustedKey, type VerifyReport } from '../audit/verify.js';
import { KeyringError } from '../keys/errors.js';
import { openKeyring } from '../keys/lifecycle.js';
import type { DiskKeyring } from '../keys/keyring.js';
import { createKeyService } from '../keys/service.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { cliActorId, loadConfigOrReport, migrationsCurrent, quietLogger, withDatabase } from './common.js';
import { EXIT, out } from './output.js';
import { verifyDayDigests } from '../timesheets/day-digest.js';
import { recordVerifyRun } from '../compliance/verification.js';
import { systemClock } from '../platform/clock.js';
import { recordVerifyOutcome } from '../privacy/suspected.js';

interface Ctx {
  config: Readonly<Config>;
  db: Knex;
  keyring: DiskKeyring;
  logger: Logger;
}

function seqOption(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

/** Config → database (embedded started and stopped around it) → migrations checked → keyring opened → fn. */
async function withLog(cmd: Command, fn: (ctx: Ctx) => Promise<number>): Promise<number> {
  const config = loadConfigOrReport(cmd);
  if (typeof config === 'number') return config;
  const logger = quietLogger(config);
  return withDatabase(config, logger, async (db) => {
    if (!(await migrationsCurrent(db))) return EXIT.failure;
    let keyring: DiskKeyring;
    try {
      keyring = await openKeyring(config, db, { logger, create: false });
    } catch (err) {
      if (err instanceof KeyringError) {
        out.error(err.message);
        return EXIT.failure;
      }
      throw err;
    }
    return fn({ config, db, keyring, logger });
  });
}

function readPublicKeys(files: string[]): TrustedKey[] {
  return files.map((f) => {
    const publicKey: KeyObject = createPublicKey(readFileSync(f, 'utf8'));
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new InvalidArgumentError(`${f} is not an Ed25519 public key`);
    return { publicKey };
  });
}

/**
 * Of the locked days whose submit/approve event is missing, those locked before the
 * anchor checkpoint was signed: their events aged out (`retention.audit_events`
 * shorter than the days' own retention), so there is nothing left to compare with.
 * A day locked after the anchor without an event stays a problem.
 */
async function agedOutDays(db: Knex, anchorCheckpoint: number, dayIds: string[]): Promise<Set<string>> {
  if (!dayIds.length) return new Set();
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `SELECT d.id FROM timesheet_days d, audit.checkpoints c
     WHERE c.number = ? AND d.id = ANY(?::uuid[]) AND greatest(d.submitted_at, d.approved_at) < c.at`,
    [anchorCheckpoint, dayIds],
  );
  return new Set(rows.map((r) => r.id));
}

function printReport(r: VerifyReport, json: boolean): number {
  if (json) {
    out.line(JSON.stringify(r, null, 2));
    return r.ok ? EXIT.ok : EXIT.failure;
  }
  out.line(`events checked: ${r.eventsChecked} (seq ${r.from}..${r.to}); log ends at seq ${r.lastSeq}`);
  out.line(`checkpoints checked: ${r.checkpointsChecked}; signed up to seq ${r.lastCheckpointedSeq}`);
  if (r.anchor) out.line(`aged: events before seq ${r.anchor.firstSeq} were removed by retention; the chain is proved from checkpoint #${r.anchor.checkpoint}`);
  if (r.lastSeq > r.lastCheckpointedSeq) out.line(`note: seq ${r.lastCheckpointedSeq + 1}..${r.lastSeq} are not yet covered by a signed checkpoint`);
  if (r.ok) {
    out.line('audit log OK');
    return EXIT.ok;
  }
  out.error(`audit log FAILED verification: ${r.problems.length} problem(s)`);
  for (const p of r.problems) out.error(`  - [${p.kind}] ${p.message}`);
  return EXIT.failure;
}

/** Registers `audit:verify`, `audit:export`, `audit:checkpoint` and `audit:public-key`. */
export function registerAuditCommands(program: Command): void {
  program
    .command('audit:verify')
    .description('recompute the audit hash chain and check every signed checkpoint; exit 1 on any problem')
    .option('--from <seq>', 'first event to check (default 1)', seqOption)
    .option('--to <seq>', 'last event to check (default: the end of the log)', seqOption)
    .option('--file <file>', 'verify an `audit:export` file instead of the database (no database or keyring needed)')
    .option('--public-key <file>', 'trust this Ed25519 public key (PEM); repeatable; with --file it replaces the keys in the file', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `
Finds: an edited row (by seq), rows reordered, gaps, a deleted tail (the last signed
checkpoint points past the end of the log), altered or unsigned checkpoints; and,
against the database, every submitted or approved day whose content no longer matches
the digest its submit/approve event recorded (named by owner id and date).
Events after the last checkpoint can only be checked for consistency, not against a signature.`)
    .action(async (opts: { from?: number; to?: number; file?: string; publicKey: string[]; json?: boolean }, cmd: Command) => {
      if (opts.from && opts.to && opts.from > opts.to) {
        out.error('--from must not be greater than --to');
        process.exitCode = EXIT.usage;
        return;
      }
      const extra = readPublicKeys(opts.publicKey);
      if (opts.file) {
        if (opts.from || opts.to) {
          out.error('--from/--to apply to the database; an export file is always verified whole');
          process.exitCode = EXIT.usage;
          return;
        }
        const r = await verifyExportFile(opts.file, extra.length ? { keys: extra } : {});
        if (!opts.json) {
          const keys = extra.length ? extra.map((k) => publicKeyFingerprint(k.publicKey)) : (r.header?.public_keys ?? []).map((k) => k.fingerprint_sha256);
          out.line(`trusted signing key fingerprint(s) (sha256 of the public key): ${keys.join(', ') || 'none'}`);
          if (!extra.length) out.line('  compare these with the fingerprint obtained from the operator, or pass --public-key');
        }
        process.exitCode = printReport(r, opts.json === true);
        return;
      }
      process.exitCode = await withLog(cmd, async ({ config, db, keyring, logger }) => {
        const own = keyring.auditSigningKey();
        const r = await verifyDatabase(db, { from: opts.from, to: opts.to, keys: [{ keyId: own.keyId, publicKey: own.publicKey }, ...extra] });
        // Online only (it needs the data keys): every locked day against the digest its
        // submit or approve event recorded. The timesheets domain owns the check.
        const keys = createKeyService(keyring, logger);
        const days = await verifyDayDigests({ db, config, keys });
        const aged = r.anchor ? await agedOutDays(db, r.anchor.checkpoint, days.problems.filter((p) => p.seq === null).map((p) => p.dayId)) : new Set<string>();
        days.problems = days.problems.filter((p) => !(p.seq === null && aged.has(p.dayId)));
        days.ok = days.problems.length === 0;
        const skipped = [days.daysWithoutDigest ? `${days.daysWithoutDigest} locked before digests were recorded` : '', days.daysShredded ? `${days.daysShredded} of people whose keys were shredded` : '', aged.size ? `${aged.size} whose events aged out of the audit log` : ''].filter(Boolean);
        if (!opts.json) out.line(`locked days checked against their digest: ${days.daysChecked}${skipped.length ? ` (not checkable: ${skipped.join('; ')})` : ''}`);
        const problems = [...r.problems, ...days.problems.map((p) => ({ kind: 'content-changed' as const, ...(p.seq ? { seq: p.seq } : {}), message: p.message }))];
        await recordVerifyRun(db, 'cli', { ...r, problems }); // the auditor's view shows the last run (src/compliance)
        // A failure is a suspected breach: one entry in the register, mail to privacy officers and operators (issue 13).
        await recordVerifyOutcome({ db, config, keys, audit: createAuditLog(keys), clock: systemClock, keyring }, problems, !opts.from && !opts.to);
        return printReport({ ...r, ok: r.ok && days.ok, problems }, opts.json === true);
      });
    });

  program
    .command('audit:export')
    .description('write the audit log (events, checkpoints, public key) as JSON lines for offline verification with `audit:verify --file`')
    .requiredOption('--out <file>', 'file to create (refuses to overwrite; mode 0600)')
    .action(async (opts: { out: string }, cmd: Command) => {
      process.exitCode = await withLog(cmd, async ({ db, keyring }) => {
        const k = keyring.auditSigningKey();
        const counts = await exportAuditLog(db, opts.out, [{ keyId: k.keyId, publicKey: k.publicKey }]);
        // Export events carry no personal details, so this log never needs a data key.
        const refuse = (): never => {
          throw new Error('audit export events carry no personal details');
        };
        const audit = createAuditLog({ encrypt: refuse, decrypt: refuse, decryptMany: refuse, shred: refuse, encryptMany: refuse, dataKeysColumn: refuse, decryptEach: refuse, shredKeys: refuse, keySlots: refuse });
        await db.transaction((trx) => audit.record(trx, { action: AUDIT_ACTIONS.auditExported, actorId: cliActorId(), payload: { file: path.basename(opts.out), ...counts } }));
        out.line(`wrote ${counts.events} event(s) and ${counts.checkpoints} checkpoint(s) to ${opts.out}`);
        out.line(`signing key ${k.keyId}, fingerprint ${publicKeyFingerprint(k.publicKey)}`);
        return EXIT.ok;
      });
    });

  program
    .command('audit:checkpoint')
    .description('sign a checkpoint over the events appended since the last one now (the server does this hourly and at shutdown)')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await withLog(cmd, async ({ db, keyring }) => {
        const cp = await createCheckpoint(db, keyring);
        out.line(cp ? `checkpoint #${cp.number} signed over seq ${cp.first_seq}..${cp.last_seq}` : 'nothing new since the last checkpoint');
        return EXIT.ok;
      });
    });

  program
    .command('audit:public-key')
    .description('print the public key that signs audit checkpoints (PEM) and its fingerprint, for auditors')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await withLog(cmd, async ({ keyring }) => {
        const k = keyring.auditSigningKey();
        out.line(`# key id ${k.keyId}, sha256 fingerprint ${publicKeyFingerprint(k.publicKey)}`);
        out.line(k.publicKey.export({ type: 'spki', format: 'pem' }).toString().trimEnd());
        return EXIT.ok;
      });
    });
}
