import { html, type SafeHtml } from '../web/html.js';
import type { InvoiceView, PayrollView } from './billing-schema.js';
import type { BudgetView, Cell, Money, ReportView } from './schema.js';

/**
 * The shapes a report leaves the server in besides JSON: a table of text (for CSV and
 * XLSX, both from the same rows), and SVG charts drawn on the server (no script, no
 * outside asset). Suppressed figures are written as "< k", never as a number.
 */

/** Hours with two decimals, or "< k" for a suppressed figure. */
export function hoursText(c: Cell, k: number): string {
  return c.suppressed || c.minutes === null ? `< ${k}` : (c.minutes / 60).toFixed(2);
}

/** The report as rows of cells: a header, one row per group, the totals. */
export function reportTable(r: ReportView, totalLabel: string): Array<Array<string | number>> {
  const num = (c: Cell): string | number => (c.suppressed || c.minutes === null ? `< ${r.k}` : Math.round(c.minutes / 0.6) / 100);
  return [
    [r.group_by, ...r.periods.map((p) => p.label), totalLabel],
    ...r.rows.map((row) => [row.label, ...row.cells.map(num), num(row.total)]),
    [totalLabel, ...r.totals.cells.map(num), num(r.totals.total)],
  ];
}

/** The currencies any figure of the report holds, sorted. */
export function currenciesOf(r: ReportView): string[] {
  const all = [...r.rows.flatMap((row) => [...row.amounts, row.amount_total]), ...r.totals.amounts, r.totals.amount_total];
  return [...new Set(all.flatMap((m) => (m ? Object.keys(m) : [])))].sort();
}

/** An amount in one currency with two decimals, or "< k" where the figure is suppressed. */
export function amountText(m: Money, currency: string, k: number): string {
  return m === null ? `< ${k}` : (m[currency] ?? 0).toFixed(2);
}

/** The report's billed value as rows of cells: one row per group and currency, then the totals per currency. */
export function amountTable(r: ReportView, totalLabel: string, currencyLabel = 'currency'): Array<Array<string | number>> {
  const num = (m: Money, cur: string): string | number => (m === null ? `< ${r.k}` : (m[cur] ?? 0));
  const curs = currenciesOf(r);
  return [
    [r.group_by, currencyLabel, ...r.periods.map((p) => p.label), totalLabel],
    ...r.rows.flatMap((row) => curs.map((cur) => [row.label, cur, ...row.amounts.map((m) => num(m, cur)), num(row.amount_total, cur)])),
    ...curs.map((cur) => [totalLabel, cur, ...r.totals.amounts.map((m) => num(m, cur)), num(r.totals.amount_total, cur)]),
  ];
}

/** Budgets as rows of cells. */
export function budgetTable(b: BudgetView): Array<Array<string | number>> {
  return [
    ['project', 'budget_hours', 'used_hours'],
    ...b.projects.map((p) => [p.name, p.budget_hours, p.used.suppressed || p.used.minutes === null ? `< ${b.k}` : Math.round(p.used.minutes / 0.6) / 100]),
  ];
}

/** Rows as CSV (RFC 4180, CRLF line ends, UTF-8; formulas defused). */
export { toCsv } from '../platform/csv.js';

/** Rows as an XLSX workbook, one sheet per entry. */
export { toXlsx } from '../platform/xlsx.js';

/** The invoice as sheets: the lines per project, task and rate, and (for admins) the entries. */
export function invoiceSheets(v: InvoiceView): Record<string, Array<Array<string | number>>> {
  const h = (m: number) => Math.round(m / 0.6) / 100;
  const lines: Array<Array<string | number>> = [
    ['project', 'task', 'hours', 'hourly_rate', 'currency', 'amount'],
    ...v.lines.map((l) => [l.project, l.task ?? '', h(l.minutes), l.hourly_rate ?? '', v.currency, l.amount]),
    ['total', '', h(v.total_minutes), '', v.currency, v.total_amount],
  ];
  if (!v.detail) return { invoice: lines };
  return { invoice: lines, entries: [['date', 'project', 'task', 'hours', 'note'], ...v.detail.map((d) => [d.date, d.project, d.task ?? '', h(d.minutes), d.note])] };
}

