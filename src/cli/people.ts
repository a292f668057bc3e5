import type { Command } from 'commander';
import type { Knex } from '../platform/db.js';
import { AppError, ValidationError } from '../platform/errors.js';
import { createLocalPerson, deactivateLocalPerson, reactivateLocalPerson, updateLocalPerson, type LocalPeopleDeps } from '../identity/local-people.js';
import { addTeamMember, createLocalTeam, grantLocalRole, listTeams, removeTeamMember, revokeLocalRole } from '../identity/local-teams.js';
import { cliActorId, configFile, ExitError, loadConfigOrExit, quietLogger, readSecretInput, withCoreServices } from './common.js';
import { EXIT, out } from './output.js';

/** Option name for each service field, so an error names what the person typed. */
const OPTION_OF: Record<string, string> = {
  username: '--username', display_name: '--display-name', email: '--email', roles: '--role', teams: '--team', admin_of: '--admin-of',
  password: '--password-file', role: '--role', team: '--team', name: '--name',
};

/** Repeatable list option: `--role a --role b` and `--role a,b` both work. */
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** Runs one people/team command with the services, turning service errors into clear exits. */
async function withPeople<T>(cmd: Command, fn: (deps: LocalPeopleDeps, actor: string) => Promise<T>): Promise<T> {
  const config = loadConfigOrExit(configFile(cmd));
  return withCoreServices(config, quietLogger(config), async (db, services) => {
    try {
      return await fn({ db, audit: services.audit, config, keys: services.keys }, cliActorId());
    } catch (err) {
      if (err instanceof ValidationError) throw new ExitError(EXIT.usage, err.fields.map((f) => `${OPTION_OF[f.field] ?? f.field}: ${f.message}`).join('\n'));
      if (err instanceof AppError && err.status < 500) throw new ExitError(EXIT.failure, err.message);
      throw err;
    }
  });
}

/** The id of the account named on the command line (`--username`, `--source`). */
async function accountId(db: Knex, username: string, source = 'local'): Promise<string> {
  if (source !== 'local' && source !== 'directory') throw new ExitError(EXIT.usage, '--source: local or directory');
  const row = (await db('accounts').where({ source }).andWhereRaw('lower(username) = lower(?)', [username]).first('id')) as { id: string } | undefined;
  if (!row) throw new ExitError(EXIT.failure, `--username: no ${source} account named ${username}`);
  return row.id;
}

interface PersonOpts { username: string; source?: string; displayName?: string; email?: string; role?: string[]; team?: string[]; adminOf?: string[]; passwordFile?: string }

