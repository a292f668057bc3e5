/** Dutch and English strings for the pages. Keys are shared; each language is complete. */
const en = {
  'app.tagline': 'Time tracking that stays inside your organisation',
  'nav.skip': 'Skip to content',
  'nav.home': 'Start',
  'nav.language': 'Language',
  'start.title': 'Welcome to Uurwerk',
  'start.intro': 'Uurwerk records working time for payroll and invoicing. Your recorded time is visible only to you until you submit a day; after that, only the team admins responsible for you can see it.',
  'start.no_accounts': 'No accounts exist yet. An IT administrator creates the first operator account on the server with:',
  'start.setup_hint': 'Sign-in arrives with the identity component; until then this appliance has no users.',
  'start.privacy_title': 'Your privacy',
  'start.privacy_1': 'Drafts are encrypted with your own key; nobody else can read them.',
  'start.privacy_2': 'Every time someone reads your submitted data, you can see who it was.',
  'start.privacy_3': 'Reports never show figures about fewer than a minimum number of people.',
  'start.privacy_4': 'Nothing leaves this network: no cloud, no telemetry, no outside fonts.',
  'error.title': 'Something went wrong',
  'error.404': 'This page does not exist.',
  'error.back': 'Back to the start page',
  'error.request_id': 'Request id',
  'footer.text': 'Uurwerk runs on your organisation’s own servers.',
  'nav.account': 'My account',
  'nav.sign_in': 'Sign in',
  'nav.sign_out': 'Sign out',
  'signin.title': 'Sign in',
  'signin.username': 'User name',
  'signin.password': 'Password',
  'signin.source': 'Account type',
  'signin.source_directory': 'Organisation account (directory)',
  'signin.source_local': 'Local account',
  'signin.submit': 'Sign in',
  'signin.forgot': 'Forgot the password of a local account?',
  'signin.failed': 'The user name or password is not correct.',
  'signin.throttled': 'Too many failed attempts. Wait a little and try again.',
  'signin.signed_out': 'You are signed out.',
  'twofa.title': 'Second factor',
  'twofa.intro': 'Enter the 6-digit code from your authenticator app.',
  'twofa.code': 'Code',
  'twofa.recovery': 'Or a recovery code',
  'twofa.submit': 'Continue',
  'twofa.failed': 'That code is not valid, or it was already used.',
  'enrol.title': 'Set up a second factor',
  'enrol.required': 'Your role requires a second factor. Set up an authenticator app to continue.',
  'enrol.password_intro': 'Confirm your password to set up (or replace) your authenticator app.',
  'enrol.scan': 'Scan this code with your authenticator app, or type the key below. Then enter the code the app shows.',
  'enrol.key': 'Key',
  'enrol.confirm': 'Confirm',
  'enrol.done': 'Your second factor is set up.',
  'enrol.recovery_intro': 'These recovery codes each work once, if you lose your device. Store them safely now: they are not shown again.',
  'enrol.wrong_password': 'The password is not correct.',
  'enrol.wrong_code': 'That code does not match. Check the time on your device and try the next code.',
  'account.title': 'My account',
  'account.roles': 'My roles and why I have them',
  'account.no_roles': 'No roles.',
  'account.role.employee': 'Employee',
  'account.role.team_admin': 'Team admin',
  'account.role.auditor': 'Auditor',
  'account.role.operator': 'Operator',
  'account.via': 'via',
  'account.sessions': 'Where I am signed in',
  'account.session_current': 'this browser',
  'account.signed_in_at': 'signed in',
  'account.last_seen': 'last active',
  'account.sign_out_everywhere': 'Sign out everywhere',
  'account.second_factor': 'Second factor',
  'account.totp_on': 'An authenticator app is set up.',
  'account.totp_off': 'No authenticator app is set up.',
  'account.totp_change': 'Replace authenticator app',
  'account.totp_setup': 'Set up authenticator app',
  'account.recovery_left': 'Unused recovery codes',
  'reset.title': 'Reset password',
  'reset.intro': 'For local accounts only. Organisation accounts change their password in the directory.',
  'reset.submit': 'Send reset link',
  'reset.sent': 'If a local account with a mail address exists under that name, a link is on its way.',
  'reset.new_password': 'New password (at least 12 characters)',
  'reset.set': 'Set password',
  'reset.done': 'Your password is set. Sign in with it (your second factor is still needed).',
  'reset.invalid': 'This link is not valid: it expired or was already used.',
} as const;

export type MessageKey = keyof typeof en;

