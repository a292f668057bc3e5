import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import type { ExportJobDeps } from './export-job.js';
import { complianceExportStatus, listComplianceExports, startComplianceExport } from './export-job.js';
import { periodBody, parsePeriod } from './export-period.js';

/** Only auditors start, watch and fetch compliance exports. */
export const AUDITOR = { session: true, roles: ['auditor'] } as const;

/** Hands a started export to the job engine (no-op where this node runs no jobs: the minute sweep builds it). */
export type SendComplianceJob = (exportId: string) => Promise<void>;

const status = z.object({
  id: z.uuid(), status: z.enum(['queued', 'running', 'ready', 'fetched', 'expired', 'failed']), progress: z.number().int(), step: z.string().nullable(),
  from: z.string().nullable(), to: z.string().nullable(), created_at: z.string(), finished_at: z.string().nullable(), expires_at: z.string(), fetched_at: z.string().nullable(),
  bytes: z.number().nullable(), events: z.number().nullable(), manifest_sha256: z.string().nullable(),
});
/** Shared with the page: the path parameter and the download query. */
export const exportParams = z.strictObject({ id: z.uuid() });
export const downloadQuery = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the token of the download link') });

/** The compliance export API: start (201 with the one-time link), progress, the auditor's list. */
export function registerComplianceExportApi(api: ApiRegistry, deps: ExportJobDeps, send: SendComplianceJob): void {
  // Its own tag: the auditor's view (tag 'compliance') only reads; this starts builds.
  const tags = ['compliance-export'];
  api.add({
    method: 'post', path: '/audit/exports', operationId: 'startComplianceExport', summary: 'Build the signed compliance export of a period in the background; returns the one-time download link (auditor)', tags,
    auth: AUDITOR, status: 201, body: periodBody, response: status.extend({ download_url: z.string() }),
    handler: async (ctx, { body }) => {
      const started = await startComplianceExport(deps, currentActor(ctx).accountId, parsePeriod(body));
      await send(started.id);
      return started;
    },
  });
  api.add({
    method: 'get', path: '/audit/exports', operationId: 'listComplianceExports', summary: 'My compliance exports, newest first (auditor)', tags, auth: AUDITOR,
    response: z.object({ exports: z.array(status) }),
    handler: async (ctx) => ({ exports: await listComplianceExports(deps.db, currentActor(ctx).accountId) }),
  });
  api.add({
    method: 'get', path: '/audit/exports/:id', operationId: 'complianceExportStatus', summary: 'Progress of one of my compliance exports (auditor; 404 for anyone else’s)', tags, auth: AUDITOR,
    params: exportParams, response: status,
    handler: async (ctx, { params }) => complianceExportStatus(deps.db, currentActor(ctx).accountId, params.id),
  });
}