/** Registers `user:*`, `team:*` and `role:*`: people, teams and grants for sites without a directory (or beside one). */
export function registerPeopleCommands(program: Command): void {
  const who = (c: Command) => c.requiredOption('--username <name>', 'account name').option('--source <source>', 'local (default) or directory', 'local');
  program
    .command('user:create')
    .description('create a local person; without --password-file a set-password link is mailed to --email')
    .requiredOption('--username <name>', 'account name (2–64 letters, digits, . _ -)')
    .option('--display-name <name>', 'name shown in the pages')
    .option('--email <address>', 'mail address (the set-password link goes here)')
    .option('--role <role>', 'a role: employee, operator, auditor, dpo, reports, payroll (repeat or comma-separate; default employee)', collect)
    .option('--team <team>', 'a team whose admins see this person\'s submitted days (repeatable)', collect)
    .option('--admin-of <team>', 'a team this person administers (repeatable)', collect)
    .option('--password-file <file>', 'file holding an initial password (for sites without mail); else a link is mailed')
    .action(async (opts: PersonOpts, cmd: Command) => {
      const password = opts.passwordFile ? readSecretInput(opts.passwordFile, 'password') : undefined;
      const r = await withPeople(cmd, (deps, actor) => createLocalPerson(deps, { username: opts.username, displayName: opts.displayName, email: opts.email, password, roles: opts.role, teams: opts.team, adminOf: opts.adminOf }, actor));
      out.line(`created local account ${opts.username} (${r.id})${r.mailed ? '; a set-password link was mailed' : ''}`);
    });
  who(program.command('user:update').description('change a person: name and mail (local people); --role/--team/--admin-of replace their local grants'))
    .option('--display-name <name>', 'name shown in the pages')
    .option('--email <address>', 'mail address ("" removes it)')
    .option('--role <role>', 'the local roles (replaces them; repeatable)', collect)
    .option('--team <team>', 'the local team memberships (replaces them; repeatable)', collect)
    .option('--admin-of <team>', 'the teams administered by local grant (replaces them; repeatable)', collect)
    .action(async (opts: PersonOpts, cmd: Command) => {
      await withPeople(cmd, async (deps, actor) => updateLocalPerson(deps, await accountId(deps.db, opts.username, opts.source),
        { displayName: opts.displayName, email: opts.email === undefined ? undefined : opts.email || null, roles: opts.role, teams: opts.team, adminOf: opts.adminOf }, actor));
      out.line(`updated ${opts.username}`);
    });
  program.command('user:deactivate').description('deactivate a local person: no sign-in, sessions and tokens end (data kept)').requiredOption('--username <name>', 'local account name')
    .action(async (opts: { username: string }, cmd: Command) => {
      const r = await withPeople(cmd, async (deps, actor) => deactivateLocalPerson(deps, await accountId(deps.db, opts.username), actor));
      out.line(`deactivated ${opts.username} (${r.sessions} session(s) ended)`);
    });
  program.command('user:reactivate').description('let a deactivated local person sign in again').requiredOption('--username <name>', 'local account name')
    .action(async (opts: { username: string }, cmd: Command) => {
      await withPeople(cmd, async (deps, actor) => reactivateLocalPerson(deps, await accountId(deps.db, opts.username), actor));
      out.line(`reactivated ${opts.username}`);
    });
  program.command('team:create').description('create a local team').requiredOption('--name <team>', 'team name')
    .action(async (opts: { name: string }, cmd: Command) => {
      await withPeople(cmd, (deps, actor) => createLocalTeam(deps, opts.name, actor));
      out.line(`created team ${opts.name}`);
    });
  program.command('team:list').description('every team (directory and local) with its members and admins counted')
    .action(async (_opts: unknown, cmd: Command) => {
      const teams = await withPeople(cmd, (deps) => listTeams(deps.db, deps.config));
      for (const x of teams) out.line(`${x.name}\t${x.source}\t${x.members} member(s)\t${x.admins} admin(s)`);
    });
  const member = (name: string, what: string, fn: typeof addTeamMember) =>
    who(program.command(name).description(what).requiredOption('--team <team>', 'team name'))
      .action(async (opts: { username: string; source?: string; team: string }, cmd: Command) => {
        const changed = await withPeople(cmd, async (deps, actor) => fn(deps, opts.team, await accountId(deps.db, opts.username, opts.source), actor));
        out.line(changed ? `${name}: done` : `${name}: nothing to change`);
      });
  member('team:add-member', 'put a person in a team (its admins see their submitted days)', addTeamMember);
  member('team:remove-member', 'take a person out of a team (local membership only)', removeTeamMember);
  who(program.command('team:add-admin').description('make a person admin of a team').requiredOption('--team <team>', 'team name'))
    .action(async (opts: { username: string; source?: string; team: string }, cmd: Command) => {
      const changed = await withPeople(cmd, async (deps, actor) => grantLocalRole(deps, await accountId(deps.db, opts.username, opts.source), 'team_admin', opts.team, actor));
      out.line(changed ? `${opts.username} administers ${opts.team}` : 'team:add-admin: nothing to change');
    });
  const role = (name: string, what: string, fn: typeof grantLocalRole) =>
    who(program.command(name).description(what).requiredOption('--role <role>', 'employee, team_admin, operator, auditor, dpo, reports or payroll').option('--team <team>', 'the team (team_admin only)'))
      .action(async (opts: { username: string; source?: string; role: string; team?: string }, cmd: Command) => {
        const changed = await withPeople(cmd, async (deps, actor) => fn(deps, await accountId(deps.db, opts.username, opts.source), opts.role, opts.team, actor));
        out.line(changed ? `${name}: done` : `${name}: nothing to change`);
      });
  role('role:grant', 'grant a role locally (beside any directory grant)', grantLocalRole);
  role('role:revoke', 'revoke a local grant (directory grants are managed in the directory)', revokeLocalRole);
}
