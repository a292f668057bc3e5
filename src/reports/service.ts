import type { Actor } from '../identity/policy.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { ValidationError } from '../platform/errors.js';
import { periodLabel, periodsBetween, type PeriodKind } from './periods.js';
import { authorizeTeam, reportScope } from './policy.js';
import { budgets, figures, headCounts, keyLabels, type FigureRow, type ReportQuery } from './repository.js';
import { MAX_PERIODS, type BudgetView, type Cell, type ReportQueryInput, type ReportView } from './schema.js';

/**
 * Hours reports and budgets: the actor's scope, the store's figures, and the k rule
 * applied to every cell and total (README "Reports and billing", the method).
 */

/** What reports need. */
export interface ReportDeps {
  db: Knex;
  config: Readonly<Config>;
}

const SUPPRESSED: Cell = { minutes: null, suppressed: true };
const EMPTY: Cell = { minutes: 0, suppressed: false };

/**
 * A figure as shown: suppressed unless it holds a published slice (at least k people)
 * and, where its head count is known exactly, that count is at least k. The value is
 * the sum of published slices only, so no sum or difference of shown figures ever
 * contains a slice of fewer than k people. `people` undefined: a figure over several
 * periods (no exact count), which exists because something was recorded in it.
 */
function shown(f: FigureRow | undefined, people: number | undefined, k: number): Cell {
  if (!f) return people === undefined || people > 0 ? SUPPRESSED : EMPTY;
  if (!f.published || (people !== undefined && people < k)) return SUPPRESSED;
  return { minutes: f.minutes, suppressed: false };
}

const BILLABLE_LABEL: Record<string, string> = { true: 'billable', false: 'not billable' };

/** The hours report the actor asked for, within their scope. */
export async function hoursReport(deps: ReportDeps, actor: Actor, input: ReportQueryInput): Promise<ReportView> {
  const scope = reportScope(actor);
  authorizeTeam(scope, input.team);
  const kind = input.period as PeriodKind;
  const starts = periodsBetween(kind, input.from, input.to);
  if (starts.length > MAX_PERIODS[kind]) throw new ValidationError([{ field: 'query.to', message: `a ${kind} report spans at most ${MAX_PERIODS[kind]} periods` }]);
  const q: ReportQuery = {
    kind, from: input.from, to: input.to, groupBy: input.group_by, teams: scope, team: input.team,
    customerId: input.customer_id, projectId: input.project_id, billable: input.billable === undefined ? undefined : input.billable === 'true',
  };
  const k = deps.config.reports.k;
  const [figs, heads] = await Promise.all([figures(deps.db, q, k), headCounts(deps.db, q)]);
  const fig = new Map(figs.map((f) => [`${f.period ?? '*'}|${f.key ?? '*'}`, f]));
  const ppl = new Map(heads.map((h) => [`${h.period}|${h.key ?? '*'}`, h.people]));
  const keys = [...new Set([...figs.map((f) => f.key), ...heads.map((h) => h.key)].filter((x): x is string => x !== null))].sort();
  const labels = await keyLabels(deps.db, q.groupBy, keys);
  const label = (key: string): string => labels.get(key) ?? (q.groupBy === 'billable' ? (BILLABLE_LABEL[key] ?? key) : q.groupBy === 'customer' && key === '' ? '(no customer)' : q.groupBy === 'team' && key === '' ? '(no team)' : key === '00000000-0000-0000-0000-000000000000' ? '(no task)' : key);
  const rows = keys.map((key) => ({
    key,
    label: label(key),
    cells: starts.map((p) => shown(fig.get(`${p}|${key}`), ppl.get(`${p}|${key}`) ?? 0, k)),
    // The row exists because something was recorded in it: without a published slice it is suppressed.
    total: shown(fig.get(`*|${key}`), undefined, k),
  }));
  rows.sort((a, b) => a.label.localeCompare(b.label));
  return {
    k, period: kind, group_by: q.groupBy, from: starts[0]!, to: input.to,
    periods: starts.map((start) => ({ start, label: periodLabel(kind, start) })),
    rows,
    totals: { cells: starts.map((p) => shown(fig.get(`${p}|*`), ppl.get(`${p}|*`) ?? 0, k)), total: shown(fig.get('*|*'), keys.length ? undefined : 0, k) },
  };
}

/** Budget used against budget for every project with a budget (within the actor's scope). */
export async function budgetReport(deps: ReportDeps, actor: Actor): Promise<BudgetView> {
  const scope = reportScope(actor);
  const k = deps.config.reports.k;
  const rows = await budgets(deps.db, scope, k);
  return {
    k,
    projects: rows.map((r) => ({ project_id: r.project_id, name: r.name, budget_hours: r.budget_hours, used: r.published ? { minutes: r.minutes, suppressed: false } : r.any ? SUPPRESSED : EMPTY })),
  };
}
