import { strToU8, zipSync, type Zippable } from 'fflate';
import { csvField } from '../platform/csv.js';
import { exportJsonSchema, type ExportDocument } from './schema.js';

/**
 * The download as one zip (fflate): `export.json` (the whole document), `capture/*.json` (raw activity, given as `extra`),
 * `export.schema.json` (its JSON Schema) and `csv/<table>.csv`, one file per table of
 * the document, with a header row. Nested values (payloads, scopes) are JSON in their
 * cell. A cell that a spreadsheet would run as a formula (starting with = + - @ tab or
 * CR) gets a leading apostrophe in the CSV only; export.json keeps the exact value.
 */

/** One CSV cell: quoted, quotes doubled, formulas defused. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return csvField(typeof v === 'object' ? JSON.stringify(v) : String(v), 'always');
}

/** Rows as CSV with the given columns (CRLF line ends, as RFC 4180 has them). */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const lines = [columns.map((c) => cell(c)).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** The columns of a list: the union of its rows' keys, in first-seen order (or the given ones for an empty list). */
function columnsOf(rows: ReadonlyArray<Record<string, unknown>>, fallback: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return seen.size ? [...seen] : [...fallback];
}

/** The CSV tables of a document, by file name. */
export function csvTables(doc: ExportDocument): Record<string, string> {
  const list = (name: string, rows: ReadonlyArray<Record<string, unknown>>, fallback: readonly string[]) => [name, toCsv(columnsOf(rows, fallback), rows)] as const;
  return Object.fromEntries([
    list('profile', doc.profile, ['field', 'value', 'source']),
    list('settings', [doc.settings], ['time_zone']),
    list('credentials', [doc.credentials], ['password_changed_at']),
    list('roles', doc.roles, ['role', 'team', 'reason', 'source', 'since']),
    list('teams', doc.teams, ['team', 'via']),
    list('days', doc.days, ['id', 'date', 'state', 'comment']),
    list('entries', doc.entries, ['id', 'first_date', 'last_date', 'minutes', 'note']),
    list('running_timer', doc.running_timer ? [doc.running_timer] : [], ['started_at']),
    list('audit_events', doc.audit_events, ['seq', 'at', 'relation', 'action', 'payload', 'personal']),
    list('sessions', doc.sessions, ['id', 'created_at']),
    list('api_tokens', doc.api_tokens, ['id', 'name']),
    list('mails', doc.mails, ['id', 'created_at', 'subject', 'status']),
    list('password_resets', doc.password_resets, ['created_at']),
    list('exports', doc.exports, ['id', 'status', 'created_at']),
    list('requests', doc.requests ?? [], ['id']),
    list('corrections', doc.corrections, ['id', 'day_id', 'status', 'text']),
  ]);
}

/** The zip of a document, as bytes. */
export function buildZip(doc: ExportDocument, extra: Record<string, unknown> = {}): Uint8Array {
  const files: Zippable = {
    'export.json': strToU8(`${JSON.stringify(doc, null, 2)}\n`),
    'export.schema.json': strToU8(`${JSON.stringify(exportJsonSchema(), null, 2)}\n`),
    'README.txt': strToU8(README),
  };
  for (const [name, csv] of Object.entries(csvTables(doc))) files[`csv/${name}.csv`] = strToU8(csv);
  for (const [name, content] of Object.entries(extra)) files[name] = strToU8(`${JSON.stringify(content, null, 2)}\n`);
  return zipSync(files, { level: 6, mtime: new Date(doc.generated_at) });
}

const README = `Everything Uurwerk holds about you (GDPR art. 15 and 20).

export.json         the whole record, in JSON; its structure is described by
export.schema.json  (JSON Schema, draft 2020-12).
csv/*.csv           the same record, one CSV file per table (UTF-8, comma-separated,
                    a header row); nested values are JSON inside their cell.
capture/*.json      raw captured activity (ActivityWatch), where there is any, in the
                    aw-server export format.

"notes" in export.json says what is not in here and why.
`;
