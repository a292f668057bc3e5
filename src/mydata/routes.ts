import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import { summaryOf } from './collect.js';
import { exportStatus, startExport, type ExportDeps } from './exports.js';
import * as s from './schema.js';

const tags = ['privacy'];

/** Hands a started export to the job engine (no-op where this node runs no jobs: the minute sweep builds it). */
export type SendExportJob = (exportId: string) => Promise<void>;

/**
 * The "My data" API: the summary, starting a download and its progress. Each call
 * concerns the signed-in person only (no id of a person is taken), so nobody can
 * start or watch another person's export; personal API tokens reach none of it.
 */
export function registerMyDataApi(api: ApiRegistry, deps: ExportDeps, send: SendExportJob): void {
  api.add({
    method: 'get', path: '/me/data', operationId: 'myData', summary: 'My data: everything held about me, in summary (the download has it all)', tags, auth: { session: true },
    response: s.summaryResponse,
    handler: async (ctx) => summaryOf(deps, currentActor(ctx).accountId),
  });
  api.add({
    method: 'post', path: '/me/data/exports', operationId: 'startMyDataExport', summary: 'Build a download of all my data (zip: JSON + JSON Schema + CSV) in the background; returns the one-time link', tags,
    auth: { session: true }, status: 201, body: s.startBody, response: s.exportStartedResponse,
    handler: async (ctx) => {
      const started = await startExport(deps, currentActor(ctx).accountId);
      await send(started.id);
      return started;
    },
  });
  api.add({
    method: 'get', path: '/me/data/exports/:id', operationId: 'myDataExportStatus', summary: 'Progress of one of my downloads', tags, auth: { session: true },
    params: s.exportParams, response: s.exportStatusResponse,
    handler: async (ctx, { params }) => exportStatus(deps.db, currentActor(ctx).accountId, params.id),
  });
}