/** The payroll export as one sheet, columns as PAYROLL_COLUMNS. */
export function payrollSheet(v: PayrollView, columns: readonly string[]): Array<Array<string | number>> {
  return [[...columns], ...v.rows.map((r) => [r.person_id, r.employee_number ?? '', r.name, r.date, r.hours, r.minutes])];
}

/** Bars per period of the report's totals; a suppressed period is an outlined empty bar marked "< k". */
export function barChart(r: ReportView, title: string): SafeHtml {
  const w = 640;
  const h = 220;
  const n = Math.max(r.periods.length, 1);
  const max = Math.max(1, ...r.totals.cells.map((c) => c.minutes ?? 0));
  const slot = (w - 40) / n;
  const bars = r.periods.map((p, i) => {
    const c = r.totals.cells[i]!;
    const x = 30 + i * slot + slot * 0.1;
    const bw = slot * 0.8;
    if (c.suppressed || c.minutes === null) {
      return html`<g><rect x="${x.toFixed(1)}" y="${h - 60}" width="${bw.toFixed(1)}" height="30" fill="none" stroke="#888" stroke-dasharray="3 3"></rect><text x="${(x + bw / 2).toFixed(1)}" y="${h - 40}" font-size="9" text-anchor="middle">&lt; ${r.k}</text><title>${p.label}: &lt; ${r.k}</title></g>`;
    }
    const bh = ((h - 50) * c.minutes) / max;
    return html`<g><rect x="${x.toFixed(1)}" y="${(h - 30 - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}" fill="#2b6cb0"></rect><title>${p.label}: ${hoursText(c, r.k)} h</title></g>`;
  });
  const labels = r.periods.length <= 24 ? r.periods.map((p, i) => html`<text x="${(30 + i * slot + slot / 2).toFixed(1)}" y="${h - 12}" font-size="9" text-anchor="middle">${p.label}</text>`) : [];
  return html`<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-labelledby="chart-t"><title id="chart-t">${title}</title><line x1="28" y1="${h - 30}" x2="${w - 10}" y2="${h - 30}" stroke="#444"></line>${bars}${labels}</svg><figcaption>${title} (max ${(max / 60).toFixed(1)} h)</figcaption></figure>`;
}

/** One horizontal bar per project: used against budget (over budget in red). */
export function burnChart(b: BudgetView, title: string): SafeHtml {
  const w = 640;
  const row = 26;
  const h = row * b.projects.length + 10;
  const bars = b.projects.map((p, i) => {
    const y = 5 + i * row;
    const usedH = p.used.minutes === null ? null : p.used.minutes / 60;
    const frac = usedH === null || p.budget_hours <= 0 ? 0 : Math.min(usedH / p.budget_hours, 1.5);
    const full = 400;
    return html`<g><text x="0" y="${y + 14}" font-size="10">${p.name.slice(0, 28)}</text><rect x="200" y="${y}" width="${full}" height="16" fill="none" stroke="#888"></rect>${usedH === null
      ? html`<text x="210" y="${y + 12}" font-size="9">&lt; ${b.k}</text>`
      : html`<rect x="200" y="${y}" width="${(Math.min(frac, 1) * full).toFixed(1)}" height="16" fill="${frac > 1 ? '#c53030' : '#2f855a'}"></rect>`}<title>${p.name}: ${usedH === null ? `< ${b.k}` : usedH.toFixed(1)} / ${p.budget_hours} h</title></g>`;
  });
  return html`<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-labelledby="burn-t"><title id="burn-t">${title}</title>${bars}</svg><figcaption>${title}</figcaption></figure>`;
}
