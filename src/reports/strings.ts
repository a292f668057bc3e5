import type { Lang } from '../web/i18n.js';

/**
 * The report pages' own strings in Dutch and English (kept beside the pages so the
 * shared catalogue in src/web stays untouched by this domain).
 */
const en = {
  title: 'Reports',
  intro: 'Approved hours of the organisation. A figure that rests on fewer than {k} people is not shown, and is counted in no total.',
  period: 'Period',
  week: 'week', month: 'month', quarter: 'quarter', year: 'year',
  from: 'From', to: 'To',
  group_by: 'Group by',
  none: 'nothing', customer: 'customer', project: 'project', task: 'task', team: 'team', billable: 'billable',
  team_filter: 'Team (empty: all in your scope)',
  show: 'Show',
  total: 'Total',
  suppressed: 'fewer than {k}',
  download_csv: 'Download CSV',
  download_xlsx: 'Download XLSX',
  chart_title: 'Hours per period',
  budgets: 'Budgets',
  budget: 'Budget (h)',
  used: 'Used (h)',
  no_budgets: 'No project has a budget.',
  no_figures: 'Nothing to show for this choice.',
  hours: 'hours',
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
  download_csv: 'CSV downloaden',
  download_xlsx: 'XLSX downloaden',
  chart_title: 'Uren per periode',
  budgets: 'Budgetten',
  budget: 'Budget (u)',
  used: 'Besteed (u)',
  no_budgets: 'Geen enkel project heeft een budget.',
  no_figures: 'Niets te tonen voor deze keuze.',
  hours: 'uur',
};

/** A report string in the page's language, with `{k}` filled in. */
export function rt(lang: Lang, key: Key, k?: number): string {
  const s = lang === 'nl' ? nl[key] : en[key];
  return k === undefined ? s : s.replace('{k}', String(k));
}
