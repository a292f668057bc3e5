import type { Lang } from '../web/i18n.js';

/**
 * The week grid's, picker's and own-export's strings in Dutch and English (kept beside
 * the pages so the shared catalogue in src/web stays untouched).
 */
const en = {
  grid_title: 'Timesheet',
  grid_caption: 'Hours per project and day, week of {a} to {b}',
  grid_hint: 'Type hours as 1:30 or 1.5 in any cell; empty or 0 clears it. With JavaScript each cell saves when you leave it, without it "Save the week" saves all at once. Cells holding start–end times are changed on the day page; submitted and approved days are locked.',
  row: 'Project and task',
  total: 'Total',
  week_total: 'Week total',
  save: 'Save the week',
  add_row: 'New row',
  timed_cell: 'start–end times, change on the day page',
  locked_cell: 'locked',
  pinned: 'pinned',
  cell_label: '{row}, {day}',
  bad_hours: 'use hours such as 1:30 or 1.5',
  pick_project: 'choose a project for the new row',
  favourites: 'Pinned rows',
  favourites_hint: 'Pinned rows stay in your grid every week, before the rows you used recently.',
  pin: 'Pin',
  unpin: 'Unpin',
  no_favourites: 'Nothing pinned yet.',
  copy_title: 'Copy',
  copy_last_week: 'Copy last week',
  copy_hint: 'Copies last week’s rows and hours into this week’s empty draft days; a day that already holds time is never overwritten. Notes are not copied.',
  copy_yesterday: 'Copy yesterday into this day',
  copy_yesterday_hint: 'On each day page: fills an empty draft day with the rows and hours of the day before.',
  copied: 'Copied: {n} entries.',
  nothing_copied: 'Nothing copied: the days are not empty drafts, or the days copied from hold no open project.',
  export_title: 'My time as a file',
  export_hint: 'Your own entries (date, start, end, minutes, customer, project, task, note, day state) for a period of at most 366 days.',
  from: 'From',
  to: 'To',
  export_csv: 'Download CSV',
  export_xlsx: 'Download XLSX',
  picker_search: 'type to search customer, project, task or code',
  picker_none: 'No project matches.',
  picker_recent: 'Recent and pinned',
  picker_no_customer: 'Without customer',
  confirm_long: 'Yes, save these long hours',
  saved: 'Saved.',
  not_saved: 'Not saved',
  to_saved: 'Go to what was saved',
  cell_problem: 'check the hours (such as 1:30 or 1.5); long hours are saved with the Save button below the grid, which asks to confirm them',
} as const;

type Key = keyof typeof en;

const nl: Record<Key, string> = {
  grid_title: 'Urenstaat',
  grid_caption: 'Uren per project en dag, week van {a} tot en met {b}',
  grid_hint: 'Typ uren als 1:30 of 1,5 in een cel; leeg of 0 maakt haar leeg. Met JavaScript wordt elke cel bewaard zodra u haar verlaat, zonder JavaScript bewaart „Week opslaan” alles in één keer. Cellen met begin- en eindtijden wijzigt u op de dagpagina; ingediende en goedgekeurde dagen liggen vast.',
  row: 'Project en taak',
  total: 'Totaal',
  week_total: 'Weektotaal',
  save: 'Week opslaan',
  add_row: 'Nieuwe regel',
  timed_cell: 'begin- en eindtijden, wijzigen op de dagpagina',
  locked_cell: 'vast',
  pinned: 'vastgezet',
  cell_label: '{row}, {day}',
  bad_hours: 'gebruik uren zoals 1:30 of 1,5',
  pick_project: 'kies een project voor de nieuwe regel',
  favourites: 'Vastgezette regels',
  favourites_hint: 'Vastgezette regels staan elke week in uw urenstaat, vóór de regels die u onlangs gebruikte.',
  pin: 'Vastzetten',
  unpin: 'Losmaken',
  no_favourites: 'Nog niets vastgezet.',
  copy_title: 'Kopiëren',
  copy_last_week: 'Vorige week kopiëren',
  copy_hint: 'Kopieert de regels en uren van vorige week naar de lege conceptdagen van deze week; een dag waarop al tijd staat, wordt nooit overschreven. Notities worden niet gekopieerd.',
  copy_yesterday: 'Gisteren naar deze dag kopiëren',
  copy_yesterday_hint: 'Op elke dagpagina: vult een lege conceptdag met de regels en uren van de dag ervoor.',
  copied: 'Gekopieerd: {n} regels.',
  nothing_copied: 'Niets gekopieerd: de dagen zijn geen lege concepten, of de gekopieerde dagen bevatten geen open project.',
  export_title: 'Mijn tijd als bestand',
  export_hint: 'Uw eigen regels (datum, begin, einde, minuten, klant, project, taak, notitie, status van de dag) over een periode van hoogstens 366 dagen.',
  from: 'Van',
  to: 'Tot en met',
  export_csv: 'CSV downloaden',
  export_xlsx: 'XLSX downloaden',
  picker_search: 'typ om te zoeken op klant, project, taak of code',
  picker_none: 'Geen project gevonden.',
  picker_recent: 'Recent en vastgezet',
  picker_no_customer: 'Zonder klant',
  confirm_long: 'Ja, deze lange uren opslaan',
  saved: 'Opgeslagen.',
  not_saved: 'Niet opgeslagen',
  to_saved: 'Naar wat is opgeslagen',
  cell_problem: 'controleer de uren (zoals 1:30 of 1,5); lange uren slaat u op met de knop Opslaan onder het rooster, die om bevestiging vraagt',
};

/** The catalogues, for the test that keeps them in step. */
export const WEEK_STRINGS = { en, nl } as const;

/** A week-page string in the page's language, with `{name}` placeholders filled in. */
export function wt(lang: Lang, key: Key, vars: Record<string, string | number> = {}): string {
  const s: string = lang === 'nl' ? nl[key] : en[key];
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** A date as a short weekday and day in the page's language (`Mon 30 Nov`, `ma 30 nov`). */
export function dayLabel(lang: Lang, date: string): string {
  return new Intl.DateTimeFormat(lang === 'nl' ? 'nl-NL' : 'en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`));
}
