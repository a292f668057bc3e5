import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { invoice, listRates, setCurrency, setRate } from './billing.js';
import * as s from './billing-schema.js';
import { closePeriod } from './closures.js';
import { payrollExport } from './payroll.js';

const tags = ['billing'];

/** Registers rates, currencies, the invoicing export, closed periods and the payroll export. */
export function registerBillingApi(api: ApiRegistry, deps: TimesheetDeps): void {
  const rateAuth = { session: true, roles: ['operator', 'reports'] } as const;
  api.add({
    method: 'get', path: '/billing/rates', operationId: 'listRates', summary: 'Hourly rates (customer, project or task; valid from a date)', tags, auth: rateAuth,
    response: z.object({ rates: z.array(s.rateResponse) }),
    handler: async (ctx) => ({ rates: await listRates(deps.db, currentActor(ctx)) }),
  });
  api.add({
    method: 'post', path: '/billing/rates', operationId: 'setRate', summary: 'Set an hourly rate from a date on (most specific wins: task, project, customer)', tags, auth: rateAuth, status: 201,
    body: s.rateBody, response: s.rateResponse,
    handler: async (ctx, { body }) => setRate(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'put', path: '/billing/customers/:id/currency', operationId: 'setCurrency', summary: 'Set the currency a customer is invoiced in', tags, auth: rateAuth,
    params: s.customerParams, body: s.currencyBody, response: z.object({ customer_id: z.string(), currency: z.string() }),
    handler: async (ctx, { params, body }) => setCurrency(deps, currentActor(ctx), params.id, body.currency),
  });
  api.add({
    method: 'get', path: '/billing/invoice', operationId: 'invoiceExport', tags, auth: { session: true, roles: ['reports', 'team_admin'] },
    summary: 'Billable hours and amounts per project and task for a customer and period, from approved days; detail=true (team admins, their scope; audited per day) adds date, hours, task and note',
    query: s.invoiceQuery, response: s.invoiceResponse,
    handler: async (ctx, { query }) => invoice(deps, currentActor(ctx), query),
  });
  api.add({
    method: 'post', path: '/billing/closures', operationId: 'closeInvoicedPeriod', summary: 'Mark a customer’s period invoiced (closed: reopening a day in it is audited as such)', tags, auth: { session: true, roles: ['reports', 'team_admin'] }, status: 201,
    body: s.closeInvoiceBody, response: s.closureResponse,
    handler: async (ctx, { body }) => closePeriod(deps, currentActor(ctx), { kind: 'invoice', from: body.from, to: body.to, customerId: body.customer_id }),
  });
  api.add({
    method: 'get', path: '/payroll', operationId: 'payrollExport', summary: 'Approved hours per person per day (payroll role: all; team admins: their scope); audited per day', tags: ['payroll'], auth: { session: true, roles: ['payroll', 'team_admin'] },
    query: s.payrollQuery, response: s.payrollResponse,
    handler: async (ctx, { query }) => payrollExport(deps, currentActor(ctx), query),
  });
  api.add({
    method: 'post', path: '/payroll/runs', operationId: 'payrollRun', summary: 'Record a payroll run: its period locks (no day in it can be reopened)', tags: ['payroll'], auth: { session: true, roles: ['payroll'] }, status: 201,
    body: s.payrollRunBody, response: s.closureResponse,
    handler: async (ctx, { body }) => closePeriod(deps, currentActor(ctx), { kind: 'payroll', from: body.from, to: body.to }),
  });
}
