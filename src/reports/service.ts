import type { Actor } from '../identity/policy.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { ValidationError } from '../platform/errors.js';
import { ensureMonthsFor } from './cells.js';
import { periodLabel, periodsBetween, type PeriodKind } from './periods.js';
import { authorizeTeam, reportScope } from './policy.js';
import { amountFigures, budgets, figures, keyLabels, type FigureRow, type ReportQuery } from './repository.js';
import { MAX_PERIODS, type BudgetView, type Cell, type Money, type ReportQueryInput, type ReportView } from './schema.js';
import { reportsProblem } from './problems.js';

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
 * A figure as shown: the sum of its published slices (each of at least k people), or
 * suppressed when it holds none — so a cell resting on fewer than k people is always
 * suppressed (every slice in it has fewer), and no sum or difference of shown figures
 * ever contains a slice of fewer than k people. A figure nothing was recorded in is 0.
 */
function shown(f: FigureRow | undefined): Cell {
  if (!f) return EMPTY;
  if (!f.published) return SUPPRESSED;
  return { minutes: f.minutes, suppressed: false };
}

const BILLABLE_LABEL: Record<string, string> = { true: 'billable', false: 'not billable' };

/** The hours report the actor asked for, within their scope. */
export async function hoursReport(deps: ReportDeps, actor: Actor, input: ReportQueryInput): Promise<ReportView> {
  const scope = reportScope(actor);
  authorizeTeam(scope, input.team);
  const kind = input.period as PeriodKind;
  const starts = periodsBetween(kind, input.from, input.to);
  if (starts.length > MAX_PERIODS[kind]) throw new ValidationError([reportsProblem('query.to', 'reports.too_many_periods', { max: MAX_PERIODS[kind] }, `a ${kind} report spans at most ${MAX_PERIODS[kind]} periods`)]);
  const q: ReportQuery = {
    kind, from: input.from, to: input.to, groupBy: input.group_by, teams: scope, team: input.team,
    customerId: input.customer_id, projectId: input.project_id, billable: input.billable === undefined ? undefined : input.billable === 'true',
  };
  const k = deps.config.reports.k;
  await ensureMonthsFor(deps.db, k);
  // Minutes and amounts are two reads of the same slices; they run side by side on two connections.
  const [figs, amounts] = await Promise.all([figures(deps.db, q, k), amountFigures(deps.db, q, k)]);
  const fig = new Map(figs.map((f) => [`${f.period ?? '*'}|${f.key ?? '*'}`, f]));
  const money = new Map<string, Record<string, number>>();
  for (const a of amounts) {
    const id = `${a.period ?? '*'}|${a.key ?? '*'}`;
    money.set(id, { ...money.get(id), [a.currency]: a.cents / 100 });
  }
  // A figure's amounts under the same rule as its minutes: null where suppressed, else what its published slices hold.
  const valued = (id: string): Money => (shown(fig.get(id)).suppressed ? null : (money.get(id) ?? {}));
  const keys = [...new Set(figs.map((f) => f.key).filter((x): x is string => x !== null))].sort();
  const labels = await keyLabels(deps.db, q.groupBy, keys);
  const label = (key: string): string => labels.get(key) ?? (q.groupBy === 'billable' ? (BILLABLE_LABEL[key] ?? key) : q.groupBy === 'customer' && key === '' ? '(no customer)' : q.groupBy === 'team' && key === '' ? '(no team)' : key === '00000000-0000-0000-0000-000000000000' ? '(no task)' : key);
  const rows = keys.map((key) => ({
    key,
    label: label(key),
    cells: starts.map((p) => shown(fig.get(`${p}|${key}`))),
    // The row exists because something was recorded in it: without a published slice it is suppressed.
    total: shown(fig.get(`*|${key}`)),
    amounts: starts.map((p) => valued(`${p}|${key}`)),
    amount_total: valued(`*|${key}`),
  }));
  rows.sort((a, b) => a.label.localeCompare(b.label));
  return {
    k, period: kind, group_by: q.groupBy, from: starts[0]!, to: input.to,
    periods: starts.map((start) => ({ start, label: periodLabel(kind, start) })),
    rows,
    totals: {
      cells: starts.map((p) => shown(fig.get(`${p}|*`))), total: shown(fig.get('*|*')),
      amounts: starts.map((p) => valued(`${p}|*`)), amount_total: valued('*|*'),
    },
  };
}

/** Budget used against budget for every project with a budget (within the actor's scope). */
export async function budgetReport(deps: ReportDeps, actor: Actor): Promise<BudgetView> {
  const scope = reportScope(actor);
  const k = deps.config.reports.k;
  await ensureMonthsFor(deps.db, k);
  const rows = await budgets(deps.db, scope);
  return {
    k,
    projects: rows.map((r) => ({ project_id: r.project_id, name: r.name, budget_hours: r.budget_hours, used: r.published ? { minutes: r.minutes, suppressed: false } : r.any ? SUPPRESSED : EMPTY })),
  };
}
