import type { Lang } from '../web/i18n.js';

/**
 * The report pages' own strings in Dutch and English (kept beside the pages so the
 * shared catalogue in src/web stays untouched by this domain).
 */
const en = {
  title: 'Reports',
  intro: 'Submitted and approved hours of the organisation (never drafts). A figure that rests on fewer than {k} people is not shown, and is counted in no total.',
  period: 'Period',
  week: 'week', month: 'month', quarter: 'quarter', year: 'year',
  from: 'From', to: 'To',
  group_by: 'Group by',
  none: 'nothing', customer: 'customer', project: 'project', task: 'task', team: 'team', billable: 'billable',
  team_filter: 'Team (empty: all in your scope)',
  show: 'Show',
  total: 'Total',
  suppressed: 'fewer than {k}',
  amounts_title: 'Billed value',
  amounts_intro: 'Billable hours at the rate valid on each day when it was recorded, per currency (never added across currencies), under the same rule as the hours.',
  currency: 'Currency',
  download_csv: 'Download CSV',
  download_xlsx: 'Download XLSX',
  chart_title: 'Hours per period',
  budgets: 'Budgets',
  budget: 'Budget (h)',
  used: 'Used (h)',
  no_budgets: 'No project has a budget.',
  no_figures: 'Nothing to show for this choice.',
  hours: 'hours',
  ex_title: 'Invoicing and payroll exports',
  ex_invoice: 'Invoicing export', ex_customer: 'Customer', ex_detail: 'With entry detail (date, hours, task, note; each day is logged as a read)',
  ex_payroll: 'Payroll export', ex_payroll_layout: 'One line per person and day: person_id, employee_number, name, date, hours, minutes.',
  ex_none: 'Your roles give no exports.',
  wt_title: 'Working time',
  wt_intro: 'Your days this week: total, breaks and shifts, with the working-time rules as warnings. Nothing is blocked, and none of this appears in reports.',
  wt_date: 'Date', wt_total: 'Worked', wt_breaks: 'Breaks',
  wt_none: 'No warnings this week.',
  wt_previous: 'Previous week', wt_next: 'Next week',
  wt_long_shift: 'Shift longer than allowed', wt_long_week: 'More hours this week than allowed',
  wt_short_rest: 'Rest between shifts shorter than required', wt_short_break: 'Fewer breaks than required in a long shift',
} as const;

type Key = keyof typeof en;

const nl: Record<Key, string> = {
  title: 'Rapportages',
  intro: 'Goedgekeurde uren van de organisatie. Een cijfer dat op minder dan {k} personen rust wordt niet getoond en telt in geen enkel totaal mee.',
  period: 'Periode',
  week: 'week', month: 'maand', quarter: 'kwartaal', year: 'jaar',
  from: 'Van', to: 'Tot en met',
  group_by: 'Groeperen op',
  none: 'niets', customer: 'klant', project: 'project', task: 'taak', team: 'team', billable: 'declarabel',
  team_filter: 'Team (leeg: alle teams binnen uw bereik)',
  show: 'Tonen',
  total: 'Totaal',
  suppressed: 'minder dan {k}',
  amounts_title: 'Gefactureerde waarde',
  amounts_intro: 'Declarabele uren tegen het tarief dat gold op elke dag toen die werd vastgelegd, per valuta (nooit over valuta heen opgeteld), onder dezelfde regel als de uren.',
  currency: 'Valuta',
  download_csv: 'CSV downloaden',
  download_xlsx: 'XLSX downloaden',
  chart_title: 'Uren per periode',
  budgets: 'Budgetten',
  budget: 'Budget (u)',
  used: 'Besteed (u)',
  no_budgets: 'Geen enkel project heeft een budget.',
  no_figures: 'Niets te tonen voor deze keuze.',
  hours: 'uur',
  ex_title: 'Exports voor facturatie en salarisadministratie',
  ex_invoice: 'Facturatie-export', ex_customer: 'Klant', ex_detail: 'Met regels (datum, uren, taak, notitie; elke dag wordt vastgelegd als inzage)',
  ex_payroll: 'Salarisexport', ex_payroll_layout: 'Eén regel per persoon per dag: person_id, employee_number, name, date, hours, minutes.',
  ex_none: 'Uw rollen geven geen exports.',
  wt_title: 'Arbeidstijd',
  wt_intro: 'Uw dagen deze week: totaal, pauzes en diensten, met de regels van de Arbeidstijdenwet als waarschuwing. Niets wordt geblokkeerd en niets hiervan komt in rapportages.',
  wt_date: 'Datum', wt_total: 'Gewerkt', wt_breaks: 'Pauzes',
  wt_none: 'Geen waarschuwingen deze week.',
  wt_previous: 'Vorige week', wt_next: 'Volgende week',
  wt_long_shift: 'Dienst langer dan toegestaan', wt_long_week: 'Meer uren deze week dan toegestaan',
  wt_short_rest: 'Rust tussen diensten korter dan vereist', wt_short_break: 'Minder pauze dan vereist in een lange dienst',
};

/** A report string in the page's language, with `{k}` filled in. */
export function rt(lang: Lang, key: Key, k?: number): string {
  const s = lang === 'nl' ? nl[key] : en[key];
  return k === undefined ? s : s.replace('{k}', String(k));
}
