import type { Lang } from './i18n.js';

/**
 * Dutch and English strings of the layout's everyday parts: the menu, the timer
 * widget, the keyboard shortcuts and the signed-in start page. Each language is
 * complete (a test compares the keys). Dutch addresses the reader with "u", as every catalogue does.
 */
const en = {
  'menu.week': 'My week',
  'menu.inbox': 'Inbox',
  'menu.reports': 'Reports',
  'menu.privacy': 'Privacy registers',
  'menu.audit': 'Audit',
  'menu.operator': 'Operator',
  'menu.main': 'Main menu',
  'timer.label': 'Timer',
  'timer.open': 'Timer',
  'timer.idle': 'No timer running',
  'timer.running': 'Running',
  'timer.project': 'Project',
  'timer.note': 'Note',
  'timer.start': 'Start',
  'timer.stop': 'Stop',
  'timer.switch': 'Switch to this',
  'timer.save': 'Save',
  'timer.recorded': 'Recorded',
  'timer.on_day': 'see the day',
  'timer.failed': 'The timer could not be changed',
  'timer.page_intro': 'The timer records an entry from the moment you start until you stop it. While it runs you can change its project and note, or switch to another project in one step.',
  'keys.title': 'Keyboard shortcuts',
  'keys.hint': 'Press ? for keyboard shortcuts',
  'keys.timer': 'Start or stop the timer',
  'keys.new': 'New entry (today)',
  'keys.prev': 'Previous day or week',
  'keys.next': 'Next day or week',
  'keys.week': 'My week',
  'keys.help': 'This list',
  'keys.close': 'Close',
  'home.today': 'Today',
  'home.week': 'This week',
  'home.open_day': 'Open today',
  'home.open_week': 'Open my week',
  'home.returned': 'Days returned to you',
  'home.returned_intro': 'A team admin returned these days with a comment. Correct them and submit again.',
  'home.comment': 'Comment',
  'home.inbox': 'Days waiting in your inbox',
  'home.open_inbox': 'Open the inbox',
  'home.recorded': 'recorded',
  'lang.keep_codes': 'Switching language shows the same codes again.',
};
export type UiKey = keyof typeof en;

const nl: Record<UiKey, string> = {
  'menu.week': 'Mijn week',
  'menu.inbox': 'Inbox',
  'menu.reports': 'Rapporten',
  'menu.privacy': 'Privacyregisters',
  'menu.audit': 'Audit',
  'menu.operator': 'Beheer',
  'menu.main': 'Hoofdmenu',
  'timer.label': 'Timer',
  'timer.open': 'Timer',
  'timer.idle': 'Er loopt geen timer',
  'timer.running': 'Loopt',
  'timer.project': 'Project',
  'timer.note': 'Notitie',
  'timer.start': 'Starten',
  'timer.stop': 'Stoppen',
  'timer.switch': 'Hierop overstappen',
  'timer.save': 'Opslaan',
  'timer.recorded': 'Vastgelegd',
  'timer.on_day': 'bekijk de dag',
  'timer.failed': 'De timer kon niet worden gewijzigd',
  'timer.page_intro': 'De timer legt een boeking vast vanaf het moment dat u start tot u stopt. Terwijl hij loopt kunt u het project en de notitie wijzigen, of in één stap overstappen op een ander project.',
  'keys.title': 'Sneltoetsen',
  'keys.hint': 'Druk op ? voor de sneltoetsen',
  'keys.timer': 'Timer starten of stoppen',
  'keys.new': 'Nieuwe boeking (vandaag)',
  'keys.prev': 'Vorige dag of week',
  'keys.next': 'Volgende dag of week',
  'keys.week': 'Mijn week',
  'keys.help': 'Deze lijst',
  'keys.close': 'Sluiten',
  'home.today': 'Vandaag',
  'home.week': 'Deze week',
  'home.open_day': 'Vandaag openen',
  'home.open_week': 'Mijn week openen',
  'home.returned': 'Dagen die naar u zijn teruggestuurd',
  'home.returned_intro': 'Een teambeheerder heeft deze dagen met een opmerking teruggestuurd. Verbeter ze en dien ze opnieuw in.',
  'home.comment': 'Opmerking',
  'home.inbox': 'Dagen die in uw inbox wachten',
  'home.open_inbox': 'Inbox openen',
  'home.recorded': 'vastgelegd',
  'lang.keep_codes': 'Wisselen van taal toont dezelfde codes opnieuw.',
};

/** The string for `key` in `lang`. */
export function ui(lang: Lang, key: UiKey): string {
  return (lang === 'nl' ? nl : en)[key];
}

/** Both catalogues, for the completeness test. */
export const UI_CATALOGUES: Readonly<Record<Lang, Readonly<Record<UiKey, string>>>> = { en, nl };
