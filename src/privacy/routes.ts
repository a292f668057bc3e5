import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import { amendBreach, getBreach, listBreaches, recordBreach } from './breaches.js';
import { auditRegisterView } from './register-reads.js';
import type { PrivacyDeps } from './context.js';
import { closeRequest, decideRequest, extendRequest, fileRequest, getMyRequest, getRequest, listMyRequests, listRequests, noteIdentityCheck, recordRequest } from './requests.js';
import { liftRestriction } from './restriction.js';
import * as s from './schema.js';

const tags = ['privacy'];
/** Who reads the registers, and who keeps them. */
const READERS = { session: true, roles: ['dpo', 'auditor'] } as const;
const KEEPER = { session: true, roles: ['dpo'] } as const;

/** Registers the privacy API: a person's own requests, the request register and the breach register. */
export function registerPrivacyApi(api: ApiRegistry, deps: PrivacyDeps): void {
  // --- a person's own requests
  api.add({
    method: 'get', path: '/me/privacy-requests', operationId: 'listMyPrivacyRequests', summary: 'My data-subject requests, newest first', tags, auth: { session: true },
    response: s.myRequestListResponse,
    handler: async (ctx) => ({ requests: await listMyRequests(deps, currentActor(ctx)) }),
  });
  api.add({
    method: 'post', path: '/me/privacy-requests', operationId: 'filePrivacyRequest', summary: 'File a request about my data: erasure, restriction or objection (optional text)', tags, auth: { session: true }, status: 201,
    body: s.fileRequestBody, response: s.myRequestResponse,
    handler: async (ctx, { body }) => fileRequest(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'get', path: '/me/privacy-requests/:id', operationId: 'getMyPrivacyRequest', summary: 'One of my requests (404 for anyone else’s)', tags, auth: { session: true },
    params: s.idParams, response: s.myRequestResponse,
    handler: async (ctx, { params }) => getMyRequest(deps, currentActor(ctx), params.id),
  });

  // --- the request register
  api.add({
    method: 'get', path: '/privacy/requests', operationId: 'listPrivacyRequests', summary: 'The request register: open requests overdue first, then by deadline (privacy officer, auditor)', tags, auth: READERS,
    response: s.requestListResponse,
    handler: async (ctx) => {
      const requests = await listRequests(deps, currentActor(ctx));
      await auditRegisterView(deps, currentActor(ctx), 'requests', { filters: ctx.query });
      return { requests };
    },
  });
  api.add({
    method: 'post', path: '/privacy/requests', operationId: 'recordPrivacyRequest', summary: 'Record a request received by letter, mail or in person, also for someone who left', tags, auth: KEEPER, status: 201,
    body: s.recordRequestBody, response: s.requestResponse,
    handler: async (ctx, { body }) => recordRequest(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'get', path: '/privacy/requests/:id', operationId: 'getPrivacyRequest', summary: 'One request of the register', tags, auth: READERS,
    params: s.idParams, response: s.requestResponse,
    handler: async (ctx, { params }) => {
      const r = await getRequest(deps, currentActor(ctx), params.id);
      await auditRegisterView(deps, currentActor(ctx), 'request', { id: params.id });
      return r;
    },
  });
  api.add({
    method: 'post', path: '/privacy/requests/:id/identity-check', operationId: 'notePrivacyRequestIdentityCheck', summary: 'Note how the person’s identity was checked', tags, auth: KEEPER,
    params: s.idParams, body: s.identityBody, response: s.requestResponse,
    handler: async (ctx, { params, body }) => noteIdentityCheck(deps, currentActor(ctx), params.id, body.note),
  });
  api.add({
    method: 'post', path: '/privacy/requests/:id/extension', operationId: 'extendPrivacyRequest', summary: 'Extend the deadline by two months, with the reason (once)', tags, auth: KEEPER,
    params: s.idParams, body: s.extensionBody, response: s.requestResponse,
    handler: async (ctx, { params, body }) => extendRequest(deps, currentActor(ctx), params.id, body.reason),
  });
  api.add({
    method: 'post', path: '/privacy/requests/:id/decision', operationId: 'decidePrivacyRequest', summary: 'Decide: grant, partly or refuse with the legal ground (a granted erasure runs the erase service)', tags, auth: KEEPER,
    params: s.idParams, body: s.decisionBody, response: s.requestResponse,
    handler: async (ctx, { params, body }) => decideRequest(deps, currentActor(ctx), params.id, body),
  });
  api.add({
    method: 'post', path: '/privacy/requests/:id/told', operationId: 'closePrivacyRequest', summary: 'Record that the person was told the outcome (closes the request)', tags, auth: KEEPER,
    params: s.idParams, body: s.toldBody, response: s.requestResponse,
    handler: async (ctx, { params, body }) => closeRequest(deps, currentActor(ctx), params.id, body),
  });
  api.add({
    method: 'post', path: '/privacy/restrictions/:id/lift', operationId: 'liftRestriction', summary: 'Lift a person\'s restriction of processing (art. 18(3)), with the reason: their submitted and approved days count in reports again (audited)', tags, auth: KEEPER,
    params: s.idParams, body: s.liftBody, response: s.liftResponse,
    handler: async (ctx, { params, body }) => liftRestriction(deps, currentActor(ctx), params.id, body.reason),
  });

  // --- the breach register
  api.add({
    method: 'get', path: '/privacy/breaches', operationId: 'listBreaches', summary: 'The breach register: latest versions with their 24/72-hour clocks (privacy officer, auditor)', tags, auth: READERS,
    response: s.breachListResponse,
    handler: async (ctx) => {
      const breaches = await listBreaches(deps, currentActor(ctx));
      await auditRegisterView(deps, currentActor(ctx), 'breaches', { filters: ctx.query });
      return { breaches };
    },
  });
  api.add({
    method: 'post', path: '/privacy/breaches', operationId: 'recordBreach', summary: 'Record a breach (suspected or confirmed)', tags, auth: KEEPER, status: 201,
    body: s.recordBreachBody, response: s.breachResponse,
    handler: async (ctx, { body }) => recordBreach(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'get', path: '/privacy/breaches/:id', operationId: 'getBreach', summary: 'One breach with every version', tags, auth: READERS,
    params: s.idParams, response: s.breachResponse,
    handler: async (ctx, { params }) => {
      const b = await getBreach(deps, currentActor(ctx), params.id);
      await auditRegisterView(deps, currentActor(ctx), 'breach', { id: params.id });
      return b;
    },
  });
  api.add({
    method: 'post', path: '/privacy/breaches/:id/amendments', operationId: 'amendBreach', summary: 'Amend a breach: appends a version with the changed fields and why (entries are never edited in place)', tags, auth: KEEPER, status: 201,
    params: s.idParams, body: s.amendBreachBody, response: s.breachResponse,
    handler: async (ctx, { params, body }) => amendBreach(deps, currentActor(ctx), params.id, body),
  });
}

