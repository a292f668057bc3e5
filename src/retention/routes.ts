import type { AuditLog } from '../audit/service.js';
import { currentActor } from '../identity/http.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { ApiRegistry } from '../platform/http/api.js';
import type { RetentionHandler } from '../platform/retention.js';
import { addHold, listHolds, releaseHold } from './holds.js';
import { holdTarget, presentHold } from './presenter.js';
import { holdAddBody, holdListQuery, holdListResponse, holdParams, holdReleaseBody, holdResponse, releasedResponse, statusResponse } from './schema.js';
import { retentionStatus } from './status.js';

/** What the retention API needs. */
export interface RetentionApiDeps {
  db: Knex;
  config: Readonly<Config>;
  audit: AuditLog;
  handlers: readonly RetentionHandler[];
  clock: Clock;
}

/** Who may read retention state and holds: operators, auditors and the data protection officer. */
const READERS = ['operator', 'auditor', 'dpo'] as const;

/**
 * The retention API: status and legal holds readable by operators, auditors and the
 * DPO; holds set and released by operators (each change audited).
 */
export function registerRetentionApi(api: ApiRegistry, deps: RetentionApiDeps): void {
  const tags = ['retention'];
  api.add({
    method: 'get', path: '/retention', operationId: 'retentionStatus', summary: 'Retention per category: setting, oldest data, next due, held items, last run', tags,
    auth: { session: true, roles: READERS }, response: statusResponse,
    handler: () => retentionStatus(deps.db, deps.config.retention, deps.handlers, deps.clock),
  });
  api.add({
    method: 'get', path: '/retention/holds', operationId: 'listLegalHolds', summary: 'Legal holds in force (all=true: released ones too)', tags,
    auth: { session: true, roles: READERS }, query: holdListQuery, response: holdListResponse,
    handler: async (_ctx, { query }) => ({ holds: (await listHolds(deps.db, { all: query.all === 'true' })).map(presentHold) }),
  });
  api.add({
    method: 'post', path: '/retention/holds', operationId: 'addLegalHold', summary: 'Operator: put a legal hold on a person, project, customer or date range', tags,
    auth: { session: true, roles: ['operator'] }, body: holdAddBody, response: holdResponse, status: 201,
    handler: async (ctx, { body }) => presentHold(await addHold(deps.db, deps.audit, currentActor(ctx).accountId, { target: holdTarget(body), reason: body.reason, endsOn: body.until }, deps.clock.now())),
  });
  api.add({
    method: 'post', path: '/retention/holds/:id/release', operationId: 'releaseLegalHold', summary: 'Operator: release a legal hold', tags,
    auth: { session: true, roles: ['operator'] }, params: holdParams, body: holdReleaseBody, response: releasedResponse,
    handler: async (ctx, { params, body }) => {
      await releaseHold(deps.db, deps.audit, currentActor(ctx).accountId, params.id, body.reason);
      return { released: true as const };
    },
  });
}
