import type { Lang } from '../web/i18n.js';

/**
 * The day and review pages' newer strings in Dutch and English (the older `ts.*` keys
 * stay in src/web/i18n.ts). Same keys in both languages; a test checks it.
 */
const en = {
  time_hint: 'Times as 9:00, 0900 or 9.30; a duration in hours as 1:30 or 1,5.',
  overnight: 'Overnight (ends the next day)',
  duration: 'Or a duration instead of start and end (hours)',
  confirm_long: 'Yes, save it: this long entry or day is right',
  confirm_long_hint: 'This is longer than usual. Check the times; if they are right, tick the box and save again.',
  edit: 'Edit',
  save: 'Save',
  end_before_start: 'the end is at or before the start; tick “Overnight” if the entry ends the next day',
  both_given: 'give start and end, or a duration, not both',
  submit_confirm: 'Submit {date} with {hours} h? Once submitted, the day cannot change unless your admin returns it.',
  submit_yes: 'Yes, submit',
  cancel: 'Back',
  take_back: 'Take back',
  take_back_hint: 'No reviewer has opened this day yet: you can take it back to change it.',
  taken_back_ok: 'The day is a draft again.',
  flags: 'Check',
  flag_overnight: 'over midnight',
  flag_overlap: 'overlapping entries',
  flag_long_entry: 'long entry',
  flag_long_day: 'long day',
  reopen: 'Reopen with reason',
  reopen_reason: 'Reason for the employee',
  reopened_ok: 'The day was reopened and is back with the employee.',
} as const;

/** A key of the day and review pages' own strings. */
export type EntryStringKey = keyof typeof en;

const nl: Record<EntryStringKey, string> = {
  time_hint: 'Tijden als 9:00, 0900 of 9.30; een duur in uren als 1:30 of 1,5.',
  overnight: 'Nachtdienst (eindigt de volgende dag)',
  duration: 'Of een duur in plaats van begin en einde (uren)',
  confirm_long: 'Ja, opslaan: deze lange regel of dag klopt',
  confirm_long_hint: 'Dit is langer dan gewoonlijk. Controleer de tijden; kloppen ze, vink dan het vakje aan en sla opnieuw op.',
  edit: 'Wijzigen',
  save: 'Opslaan',
  end_before_start: 'het einde ligt op of vóór het begin; vink „Nachtdienst” aan als de regel de volgende dag eindigt',
  both_given: 'geef begin en einde, of een duur, niet allebei',
  submit_confirm: 'Dag {date} met {hours} uur indienen? Na het indienen kan de dag niet meer veranderen, tenzij uw beheerder hem terugstuurt.',
  submit_yes: 'Ja, indienen',
  cancel: 'Terug',
  take_back: 'Terugnemen',
  take_back_hint: 'Nog geen beoordelaar heeft deze dag geopend: u kunt hem terugnemen om hem te wijzigen.',
  taken_back_ok: 'De dag is weer een concept.',
  flags: 'Controleren',
  flag_overnight: 'over middernacht',
  flag_overlap: 'overlappende regels',
  flag_long_entry: 'lange regel',
  flag_long_day: 'lange dag',
  reopen: 'Heropenen met reden',
  reopen_reason: 'Reden voor de medewerker',
  reopened_ok: 'De dag is heropend en ligt weer bij de medewerker.',
};

/** Both catalogues, for the test that keeps their keys in step. */
export const ENTRY_STRINGS = { en, nl } as const;

/** A string of the day and review pages in the page's language, with `{name}` placeholders filled in. */
export function et(lang: Lang, key: EntryStringKey, vars: Record<string, string> = {}): string {
  const s: string = lang === 'nl' ? nl[key] : en[key];
  return s.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}

/** Whether a `?ok=` value names one of these strings. */
export function isEntryStringKey(v: unknown): v is EntryStringKey {
  return typeof v === 'string' && Object.hasOwn(en, v);
}
