import { AppError, ConflictError, type FieldProblem, type ProblemParams } from '../platform/errors.js';
import { addProblemCatalogue, type ProblemCatalogue } from '../web/problems.js';

/**
 * The identity domain's problems by code (people, teams, roles, passwords, second
 * factor): the English text is what the API says (clients depend on it), the Dutch
 * what a Dutch page shows. Same keys and placeholders; a test checks it. A conflict
 * whose API code covers several cases (`already_exists`, `directory_account`) names
 * its wording with `params.key`.
 */
const en = {
  'username.form': 'use 2–64 letters, digits, dots, dashes or underscores',
  'display_name.length': 'give 1–200 characters',
  'email.form': 'not a mail address',
  'email.needed': 'needed for the set-password mail (or give an initial password on the command line)',
  'email.none': 'the account has no mail address',
  'roles.team_admin': 'team admin is given per team (admin_of / --admin-of)',
  'roles.unknown': 'unknown role "{role}" (one of {roles})',
  'roles.local_team_admin': 'team admins come from directory groups (directory.roles.teams), not from local accounts',
  'role.one_of': 'one of {roles}',
  'team.none': 'no team named "{team}" (create it first with team:create or on the operator page)',
  'team.name_form': 'use 1–63 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit',
  'team.admin_needs_team': 'a team admin needs the team they administer',
  'team.only_admin': 'only team_admin takes a team',
  'field.directory': 'the directory manages this field',
  'password.too_short': 'must be at least {min} characters',
  'password.too_long': 'must be at most {max} characters',
  'password.common': 'is too common (it appears in lists of breached passwords)',
  'password.username': 'must not contain the user name',
  'code.missing': 'give a code from the authenticator app or a recovery code',
  'code.one_of': 'give exactly one of code and recovery_code',
  'code.mismatch': 'does not match the new secret; check the time on the device and try the next code',
  'account.exists': 'A local account named {username} already exists',
  'team.exists': 'A team named {team} already exists',
  'team.from_directory': 'The team {team} comes from the directory configuration',
  'directory.password': 'This password belongs to the directory',
  'directory.disable': 'Directory accounts are disabled in the directory',
  'directory.enable': 'Directory accounts are enabled in the directory',
  'directory.change_there': 'This password belongs to the directory; change it there',
  no_enrolment: 'No enrolment is in progress; start one first',
  'field.username': 'username',
  'field.display_name': 'display_name',
  'field.email': 'email',
  'field.roles': 'roles',
  'field.role': 'role',
  'field.team': 'team',
  'field.teams': 'teams',
  'field.admin_of': 'admin_of',
  'field.password': 'password',
  'field.new_password': 'new_password',
} as const;

/** A code of the identity domain's problems. */
export type IdentityProblemCode = keyof typeof en;

const nl: Record<IdentityProblemCode, string> = {
  'username.form': 'gebruik 2 tot 64 letters, cijfers, punten, streepjes of liggende streepjes',
  'display_name.length': 'geef 1 tot 200 tekens',
  'email.form': 'is geen e-mailadres',
  'email.needed': 'is nodig voor de mail om een wachtwoord te kiezen (of geef op de opdrachtregel een eerste wachtwoord)',
  'email.none': 'dit account heeft geen e-mailadres',
  'roles.team_admin': 'teambeheerder wordt per team gegeven (bij „Beheerder van”)',
  'roles.unknown': 'onbekende rol "{role}" (een van {roles})',
  'roles.local_team_admin': 'teambeheerders komen uit groepen van de directory (directory.roles.teams), niet uit lokale accounts',
  'role.one_of': 'een van {roles}',
  'team.none': 'er is geen team "{team}" (maak het eerst aan met team:create of op de operatorpagina)',
  'team.name_form': 'gebruik 1 tot 63 letters, cijfers, spaties, punten, streepjes of liggende streepjes, beginnend met een letter of cijfer',
  'team.admin_needs_team': 'een teambeheerder heeft het team nodig dat hij of zij beheert',
  'team.only_admin': 'alleen teambeheerder hoort bij een team',
  'field.directory': 'dit veld wordt door de directory beheerd',
  'password.too_short': 'moet minstens {min} tekens lang zijn',
  'password.too_long': 'mag hoogstens {max} tekens lang zijn',
  'password.common': 'komt te vaak voor (het staat in lijsten van gelekte wachtwoorden)',
  'password.username': 'mag de gebruikersnaam niet bevatten',
  'code.missing': 'geef een code uit de authenticator-app of een herstelcode',
  'code.one_of': 'geef een code of een herstelcode, niet allebei',
  'code.mismatch': 'past niet bij het nieuwe geheim; controleer de tijd op het apparaat en probeer de volgende code',
  'account.exists': 'Er bestaat al een lokaal account met de naam {username}.',
  'team.exists': 'Er bestaat al een team met de naam {team}.',
  'team.from_directory': 'Het team {team} komt uit de instellingen van de directory.',
  'directory.password': 'Dit wachtwoord wordt in de directory beheerd.',
  'directory.disable': 'Accounts uit de directory worden in de directory uitgeschakeld.',
  'directory.enable': 'Accounts uit de directory worden in de directory ingeschakeld.',
  'directory.change_there': 'Dit wachtwoord wordt in de directory beheerd; wijzig het daar.',
  no_enrolment: 'Er loopt geen koppeling van een tweede factor; begin er eerst een.',
  'field.username': 'Aanmeldnaam',
  'field.display_name': 'Naam',
  'field.email': 'E-mailadres',
  'field.roles': 'Rollen',
  'field.role': 'Rol',
  'field.team': 'Team',
  'field.teams': 'Teams',
  'field.admin_of': 'Beheerder van',
  'field.password': 'Wachtwoord',
  'field.new_password': 'Nieuw wachtwoord',
};

/** Both languages, for the test that keeps their keys and placeholders in step. */
export const IDENTITY_PROBLEMS: ProblemCatalogue = { en, nl };
addProblemCatalogue(IDENTITY_PROBLEMS);

/** The English text with its values filled in as given (no spacing touched: the API's text stays exact). */
function english(code: IdentityProblemCode, params: ProblemParams = {}): string {
  return en[code].replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name] ?? ''));
}

/** A field problem with its code: the API's English message, worded again by a page. */
export function idProblem(field: string, code: IdentityProblemCode, params?: ProblemParams): FieldProblem {
  return { field, message: english(code, params), code, ...(params ? { params } : {}) };
}

/**
 * A 409 with the API's code (`already_exists`, `directory_account`, ...) and English
 * text; `key` names the wording a page shows.
 */
export function idConflict(apiCode: string, key: IdentityProblemCode, params: ProblemParams = {}): AppError {
  return new ConflictError(english(key, params), apiCode, { ...params, key });
}
