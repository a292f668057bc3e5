import type { Command } from 'commander';
import { createLocalAccount } from '../identity/auth-service.js';
import { ValidationError, ConflictError } from '../platform/errors.js';
import { cliActorId, configFile, ExitError, loadConfigOrExit, quietLogger, readSecretInput, withCoreServices } from './common.js';
import { EXIT, out } from './output.js';

/** Registers the account commands (`operator:create`). */
export function registerIdentityCommands(program: Command): void {
  program
    .command('operator:create')
    .description('create a local operator account (break-glass; the first account of a new appliance)')
    .requiredOption('--username <name>', 'account name (local namespace: never the same person as a directory user of that name)')
    .option('--password-file <file>', 'file holding the password (else read from standard input)')
    .option('--email <address>', 'mail address for password resets and operator notices')
    .option('--display-name <name>', 'name shown in the pages')
    .action(async (opts: { username: string; passwordFile?: string; email?: string; displayName?: string }, cmd: Command) => {
      const config = loadConfigOrExit(configFile(cmd));
      const password = readSecretInput(opts.passwordFile, 'password');
      const logger = quietLogger(config);
      const id = await withCoreServices(config, logger, async (db, services) => {
        try {
          return await createLocalAccount({ db, audit: services.audit }, { username: opts.username, password, email: opts.email, displayName: opts.displayName, roles: ['operator'] }, cliActorId());
        } catch (err) {
          if (err instanceof ValidationError) throw new ExitError(EXIT.usage, err.fields.map((f) => `${f.field}: ${f.message}`).join('\n'));
          if (err instanceof ConflictError) throw new ExitError(EXIT.failure, err.message);
          throw err;
        }
      });
      out.line(`created operator account ${opts.username} (${id}); sign in at /sign-in and set up the second factor (required for operators)`);
    });
}
