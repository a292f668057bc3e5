import type { Knex } from '../platform/db.js';
import { periodStart, type PeriodKind } from './periods.js';

/**
 * The queries of organisation reports, over the report store only (never over days
 * or entries). Figures are sums of published week slices (`report_atoms`) with at
 * least k people (head counts exact: distinct week pseudonyms within a slice).
 */

/** What a report may be grouped by; there is deliberately no person. */
export const GROUP_BY = ['none', 'customer', 'project', 'task', 'team', 'billable'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** One report's question, after authorization (`teams` null: the whole organisation). */
export interface ReportQuery {
  kind: PeriodKind;
  from: string;
  to: string;
  groupBy: GroupBy;
  teams: readonly string[] | null;
  team?: string;
  customerId?: string;
  projectId?: string;
  billable?: boolean;
}

/** A summed figure: `period`/`key` null on totals. */
export interface FigureRow {
  period: string | null;
  key: string | null;
  minutes: number;
  published: boolean;
}

const DIM: Record<GroupBy, string> = {
  none: `'all'`,
  customer: `coalesce(p.customer_id::text, '')`,
  project: 'p.id::text',
  task: 'x.task_id::text',
  billable: 'coalesce(tk.billable, p.billable)::text',
  team: 'tm.team',
};

/** The period of a row: weeks from the slices, longer periods from the monthly sums. */
const ROW_PERIOD: Record<PeriodKind, string> = {
  week: 'x.period',
  month: 'x.month',
  quarter: `date_trunc('quarter', x.month)::date`,
  year: `date_trunc('year', x.month)::date`,
};

/** FROM and WHERE shared by both queries, with their bindings. */
function source(table: 'report_atoms' | 'report_months' | 'report_months_all', periodExpr: string, q: ReportQuery, join = ''): { sql: string; bindings: Knex.Value[] } {
  const bindings: Knex.Value[] = [];
  let sql = `FROM ${table} x JOIN projects p ON p.id = x.project_id LEFT JOIN tasks tk ON tk.id = x.task_id${join}`;
  if (q.groupBy === 'team') sql += ` CROSS JOIN LATERAL unnest(CASE WHEN cardinality(x.teams) = 0 THEN ARRAY[''] ELSE x.teams END) AS tm(team)`;
  sql += ` WHERE ${periodExpr} BETWEEN ?::date AND ?::date`;
  bindings.push(periodStart(q.kind, q.from), periodStart(q.kind, q.to));
  if (q.teams) {
    sql += ' AND x.teams && ?::text[]';
    bindings.push([...q.teams]);
    if (q.groupBy === 'team') {
      sql += ' AND tm.team = ANY (?::text[])';
      bindings.push([...q.teams]);
    }
  }
  if (q.team !== undefined) {
    sql += ' AND ? = ANY (x.teams)';
    bindings.push(q.team);
  }
  if (q.customerId) {
    sql += ' AND p.customer_id = ?';
    bindings.push(q.customerId);
  }
  if (q.projectId) {
    sql += ' AND p.id = ?';
    bindings.push(q.projectId);
  }
  if (q.billable !== undefined) {
    sql += ' AND coalesce(tk.billable, p.billable) = ?';
    bindings.push(q.billable);
  }
  return { sql, bindings };
}

/** Where a figure query reads, and which of its rows count (published, at least k people). */
function figureSource(q: ReportQuery, k: number, join = ''): { per: string; src: { sql: string; bindings: Knex.Value[] }; ok: string; okBindings: Knex.Value[] } {
  const per = ROW_PERIOD[q.kind];
  // Weeks add up published slices; months, quarters and years their monthly sums (same slices, fewer rows).
  const weekly = q.kind === 'week';
  // Organisation-wide and not by team: the monthly sums over all team sets.
  const org = !q.teams && q.team === undefined && q.groupBy !== 'team';
  const src = source(weekly ? 'report_atoms' : org ? 'report_months_all' : 'report_months', per, q, join);
  return { per, src, ok: weekly ? 'x.people >= ? AND x.minutes IS NOT NULL' : 'x.minutes IS NOT NULL', okBindings: weekly ? [k] : [] };
}

const SETS = 'GROUPING SETS ((per, key), (per), (key), ())';

/**
 * The report's figures per cell, per period, per group and in all: sums of the
 * published week slices with at least k people (the others count nowhere), and
 * whether any such slice lies in the figure.
 */
export async function figures(db: Knex, q: ReportQuery, k: number): Promise<FigureRow[]> {
  const { per, src, ok, okBindings } = figureSource(q, k);
  const { rows } = await db.raw<{ rows: Array<{ period: string | null; key: string | null; minutes: string | null; published: boolean | null }> }>(
    `SELECT to_char(per, 'YYYY-MM-DD') AS period, key, sum(minutes) FILTER (WHERE ok) AS minutes, bool_or(ok) AS published
       FROM (SELECT ${per} AS per, ${DIM[q.groupBy]} AS key, x.minutes, ${ok} AS ok ${src.sql}) s
      GROUP BY ${SETS}`,
    [...okBindings, ...src.bindings],
  );
  return rows.map((r) => ({ period: r.period, key: r.key, minutes: Number(r.minutes ?? 0), published: r.published === true }));
}

/** A figure's billed amount in one currency (cents); `period`/`key` null on totals. */
export interface AmountRow {
  period: string | null;
  key: string | null;
  currency: string;
  cents: number;
}

/**
 * The billed amounts of the same figures, per currency (never added across currencies):
 * sums over exactly the published slices `figures` adds up, so an amount is shown
 * only where its figure's minutes are.
 */
export async function amountFigures(db: Knex, q: ReportQuery, k: number): Promise<AmountRow[]> {
  const { per, src, ok, okBindings } = figureSource(q, k, ' CROSS JOIN LATERAL jsonb_each_text(x.amounts) AS e');
  const { rows } = await db.raw<{ rows: Array<{ period: string | null; key: string | null; currency: string; cents: string }> }>(
    `SELECT to_char(per, 'YYYY-MM-DD') AS period, key, currency, sum(cents) AS cents
       FROM (SELECT ${per} AS per, ${DIM[q.groupBy]} AS key, e.key AS currency, e.value::bigint AS cents ${src.sql} AND ${ok}) s
      GROUP BY GROUPING SETS ((per, key, currency), (per, currency), (key, currency), (currency))`,
    [...src.bindings, ...okBindings],
  );
  return rows.map((r) => ({ period: r.period, key: r.key, currency: r.currency, cents: Number(r.cents) }));
}

/** Display names of the keys of a grouping. */
export async function keyLabels(db: Knex, groupBy: GroupBy, keys: string[]): Promise<Map<string, string>> {
  const ids = keys.filter((k) => /^[0-9a-f-]{36}$/.test(k));
  if (groupBy === 'customer' && ids.length) {
    const rows = (await db('customers').whereIn('id', ids).select('id', 'name')) as Array<{ id: string; name: string }>;
    return new Map(rows.map((r) => [r.id, r.name]));
  }
  if (groupBy === 'project' && ids.length) {
    const rows = (await db('projects').whereIn('id', ids).select('id', 'name')) as Array<{ id: string; name: string }>;
    return new Map(rows.map((r) => [r.id, r.name]));
  }
  if (groupBy === 'task' && ids.length) {
    const rows = (await db('tasks as t').join('projects as p', 'p.id', 't.project_id').whereIn('t.id', ids).select('t.id', db.raw(`p.name || ' / ' || t.name AS name`))) as Array<{ id: string; name: string }>;
    return new Map(rows.map((r) => [r.id, r.name]));
  }
  return new Map();
}

/** Projects with a budget, and their published hours over all time (within `teams` when given). */
export async function budgets(db: Knex, teams: readonly string[] | null): Promise<Array<{ project_id: string; name: string; budget_hours: number; minutes: number; published: boolean; any: boolean }>> {
  const { rows } = await db.raw<{ rows: Array<{ project_id: string; name: string; budget_hours: string; minutes: string | null; published: boolean | null; n: string }> }>(
    `SELECT p.id AS project_id, p.name, p.budget_hours, count(x.project_id) AS n,
            sum(x.minutes) AS minutes, bool_or(x.minutes IS NOT NULL) AS published
       FROM projects p LEFT JOIN ${teams ? 'report_months' : 'report_months_all'} x ON x.project_id = p.id ${teams ? 'AND x.teams && ?::text[]' : ''}
      WHERE p.budget_hours IS NOT NULL
      GROUP BY p.id, p.name, p.budget_hours
      ORDER BY p.name`,
    teams ? [[...teams]] : [],
  );
  return rows.map((r) => ({ project_id: r.project_id, name: r.name, budget_hours: Number(r.budget_hours), minutes: Number(r.minutes ?? 0), published: r.published === true, any: Number(r.n) > 0 }));
}
