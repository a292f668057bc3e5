import type { Lang } from '../web/i18n.js';

/**
 * Dutch and English strings of the operator's people and teams pages. They live with
 * the module (the web layer's catalogue holds the shared ones); each language is
 * complete (a test compares the keys). Dutch addresses the reader as "u".
 */
const en = {
  'people.title': 'People and teams',
  'people.intro': 'Local people sign in with a password they choose themselves: a new person gets a mail with a link to set it. Roles and teams given here sit beside anything the directory grants.',
  'people.new': 'Add a person',
  'people.edit': 'Edit',
  'people.edit_title': 'Edit a person',
  'people.username': 'Sign-in name',
  'people.display_name': 'Name',
  'people.email': 'Mail address',
  'people.email_hint': 'The link to choose a password goes here.',
  'people.roles': 'Roles',
  'people.teams': 'Member of (their team admins see their submitted days)',
  'people.admin_of': 'Team admin of',
  'people.no_teams': 'There are no teams yet: create one below.',
  'people.directory_field': 'The directory manages the name and mail address of this person.',
  'people.directory_roles': 'Granted by the directory (change them there)',
  'people.save': 'Save',
  'people.create': 'Create and send the mail',
  'people.saved': 'Saved.',
  'people.created': 'The person was created; the mail with the link is on its way.',
  'people.deactivate': 'Deactivate (no sign-in; sessions end)',
  'people.reactivate': 'Allow sign-in again',
  'people.deactivated': 'The person was deactivated.',
  'people.resend': 'Send a new set-password mail',
  'people.mailed': 'A new mail with a link is on its way.',
  'people.problem': 'Not saved:',
  'teams.title': 'Teams',
  'teams.name': 'Team',
  'teams.source': 'Source',
  'teams.members': 'Members',
  'teams.admins': 'Admins',
  'teams.new': 'Create a team',
  'teams.created': 'The team was created.',
  'teams.invalid': 'a team name has 1–63 letters, digits, spaces, dots, dashes or underscores and starts with a letter or digit.',
  'teams.exists': 'a team of that name exists already.',
  'source.local': 'local',
  'source.directory': 'directory',
  'status.active': 'active',
  'status.disabled': 'deactivated',
  'status.deactivated': 'gone from the directory',
  'role.employee': 'Employee',
  'role.team_admin': 'Team admin',
  'role.operator': 'Operator',
  'role.auditor': 'Auditor',
  'role.dpo': 'Privacy officer',
  'role.reports': 'Reports',
  'role.payroll': 'Payroll',
} as const;

/** A key of the operator module's catalogue. */
export type OperatorKey = keyof typeof en;

const nl: Record<OperatorKey, string> = {
  'people.title': 'Personen en teams',
  'people.intro': 'Lokale personen melden zich aan met een wachtwoord dat ze zelf kiezen: een nieuwe persoon krijgt een mail met een link om het in te stellen. Rollen en teams die u hier geeft, gelden naast wat de directory toekent.',
  'people.new': 'Persoon toevoegen',
  'people.edit': 'Wijzigen',
  'people.edit_title': 'Persoon wijzigen',
  'people.username': 'Aanmeldnaam',
  'people.display_name': 'Naam',
  'people.email': 'Mailadres',
  'people.email_hint': 'Hierheen gaat de link om een wachtwoord te kiezen.',
  'people.roles': 'Rollen',
  'people.teams': 'Lid van (de teambeheerders zien de ingediende dagen)',
  'people.admin_of': 'Teambeheerder van',
  'people.no_teams': 'Er zijn nog geen teams: maak er hieronder een aan.',
  'people.directory_field': 'De directory beheert de naam en het mailadres van deze persoon.',
  'people.directory_roles': 'Toegekend door de directory (wijzig ze daar)',
  'people.save': 'Opslaan',
  'people.create': 'Aanmaken en mail versturen',
  'people.saved': 'Opgeslagen.',
  'people.created': 'De persoon is aangemaakt; de mail met de link is onderweg.',
  'people.deactivate': 'Deactiveren (geen aanmelding; sessies eindigen)',
  'people.reactivate': 'Weer laten aanmelden',
  'people.deactivated': 'De persoon is gedeactiveerd.',
  'people.resend': 'Nieuwe mail om het wachtwoord in te stellen sturen',
  'people.mailed': 'Een nieuwe mail met een link is onderweg.',
  'people.problem': 'Niet opgeslagen:',
  'teams.title': 'Teams',
  'teams.name': 'Team',
  'teams.source': 'Bron',
  'teams.members': 'Leden',
  'teams.admins': 'Beheerders',
  'teams.new': 'Team aanmaken',
  'teams.created': 'Het team is aangemaakt.',
  'teams.invalid': 'een teamnaam heeft 1–63 letters, cijfers, spaties, punten, streepjes of lage streepjes en begint met een letter of cijfer.',
  'teams.exists': 'er bestaat al een team met die naam.',
  'source.local': 'lokaal',
  'source.directory': 'directory',
  'status.active': 'actief',
  'status.disabled': 'gedeactiveerd',
  'status.deactivated': 'verdwenen uit de directory',
  'role.employee': 'Medewerker',
  'role.team_admin': 'Teambeheerder',
  'role.operator': 'Beheerder (operator)',
  'role.auditor': 'Auditor',
  'role.dpo': 'Privacyfunctionaris',
  'role.reports': 'Rapportages',
  'role.payroll': 'Salarisadministratie',
};

/** Both catalogues, for the test that keeps their keys equal. */
export const OPERATOR_STRINGS = { en, nl } as const;

/** The string for `key` in `lang`. */
export function o(lang: Lang, key: OperatorKey): string {
  return (lang === 'nl' ? nl : en)[key];
}
