import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { MIN_PASSPHRASE_LENGTH } from '../keys/backup.js';
import { ArchiveError, openArchive, sealArchive } from '../ops/decommission-archive.js';
import { collectArchive, destroyAll, prepareStatement, verifyStatement, type DecommissionStatement } from '../ops/decommission.js';
import { cliActorId, loadConfigOrReport, migrationsCurrent, quietLogger, withCoreServices } from './common.js';
import { EXIT, out } from './output.js';

/** Reads a passphrase from `--passphrase-file` or piped standard input, dropping one trailing newline (as `keys:backup`). */
async function readPassphrase(file?: string): Promise<string | null> {
  if (file) return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (process.stdin.isTTY) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '') || null;
}

/** Writes a new file (mode 0600), never over an existing one. */
function writeNew(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

interface DecommissionOpts {
  out: string;
  passphraseFile?: string;
  confirm?: string;
}

async function decommission(opts: DecommissionOpts, cmd: Command): Promise<number> {
  const config = loadConfigOrReport(cmd);
  if (typeof config === 'number') return config;
  const expected = config.ui.organisation_name;
  const archiveFile = path.resolve(opts.out);
  const statementFile = `${archiveFile}.statement.json`;
  for (const f of [archiveFile, statementFile]) {
    if (existsSync(f)) {
      out.error(`decommission: ${f} already exists; refusing to overwrite it`);
      return EXIT.usage;
    }
  }
  // A wrong confirmation given up front stops everything before anything is written.
  if (opts.confirm !== undefined && opts.confirm.trim() !== expected) {
    out.error(`decommission: the confirmation does not match the organisation name (ui.organisation_name); nothing was changed`);
    return EXIT.failure;
  }
  if (opts.confirm === undefined && (!opts.passphraseFile || !process.stdin.isTTY)) {
    out.error('decommission: give --confirm "<organisation name>", or run it at a terminal with --passphrase-file to type the confirmation');
    return EXIT.usage;
  }
  const passphrase = await readPassphrase(opts.passphraseFile);
  if (!passphrase) {
    out.error('decommission: no passphrase given; pipe it on standard input or pass --passphrase-file FILE');
    return EXIT.usage;
  }
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    out.error(`decommission: the archive passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
    return EXIT.usage;
  }
  const logger = quietLogger(config);
  return withCoreServices(config, logger, async (db, services) => {
    if (!(await migrationsCurrent(db))) return EXIT.failure;
    const deps = { db, config, ...services };
    const content = await collectArchive(deps, new Date());
    const text = sealArchive(content, passphrase);
    mkdirSync(path.dirname(archiveFile), { recursive: true });
    writeNew(archiveFile, text);
    out.line(`archive written to ${archiveFile}: ${content.days.length} day(s) of ${content.people.length} person(s), the audit log, retention settings and ${content.holds.length} hold(s)`);
    out.line(`open it with: uurwerk decommission:open --in ${archiveFile} --out DIR (the passphrase on standard input)`);
    if (opts.confirm === undefined) {
      const typed = await ask(`This destroys ALL data and keys of this appliance. Type the organisation name (${expected}) to go on: `);
      if (typed !== expected) {
        out.error('decommission: the confirmation does not match; nothing was destroyed (the archive stays)');
        return EXIT.failure;
      }
    }
    const statement = await prepareStatement(deps, { file: archiveFile, text }, cliActorId(), new Date());
    await destroyAll(db, services.keyring.dir);
    writeNew(statementFile, `${JSON.stringify(statement, null, 2)}\n`);
    const d = statement.statement.destroyed;
    out.line(`destroyed: ${Object.keys(d.tables).length} table(s) with ${d.rows_total} row(s), ${d.data_keys} data key(s), KEK ${d.kek_versions.map((v) => `v${v}`).join(', ')}, ${d.keyring_files} keyring file(s)`);
    out.line(`signed statement written to ${statementFile} (key fingerprint ${statement.statement.signing_key.fingerprint_sha256})`);
    return EXIT.ok;
  });
}

/** Registers `decommission`, `decommission:open` and `decommission:verify`. */
export function registerDecommissionCommands(program: Command): void {
  program
    .command('decommission')
    .description('end of the agreement: export what must be kept into one encrypted archive, then destroy all data and keys and write a signed statement')
    .requiredOption('--out <file>', 'archive to create (mode 0600; never overwritten); the statement goes beside it as <file>.statement.json')
    .option('--passphrase-file <file>', `file holding the archive passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters); default: read from standard input`)
    .option('--confirm <text>', 'the organisation name (ui.organisation_name), for scripts; otherwise typed at the terminal')
    .addHelpText('after', `
Stop the appliance first. The archive holds submitted, returned and approved days with
their entries decrypted, the people they belong to, the audit log (verifiable with
audit:verify --file after decommission:open), the retention settings and legal holds.
Without its passphrase it cannot be opened: keep both.`)
    .action(async (opts: DecommissionOpts, cmd: Command) => {
      process.exitCode = await decommission(opts, cmd);
    });

  program
    .command('decommission:open')
    .description('open a decommission archive (passphrase on standard input) into a directory: archive.json and audit.jsonl')
    .requiredOption('--in <file>', 'the archive')
    .requiredOption('--out <dir>', 'directory to create the files in (must not hold them yet)')
    .option('--passphrase-file <file>', 'file holding the passphrase; default: read from standard input')
    .action(async (opts: { in: string; out: string; passphraseFile?: string }) => {
      const passphrase = await readPassphrase(opts.passphraseFile);
      if (!passphrase) {
        out.error('decommission:open: no passphrase given; pipe it on standard input or pass --passphrase-file FILE');
        process.exitCode = EXIT.usage;
        return;
      }
      try {
        const { audit_export: audit, ...rest } = openArchive(readFileSync(opts.in, 'utf8'), passphrase);
        mkdirSync(opts.out, { recursive: true, mode: 0o700 });
        writeNew(path.join(opts.out, 'archive.json'), `${JSON.stringify(rest, null, 2)}\n`);
        writeNew(path.join(opts.out, 'audit.jsonl'), audit);
        out.line(`wrote ${path.join(opts.out, 'archive.json')} (${rest.days.length} day(s)) and audit.jsonl (check it with: uurwerk audit:verify --file ${path.join(opts.out, 'audit.jsonl')})`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        if (!(err instanceof ArchiveError)) throw err;
        out.error(`decommission:open: ${err.message}`);
        process.exitCode = EXIT.failure;
      }
    });

  program
    .command('decommission:verify')
    .description('check the Ed25519 signature of a decommission statement and print the signing key fingerprint')
    .requiredOption('--in <file>', 'the statement (<archive>.statement.json)')
    .action((opts: { in: string }) => {
      const s = JSON.parse(readFileSync(opts.in, 'utf8')) as DecommissionStatement;
      const ok = verifyStatement(s);
      out.line(`signing key fingerprint (sha256): ${s.statement?.signing_key?.fingerprint_sha256 ?? 'none'}; compare it with the one audit:public-key printed`);
      if (ok) out.line('statement signature OK');
      else out.error('statement signature does NOT verify');
      process.exitCode = ok ? EXIT.ok : EXIT.failure;
    });
}
