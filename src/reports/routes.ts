import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import { reportQuery, reportResponse, budgetResponse } from './schema.js';
import { budgetReport, hoursReport, type ReportDeps } from './service.js';

const tags = ['reports'];
/** Reports are for the `reports` role and for team admins (their teams); everyone else gets 403. */
const auth = { session: true, roles: ['reports', 'team_admin'] } as const;

/** Registers the reports API: hours by group and period, and budgets; every figure under the k rule. */
export function registerReportsApi(api: ApiRegistry, deps: ReportDeps): void {
  api.add({
    method: 'get', path: '/reports/hours', operationId: 'hoursReport', tags, auth,
    summary: 'Submitted and approved hours by customer, project, task, team or billable, per week, month, quarter or year (cells of fewer than k people suppressed)',
    query: reportQuery, response: reportResponse,
    handler: async (ctx, { query }) => hoursReport(deps, currentActor(ctx), query),
  });
  api.add({
    method: 'get', path: '/reports/budgets', operationId: 'budgetReport', tags, auth,
    summary: 'Budget used against budget for every project with a budget (under the k rule)',
    response: budgetResponse,
    handler: async (ctx) => budgetReport(deps, currentActor(ctx)),
  });
}
