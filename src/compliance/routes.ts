import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import { statusResponse } from '../retention/schema.js';
import type { ComplianceDeps } from './context.js';
import * as s from './schema.js';
import { readAccessReview, readConfigFlags, readEvents, readRetention, readVerification } from './service.js';

const tags = ['compliance'];
/** Auditors only: everyone else 403 (the matrix: audit log and compliance export are the auditor's). */
const AUDITOR = { session: true, roles: ['auditor'] } as const;

/** Registers the auditor's API; every call is itself an audited read. */
export function registerComplianceApi(api: ApiRegistry, deps: ComplianceDeps): void {
  api.add({
    method: 'get', path: '/audit/events', operationId: 'browseAuditEvents', summary: 'The audit log, newest first: filter by actor, subject, action prefix, time; keyset paging by seq (auditor; audited)', tags, auth: AUDITOR,
    query: s.eventsQuery, response: s.eventsResponse,
    handler: (ctx, { query }) => readEvents(deps, currentActor(ctx), query),
  });
  api.add({
    method: 'get', path: '/audit/verification', operationId: 'auditVerificationState', summary: 'Last audit:verify outcome and the signed checkpoint chain, each checkpoint checked now (auditor; audited)', tags, auth: AUDITOR,
    query: s.checkpointsQuery, response: s.verificationResponse,
    handler: (ctx, { query }) => readVerification(deps, currentActor(ctx), query),
  });
  api.add({
    method: 'get', path: '/audit/access-review', operationId: 'accessReview', summary: 'Every account: roles and scope, the granting group, last sign-in, days of others read in the period (default: last 90 days; auditor; audited)', tags, auth: AUDITOR,
    query: s.periodQuery, response: s.accessReviewResponse,
    handler: async (ctx, { query }) => {
      const r = await readAccessReview(deps, currentActor(ctx), query);
      return { from: r.period.from.toISOString(), to: r.period.to.toISOString(), accounts: r.accounts };
    },
  });
  api.add({
    method: 'get', path: '/audit/retention', operationId: 'auditorRetentionState', summary: 'Retention per category, as the operator console shows it (auditor; audited)', tags, auth: AUDITOR,
    response: statusResponse,
    handler: (ctx) => readRetention(deps, currentActor(ctx)),
  });
  api.add({
    method: 'get', path: '/audit/configuration', operationId: 'auditorConfigFlags', summary: 'Configuration flags: retention below a legal minimum or longer than default, privacy-weakening settings (auditor; audited)', tags, auth: AUDITOR,
    response: s.configFlagsResponse,
    handler: async (ctx) => ({ flags: await readConfigFlags(deps, currentActor(ctx)) }),
  });
}
