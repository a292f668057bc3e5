/**
 * CSV as every export of the appliance writes it (RFC 4180, CRLF line ends, UTF-8),
 * with one rule against formula injection: a text cell a spreadsheet would run as a
 * formula (starting with = + - @, tab or CR) gets a leading apostrophe, so it shows as
 * text. The JSON beside an export keeps the exact value.
 */

const FORMULA = /^[=+\-@\t\r]/;

/**
 * One CSV field. `needed` quotes only what must be quoted (numbers stay bare);
 * `always` quotes every field, numbers included.
 */
export function csvField(v: string | number, quote: 'needed' | 'always' = 'needed'): string {
  if (typeof v === 'number' && quote === 'needed') return String(v);
  const raw = String(v);
  const s = FORMULA.test(raw) ? `'${raw}` : raw;
  return quote === 'always' || /[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as CSV, fields quoted where needed. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return rows.map((r) => r.map((v) => csvField(v)).join(',')).join('\r\n') + '\r\n';
}
