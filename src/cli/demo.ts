import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { demoSeedObstacle, DemoSeedRefused, seedDemo } from '../app/demo-seed.js';
import { cliActorId, configFile, ExitError, loadConfigOrExit, quietLogger, withCoreServices } from './common.js';
import { EXIT, out } from './output.js';

/** Opens the passwords file (0600) before anything is made, so the passwords cannot be lost to an unwritable path. */
function openPasswordsFile(file: string): number {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(file, 'w', 0o600);
    fchmodSync(fd, 0o600);
    return fd;
  } catch (err) {
    throw new ExitError(EXIT.failure, `--passwords-file: cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Registers `demo:seed`: a small demo organisation for an evaluation install. */
export function registerDemoCommands(program: Command): void {
  program
    .command('demo:seed')
    .description('fill an empty evaluation install (no directory) with a small demo organisation; passwords go to a 0600 file')
    .option('--passwords-file <file>', 'where the demo passwords are written (mode 0600; default <data_dir>/demo-passwords.txt)')
    .option('--weeks <n>', 'weeks of recorded days (1–8)', '4')
    .action(async (opts: { passwordsFile?: string; weeks: string }, cmd: Command) => {
      const config = loadConfigOrExit(configFile(cmd));
      const weeks = Number(opts.weeks);
      if (!Number.isInteger(weeks) || weeks < 1 || weeks > 8) throw new ExitError(EXIT.usage, '--weeks: a whole number from 1 to 8');
      const file = path.resolve(opts.passwordsFile ?? path.join(config.data_dir, 'demo-passwords.txt'));
      const logger = quietLogger(config);
      const r = await withCoreServices(config, logger, async (db, services) => {
        // Refusals first: a second run must not truncate the first run's passwords file.
        const obstacle = await demoSeedObstacle(db, config);
        if (obstacle) throw new ExitError(EXIT.failure, `demo:seed refused: ${obstacle}`);
        const fd = openPasswordsFile(file);
        try {
          const seeded = await seedDemo({ db, config, keys: services.keys, audit: services.audit, logger }, cliActorId(), { weeks });
          writeSync(fd, ['# Uurwerk demo accounts: sign-in name, password, role. Delete this file once you are done.', ...seeded.people.map((p) => `${p.username}\t${p.password}\t${p.what}`), ''].join('\n'));
          return seeded;
        } catch (err) {
          if (err instanceof DemoSeedRefused) throw new ExitError(EXIT.failure, `demo:seed refused: ${err.message}`);
          throw err;
        } finally {
          closeSync(fd);
        }
      });
      out.line(`demo organisation created: ${r.people.length} people in ${r.teams.length} teams (${r.teams.join(', ')})`);
      out.line(`days: ${r.days.approved} approved, ${r.days.returned} returned, ${r.days.submitted} submitted, ${r.days.draft} draft`);
      for (const p of r.people) out.line(`  ${p.username.padEnd(8)} ${p.displayName} — ${p.what}`);
      out.line(`passwords: ${file} (readable by you only); operators, team admins, the auditor and the privacy officer set up a second factor at first sign-in`);
    });
}
