import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import { ValidationError } from '../platform/errors.js';
import { tsProblem } from './problems.js';
import { toCsv } from '../platform/csv.js';
import type { TimesheetDeps } from './context.js';
import { listMyDays } from './days.js';
import { listProjects } from './master-data.js';
import type { DayView } from './presenter.js';
import { addDays, dayCount, localTime } from './tz.js';
import { toXlsx } from '../platform/xlsx.js';

/**
 * A person's own time as CSV or XLSX for a chosen period: one line per entry and day
 * it counts on (an entry over midnight gives a line on each day, with that day's
 * minutes), so the minutes add up to the day totals. Only the actor's own days are
 * read (the same service as their week); the export is an audit event with counts.
 */

/** The columns of the export, in order. */
export const MY_EXPORT_COLUMNS = ['date', 'start', 'end', 'minutes', 'customer', 'project', 'task', 'note', 'day_state'] as const;

/** The longest period one export covers, in days. */
export const MY_EXPORT_MAX_DAYS = 366;

/** A file to send. */
export interface ExportFile {
  body: Buffer;
  type: string;
  name: string;
}


/** The export's rows (header first) from day views. */
export function exportRows(days: readonly DayView[], customers: ReadonlyMap<string, string>): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = [[...MY_EXPORT_COLUMNS]];
  for (const d of days) {
    for (const e of d.entries) {
      const names = d.totals.find((x) => x.project_id === e.project_id && x.task_id === (e.task_id ?? null));
      rows.push([
        d.date, e.start ? localTime(new Date(e.start), d.time_zone) : '', e.end ? localTime(new Date(e.end), d.time_zone) : '', e.minutes_on_day,
        customers.get(e.project_id) ?? '', names?.project_name ?? '', names?.task_name ?? '', e.note, d.state,
      ]);
    }
  }
  return rows;
}

/**
 * Builds the actor's export for [from, to] (422 naming `to` for a reversed or too long
 * period) and records `privacy.personal_data.exported` with the period and counts.
 */
export async function exportMyTime(deps: TimesheetDeps, actor: Actor, from: string, to: string, format: 'csv' | 'xlsx'): Promise<ExportFile> {
  if (to < from) throw new ValidationError([tsProblem('to', 'range.before_from')]);
  if (dayCount(from, to) > MY_EXPORT_MAX_DAYS) throw new ValidationError([tsProblem('to', 'export.max_days', { n: MY_EXPORT_MAX_DAYS })]);
  const days: DayView[] = [];
  // listMyDays reads at most 62 days at a time.
  for (let start = from; start <= to; start = addDays(start, 62)) {
    const end = addDays(start, 61) < to ? addDays(start, 61) : to;
    days.push(...(await listMyDays(deps, actor, start, end)));
  }
  const customers = new Map((await listProjects(deps.db, true)).flatMap((p) => (p.customer_name ? [[p.id, p.customer_name] as const] : [])));
  const rows = exportRows(days, customers);
  let file: ExportFile;
  if (format === 'csv') {
    file = { body: Buffer.from(toCsv(rows), 'utf8'), type: 'text/csv; charset=utf-8', name: `my-time-${from}-${to}.csv` };
  } else {
    file = { body: await toXlsx({ time: rows }), type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', name: `my-time-${from}-${to}.xlsx` };
  }
  await deps.audit.append({
    action: AUDIT_ACTIONS.personalDataExported, actorId: actor.accountId, subjectId: actor.accountId, object: { type: 'time_export', id: `${from}..${to}` },
    payload: { format, from, to, entries: rows.length - 1, days: days.filter((d) => d.entries.length).length },
  });
  return file;
}