const nl: Record<MessageKey, string> = {
  'app.tagline': 'Urenregistratie die binnen uw organisatie blijft',
  'nav.skip': 'Naar de inhoud',
  'nav.home': 'Start',
  'nav.language': 'Taal',
  'start.title': 'Welkom bij Uurwerk',
  'start.intro': 'Uurwerk registreert gewerkte tijd voor salaris en facturatie. Uw geregistreerde tijd ziet alleen u, totdat u een dag indient; daarna zien alleen de teambeheerders die voor u verantwoordelijk zijn die dag.',
  'start.no_accounts': 'Er bestaan nog geen accounts. Een IT-beheerder maakt het eerste beheerdersaccount aan op de server met:',
  'start.setup_hint': 'Aanmelden komt met het identiteitsonderdeel; tot dan heeft dit apparaat geen gebruikers.',
  'start.privacy_title': 'Uw privacy',
  'start.privacy_1': 'Concepten worden versleuteld met uw eigen sleutel; niemand anders kan ze lezen.',
  'start.privacy_2': 'Telkens als iemand uw ingediende gegevens leest, ziet u wie dat was.',
  'start.privacy_3': 'Rapportages tonen nooit cijfers over minder dan een minimumaantal mensen.',
  'start.privacy_4': 'Niets verlaat dit netwerk: geen cloud, geen telemetrie, geen externe lettertypen.',
  'error.title': 'Er ging iets mis',
  'error.404': 'Deze pagina bestaat niet.',
  'error.back': 'Terug naar de startpagina',
  'error.request_id': 'Verzoek-id',
  'footer.text': 'Uurwerk draait op de eigen servers van uw organisatie.',
  'nav.account': 'Mijn account',
  'nav.sign_in': 'Aanmelden',
  'nav.sign_out': 'Afmelden',
  'signin.title': 'Aanmelden',
  'signin.username': 'Gebruikersnaam',
  'signin.password': 'Wachtwoord',
  'signin.source': 'Soort account',
  'signin.source_directory': 'Organisatieaccount (directory)',
  'signin.source_local': 'Lokaal account',
  'signin.submit': 'Aanmelden',
  'signin.forgot': 'Wachtwoord van een lokaal account vergeten?',
  'signin.failed': 'De gebruikersnaam of het wachtwoord klopt niet.',
  'signin.throttled': 'Te veel mislukte pogingen. Wacht even en probeer het opnieuw.',
  'signin.signed_out': 'U bent afgemeld.',
  'twofa.title': 'Tweede factor',
  'twofa.intro': 'Voer de code van 6 cijfers uit uw authenticator-app in.',
  'twofa.code': 'Code',
  'twofa.recovery': 'Of een herstelcode',
  'twofa.submit': 'Doorgaan',
  'twofa.failed': 'Die code is niet geldig, of al gebruikt.',
  'enrol.title': 'Tweede factor instellen',
  'enrol.required': 'Uw rol vereist een tweede factor. Stel een authenticator-app in om verder te gaan.',
  'enrol.password_intro': 'Bevestig uw wachtwoord om uw authenticator-app in te stellen (of te vervangen).',
  'enrol.scan': 'Scan deze code met uw authenticator-app, of typ de sleutel hieronder over. Voer daarna de code in die de app toont.',
  'enrol.key': 'Sleutel',
  'enrol.confirm': 'Bevestigen',
  'enrol.done': 'Uw tweede factor is ingesteld.',
  'enrol.recovery_intro': 'Deze herstelcodes werken elk één keer, als u uw apparaat kwijt bent. Bewaar ze nu veilig: ze worden niet nog eens getoond.',
  'enrol.wrong_password': 'Het wachtwoord klopt niet.',
  'enrol.wrong_code': 'Die code klopt niet. Controleer de tijd op uw apparaat en probeer de volgende code.',
  'account.title': 'Mijn account',
  'account.roles': 'Mijn rollen en waarom ik ze heb',
  'account.no_roles': 'Geen rollen.',
  'account.role.employee': 'Medewerker',
  'account.role.team_admin': 'Teambeheerder',
  'account.role.auditor': 'Auditor',
  'account.role.operator': 'Beheerder (operator)',
  'account.via': 'via',
  'account.sessions': 'Waar ik ben aangemeld',
  'account.session_current': 'deze browser',
  'account.signed_in_at': 'aangemeld',
  'account.last_seen': 'laatst actief',
  'account.sign_out_everywhere': 'Overal afmelden',
  'account.second_factor': 'Tweede factor',
  'account.totp_on': 'Er is een authenticator-app ingesteld.',
  'account.totp_off': 'Er is geen authenticator-app ingesteld.',
  'account.totp_change': 'Authenticator-app vervangen',
  'account.totp_setup': 'Authenticator-app instellen',
  'account.recovery_left': 'Ongebruikte herstelcodes',
  'reset.title': 'Wachtwoord opnieuw instellen',
  'reset.intro': 'Alleen voor lokale accounts. Organisatieaccounts wijzigen hun wachtwoord in de directory.',
  'reset.submit': 'Herstellink sturen',
  'reset.sent': 'Als er onder die naam een lokaal account met een mailadres bestaat, is er een link onderweg.',
  'reset.new_password': 'Nieuw wachtwoord (minstens 12 tekens)',
  'reset.set': 'Wachtwoord instellen',
  'reset.done': 'Uw wachtwoord is ingesteld. Meld u ermee aan (uw tweede factor blijft nodig).',
  'reset.invalid': 'Deze link is niet geldig: verlopen of al gebruikt.',
};

export type Lang = 'nl' | 'en';
export const LANGUAGES: readonly Lang[] = ['nl', 'en'];

const catalogues: Record<Lang, Record<MessageKey, string>> = { en, nl };

/** Looks up a string in the given language. */
export function t(lang: Lang, key: MessageKey): string {
  return catalogues[lang][key];
}

/** Every key of every language, for the completeness test. */
export function catalogue(lang: Lang): Readonly<Record<MessageKey, string>> {
  return catalogues[lang];
}

/**
 * Picks the language: an explicit `?lang=` (remembered in a cookie), then the
 * cookie, then Accept-Language, then the configured default.
 */
export function negotiateLanguage(input: { query?: string; cookie?: string; acceptLanguage?: string }, fallback: Lang): Lang {
  for (const candidate of [input.query, input.cookie]) if (candidate === 'nl' || candidate === 'en') return candidate;
  const accepted = (input.acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', q] = part.trim().split(';q=');
      return { lang: tag.slice(0, 2).toLowerCase(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((a) => a.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const a of accepted) if (a.lang === 'nl' || a.lang === 'en') return a.lang;
  return fallback;
}
