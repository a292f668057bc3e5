import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import { acknowledgeConfidentiality, acknowledgeNotice, noticeAcknowledgedAt } from './acks.js';
import type { TransparencyDeps } from './context.js';
import { noticeDocument } from './processing.js';
import * as s from './schema.js';

const tags = ['transparency'];

/** Registers the notice API: read it, confirm it, and the admins' confidentiality statement. */
export function registerTransparencyApi(api: ApiRegistry, deps: TransparencyDeps): void {
  api.add({
    method: 'get', path: '/privacy/notice', operationId: 'getPrivacyNotice', summary: 'The privacy notice in force (generated from the configuration), its version and whether I confirmed it', tags, auth: { session: true },
    response: s.noticeResponse,
    handler: async (ctx) => {
      const v = await deps.currentVersion();
      const at = await noticeAcknowledgedAt(deps.db, currentActor(ctx).accountId, v.version);
      return { version: v.version, since: v.at, acknowledgedAt: at?.toISOString() ?? null, notice: noticeDocument(deps.config, ctx.state.lang) };
    },
  });
  api.add({
    method: 'post', path: '/privacy/notice/acknowledgements', operationId: 'acknowledgePrivacyNotice', summary: 'Confirm I read the notice version in force (409 when the version given is no longer in force); audited', tags, auth: { session: true }, status: 201,
    body: s.noticeAckBody, response: s.ackResponse,
    handler: async (ctx, { body }) => acknowledgeNotice(deps, currentActor(ctx).accountId, body.version),
  });
  api.add({
    method: 'post', path: '/privacy/confidentiality/acknowledgements', operationId: 'acknowledgeConfidentiality', summary: 'Team admins: agree to the confidentiality statement before opening other people’s days; audited', tags, auth: { session: true, roles: ['team_admin'] }, status: 201,
    body: s.emptyBody, response: s.ackResponse,
    handler: async (ctx) => acknowledgeConfidentiality(deps, currentActor(ctx).accountId),
  });
}
