import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import { listApiTokens } from '../identity/api-tokens.js';
import type { ApiRegistry, RouteAuth } from '../platform/http/api.js';
import type { CaptureDeps } from './context.js';
import { acceptBody, acceptSuggestion, captureDay, captureDayOf } from './day.js';
import { awExport, awImportBody, exportCapture, importCapture } from './export.js';
import { deletePeriod } from './forget.js';
import { applyTemplate, listTemplates, mappingRules, publishTemplate, publishTemplateBody, readMapping, ruleTemplate, withdrawTemplate, writeMapping } from './mapping.js';
import { captureSettings, date, deletePeriodBody, deletePeriodResponse, device } from './schema.js';
import { readSettings, writeSettings } from './settings.js';

/**
 * The employee's own control over capture: pause, exclusions, deleting a period and
 * the paired devices (personal tokens with the `capture` scope; revoking one with
 * `DELETE /api/v1/me/tokens/{id}` ends the pairing). A human act: sessions only, no
 * token (an agent cannot lift a pause or an exclusion).
 */

const templateParams = z.strictObject({ id: z.uuid() });
const OWNER: RouteAuth = { session: true, roles: ['employee'] };
const TAGS = ['capture'];

/** The paired devices of an account, newest first. */
export async function pairedDevices(deps: CaptureDeps, accountId: string): Promise<Array<z.infer<typeof device>>> {
  const tokens = await listApiTokens(deps.db, accountId);
  return tokens.filter((t) => t.scopes.includes('capture')).map((t) => ({
    id: t.id, name: t.name, created_at: new Date(t.created_at).toISOString(), expires_at: new Date(t.expires_at).toISOString(),
    last_used_at: t.last_used_at ? new Date(t.last_used_at).toISOString() : null,
  }));
}

/** Registers the employee's capture settings API under /me/capture. */
export function registerMyCaptureApi(api: ApiRegistry, deps: CaptureDeps): void {
  api.add({
    method: 'get', path: '/me/capture/settings', operationId: 'getMyCaptureSettings', summary: 'My capture settings (pause, exclusions)', tags: TAGS, auth: OWNER,
    response: captureSettings,
    handler: (ctx) => readSettings(deps, currentActor(ctx).accountId),
  });
  api.add({
    method: 'put', path: '/me/capture/settings', operationId: 'putMyCaptureSettings', summary: 'Pause capture or change exclusions (applied before anything is stored)', tags: TAGS, auth: OWNER,
    body: captureSettings, response: captureSettings,
    handler: (ctx, { body }) => writeSettings(deps, currentActor(ctx).accountId, body),
  });
  api.add({
    method: 'post', path: '/me/capture/delete-period', operationId: 'deleteMyCapturePeriod', summary: 'Delete my captured activity of these days (UTC dates, inclusive); their keys are shredded', tags: TAGS, auth: OWNER,
    body: deletePeriodBody, response: deletePeriodResponse,
    handler: (ctx, { body }) => deletePeriod(deps, currentActor(ctx).accountId, body.from, body.to),
  });
  api.add({
    method: 'get', path: '/me/capture/devices', operationId: 'listMyCaptureDevices', summary: 'My paired capture devices (tokens with the capture scope)', tags: TAGS, auth: OWNER,
    response: z.object({ devices: z.array(device) }),
    handler: async (ctx) => ({ devices: await pairedDevices(deps, currentActor(ctx).accountId) }),
  });
  api.add({
    method: 'get', path: '/me/capture/export', operationId: 'exportMyCapture', summary: 'All my raw activity, in the aw-server export format', tags: TAGS, auth: OWNER,
    response: awExport,
    handler: (ctx) => exportCapture(deps, currentActor(ctx).accountId),
  });
  api.add({
    method: 'post', path: '/me/capture/import', operationId: 'importMyCapture', summary: 'Import an aw-server export file (events past the retention period are skipped)', tags: TAGS, auth: OWNER,
    body: awImportBody, response: z.object({ buckets: z.number(), events: z.number(), skipped: z.number() }),
    handler: (ctx, { body }) => importCapture(deps, currentActor(ctx).accountId, body),
  });
  api.add({
    method: 'get', path: '/me/capture/days/:date', operationId: 'getMyCaptureDay', summary: 'My activity of one day in my time zone: timeline, AFK breaks, suggestions by mapping rule and by app (never time until I accept one)', tags: TAGS, auth: OWNER,
    params: z.strictObject({ date }), response: captureDay,
    handler: (ctx, { params }) => captureDayOf(deps, currentActor(ctx).accountId, params.date),
  });
  api.add({
    method: 'post', path: '/me/capture/days/:date/accept', operationId: 'acceptMyCaptureSuggestion', summary: "Turn one suggestion (a rule's or an app's blocks that day) into my entries", tags: TAGS, auth: OWNER,
    params: z.strictObject({ date }), body: acceptBody, response: z.object({ entries: z.number() }), status: 201,
    handler: (ctx, { params, body }) => acceptSuggestion(deps, currentActor(ctx), params.date, body),
  });
  api.add({
    method: 'get', path: '/me/capture/mapping', operationId: 'getMyCaptureMapping', summary: 'My mapping rules (activity pattern → project), first match wins', tags: TAGS, auth: OWNER,
    response: mappingRules,
    handler: async (ctx) => ({ rules: await readMapping(deps, currentActor(ctx).accountId) }),
  });
  api.add({
    method: 'put', path: '/me/capture/mapping', operationId: 'putMyCaptureMapping', summary: 'Replace my mapping rules (422 names each rule with an unknown project or task)', tags: TAGS, auth: OWNER,
    body: mappingRules, response: mappingRules,
    handler: async (ctx, { body }) => ({ rules: await writeMapping(deps, currentActor(ctx).accountId, body.rules) }),
  });
  api.add({
    method: 'get', path: '/me/capture/templates', operationId: 'listCaptureTemplates', summary: 'Mapping-rule templates shared with my teams (patterns and projects, never activity)', tags: TAGS, auth: OWNER,
    response: z.object({ templates: z.array(ruleTemplate) }),
    handler: async (ctx) => ({ templates: await listTemplates(deps, currentActor(ctx)) }),
  });
  api.add({
    method: 'post', path: '/me/capture/templates', operationId: 'publishCaptureTemplate', summary: 'Share my current mapping rules with a team I belong to', tags: TAGS, auth: OWNER,
    body: publishTemplateBody, response: ruleTemplate, status: 201,
    handler: (ctx, { body }) => publishTemplate(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'post', path: '/me/capture/templates/:id/apply', operationId: 'applyCaptureTemplate', summary: "Copy a team template's rules after my own", tags: TAGS, auth: OWNER,
    params: templateParams, response: mappingRules,
    handler: async (ctx, { params }) => ({ rules: await applyTemplate(deps, currentActor(ctx), params.id) }),
  });
  api.add({
    method: 'delete', path: '/me/capture/templates/:id', operationId: 'withdrawCaptureTemplate', summary: 'Withdraw a template I shared', tags: TAGS, auth: OWNER, status: 204,
    params: templateParams, response: z.null(),
    handler: async (ctx, { params }) => {
      await withdrawTemplate(deps, currentActor(ctx), params.id);
      return null;
    },
  });
}
