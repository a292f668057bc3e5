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
