import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditEventInput } from '../audit/service.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import { privacyProblem } from './problems.js';
import { localDate } from '../timesheets/tz.js';
import { REGISTER_SUBJECT, requestRef, type PrivacyDeps } from './context.js';
import { effectiveDeadline } from './deadlines.js';
import { presentRequests, registerOrder, type RequestRow } from './presenter.js';
import { authorize } from './policy.js';
import type { DecisionBody, FileRequestBody, MyRequestView, RecordRequestBody, RequestView } from './schema.js';

/**
 * The request register (GDPR art. 12, 15–21): a person files erasure, restriction
 * or objection requests; the privacy officer records any request, notes the identity
 * check, extends the deadline with a reason, decides with the legal ground and
 * records when the person was told. Every change is audited in its transaction;
 * payloads name kinds, states and fields, never the text.
 */

/** Requests with the subject's display name; `received_on` as text. */
function selectRequests(db: Knex | Knex.Transaction): Knex.QueryBuilder {
  return db('privacy_requests as r')
    .leftJoin('accounts as a', 'a.id', 'r.subject_id')
    .select('r.*', db.raw('r.received_on::text as received_on'), db.raw('coalesce(a.display_name, a.username) as subject_name'));
}

/** Every request, in register order (privacy officer and auditor). */
export async function listRequests(deps: PrivacyDeps, actor: Actor): Promise<RequestView[]> {
  authorize(actor, 'read_registers', undefined);
  const rows = (await selectRequests(deps.db)) as RequestRow[];
  return (await presentRequests(deps, deps.db, rows)).sort(registerOrder);
}

async function rowById(db: Knex | Knex.Transaction, id: string, lock = false): Promise<RequestRow> {
  const q = selectRequests(db).where('r.id', id).first();
  if (lock) void q.forUpdate('r');
  const row = (await q) as RequestRow | undefined;
  if (!row) throw new NotFoundError();
  return row;
}

/** One request (privacy officer and auditor). */
export async function getRequest(deps: PrivacyDeps, actor: Actor, id: string): Promise<RequestView> {
  authorize(actor, 'read_registers', undefined);
  return (await presentRequests(deps, deps.db, [await rowById(deps.db, id)]))[0]!;
}

/** The person's own view of a request. */
function mine(v: RequestView): MyRequestView {
  const { id, number, kind, channel, received_at, text, deadlines, status, decision, ground, decided_at, execution, actions, told_at } = v;
  return { id, number, kind, channel, received_at, text, deadlines, status, decision, ground, decided_at, execution, actions, told_at };
}

/** The actor's own requests, newest first (filed by them or recorded for them). */
export async function listMyRequests(deps: PrivacyDeps, actor: Actor): Promise<MyRequestView[]> {
  return requestsAbout(deps, actor.accountId);
}

/** Every request about one person, as they see their own (for the "My data" export). */
export async function requestsAbout(deps: PrivacyDeps, accountId: string): Promise<MyRequestView[]> {
  const rows = (await selectRequests(deps.db).where('r.subject_id', accountId).orderBy('r.received_at', 'desc')) as RequestRow[];
  return (await presentRequests(deps, deps.db, rows)).map(mine);
}

/** One of the actor's own requests; 404 for anyone else's. */
export async function getMyRequest(deps: PrivacyDeps, actor: Actor, id: string): Promise<MyRequestView> {
  const row = await rowById(deps.db, id);
  authorize(actor, 'read_own_request', { subjectId: row.subject_id });
  return mine((await presentRequests(deps, deps.db, [row]))[0]!);
}

/** The columns a new request is inserted with. */
type NewRequest = Pick<RequestRow, 'subject_id' | 'subject_reference' | 'kind' | 'channel' | 'received_at'>;

const event = (action: string, actor: Actor, row: Pick<RequestRow, 'id' | 'subject_id' | 'kind'>, payload: Record<string, unknown>): AuditEventInput => ({
  action, actorId: actor.accountId, subjectId: row.subject_id, object: { type: 'privacy_request', id: row.id }, payload: { kind: row.kind, ...payload },
});

async function insertRequest(deps: PrivacyDeps, trx: Knex.Transaction, actor: Actor, fields: NewRequest, text: string | undefined, identityNote: string | undefined): Promise<string> {
  const receivedOn = localDate(fields.received_at, deps.config.timesheets.time_zone);
  const [row] = (await trx('privacy_requests').insert({ ...fields, received_on: receivedOn, recorded_by: actor.accountId, identity_checked_at: identityNote ? deps.clock.now() : null }).returning(['id'])) as Array<{ id: string }>;
  const id = row!.id;
  // The person's own text is sealed under their note key (erased with their notes); the officer's notes under the register's record key.
  const seal = (subject: string, column: string, v: string) => deps.keys.encrypt(trx, subject, requestRef(id, column), v, { purpose: subject === REGISTER_SUBJECT ? 'record' : 'note' });
  const patch: Record<string, string> = {};
  if (text) patch.text_sealed = await seal(fields.subject_id ?? REGISTER_SUBJECT, 'text_sealed', text);
  if (identityNote) patch.identity_note_sealed = await seal(REGISTER_SUBJECT, 'identity_note_sealed', identityNote);
  if (Object.keys(patch).length) await trx('privacy_requests').where({ id }).update(patch);
  return id;
}

/** A person files a request about themselves (erasure, restriction, objection). */
export async function fileRequest(deps: PrivacyDeps, actor: Actor, body: FileRequestBody): Promise<MyRequestView> {
  const id = await deps.db.transaction(async (trx) => {
    const fields = { subject_id: actor.accountId, subject_reference: null, kind: body.kind, channel: 'self_service' as const, received_at: deps.clock.now() };
    const id = await insertRequest(deps, trx, actor, fields, body.text, undefined);
    await deps.audit.record(trx, event(AUDIT_ACTIONS.privacyRequestFiled, actor, { id, ...fields }, { fields: body.text ? ['text'] : [] }));
    return id;
  });
  return getMyRequest(deps, actor, id);
}

/** The privacy officer records a request that arrived by letter, mail or in person (also for people who left). */
export async function recordRequest(deps: PrivacyDeps, actor: Actor, body: RecordRequestBody): Promise<RequestView> {
  authorize(actor, 'keep_registers', undefined);
  const receivedAt = new Date(body.received_at);
  if (receivedAt.getTime() > deps.clock.now().getTime() + 60_000) throw new ValidationError([privacyProblem('received_at', 'time.future')]);
  const id = await deps.db.transaction(async (trx) => {
    if (body.subject_id && !(await trx('accounts').where({ id: body.subject_id }).first('id'))) throw new ValidationError([privacyProblem('subject_id', 'account.none')]);
    const fields = { subject_id: body.subject_id ?? null, subject_reference: body.subject_reference ?? null, kind: body.kind, channel: body.channel, received_at: receivedAt };
    const id = await insertRequest(deps, trx, actor, fields, body.text, body.identity_note);
    await deps.audit.record(trx, event(AUDIT_ACTIONS.privacyRequestRecorded, actor, { id, ...fields }, { channel: body.channel, fields: Object.keys(body).filter((k) => k === 'text' || k === 'identity_note') }));
    return id;
  });
  return getRequest(deps, actor, id);
}

/** Changes an open or decided request under lock, audited; the change returns the audit payload. */
async function change(deps: PrivacyDeps, actor: Actor, id: string, action: string, fn: (trx: Knex.Transaction, row: RequestRow, seal: (column: string, v: string) => Promise<string>) => Promise<Record<string, unknown>>): Promise<RequestView> {
  authorize(actor, 'keep_registers', undefined);
  await deps.db.transaction(async (trx) => {
    const row = await rowById(trx, id, true);
    authorize(actor, 'change_request', { status: row.status });
    const payload = await fn(trx, row, (column, v) => deps.keys.encrypt(trx, REGISTER_SUBJECT, requestRef(id, column), v, { purpose: 'record' }));
    await trx('privacy_requests').where({ id }).update({ updated_at: deps.clock.now() });
    await deps.audit.record(trx, event(action, actor, row, payload));
  });
  return getRequest(deps, actor, id);
}

/** Notes how the person's identity was checked. */
export function noteIdentityCheck(deps: PrivacyDeps, actor: Actor, id: string, note: string): Promise<RequestView> {
  return change(deps, actor, id, AUDIT_ACTIONS.privacyRequestIdentityChecked, async (trx, _row, seal) => {
    await trx('privacy_requests').where({ id }).update({ identity_checked_at: deps.clock.now(), identity_note_sealed: await seal('identity_note_sealed', note) });
    return { fields: ['identity_note'] };
  });
}

/** Extends the deadline by two months, once, with the reason (art. 12(3)). */
export function extendRequest(deps: PrivacyDeps, actor: Actor, id: string, reason: string): Promise<RequestView> {
  return change(deps, actor, id, AUDIT_ACTIONS.privacyRequestExtended, async (trx, row, seal) => {
    if (row.extended_at) throw new ConflictError('The deadline was already extended', 'already_extended');
    await trx('privacy_requests').where({ id }).update({ extended_at: deps.clock.now(), extension_sealed: await seal('extension_sealed', reason) });
    return { fields: ['extension_reason'], deadline: effectiveDeadline(row.received_on, true) };
  });
}

/** Whether granting the request runs the erase service. */
const erases = (row: Pick<RequestRow, 'kind' | 'subject_id'>, decision: string) => row.kind === 'erasure' && decision !== 'refuse' && row.subject_id !== null;
/** Whether the decision restricts the account (a restriction granted in full; "partly" is carried out as its actions say). */
const restricts = (row: Pick<RequestRow, 'kind' | 'subject_id'>, decision: string) => row.kind === 'restriction' && decision === 'grant' && row.subject_id !== null;

/**
 * Records the decision with its legal ground. Granting (or partly granting) an
 * erasure of a known account then calls the erase service and records its
 * execution; without one wired in, the execution stays pending.
 */
export async function decideRequest(deps: PrivacyDeps, actor: Actor, id: string, body: DecisionBody): Promise<RequestView> {
  let run: RequestRow | undefined;
  await change(deps, actor, id, AUDIT_ACTIONS.privacyRequestDecided, async (trx, row, seal) => {
    if (row.status !== 'open') throw new ConflictError('The request is already decided', 'already_decided');
    const restrict = restricts(row, body.decision);
    const execution = erases(row, body.decision) ? 'pending' : restrict ? 'done' : null;
    // A granted restriction takes effect in the decision's transaction: out of inboxes and reports, only stored (lifted in restriction.ts).
    if (restrict) await trx('accounts').where({ id: row.subject_id! }).whereNull('restricted_at').update({ restricted_at: deps.clock.now() });
    await trx('privacy_requests').where({ id }).update({
      status: 'decided', decision: body.decision, decided_at: deps.clock.now(), decided_by: actor.accountId, execution,
      ground_sealed: body.ground ? await seal('ground_sealed', body.ground) : null,
      ...(body.actions ? { actions_sealed: await seal('actions_sealed', body.actions) } : {}),
    });
    if (execution) run = row;
    return { decision: body.decision, execution, fields: Object.keys(body).filter((k) => k !== 'decision'), ...(restrict ? { restricted: true } : {}) };
  });
  if (run && deps.erasePerson) {
    const row = run;
    await deps.erasePerson(row.subject_id!, `privacy request ${row.number} (${body.decision})`);
    await deps.db.transaction(async (trx) => {
      await trx('privacy_requests').where({ id, execution: 'pending' }).update({ execution: 'done', updated_at: deps.clock.now() });
      await deps.audit.record(trx, event(AUDIT_ACTIONS.privacyRequestExecuted, actor, row, { execution: 'done' }));
    });
  }
  return getRequest(deps, actor, id);
}

/** Records that the person was told the outcome, which closes the request. */
export function closeRequest(deps: PrivacyDeps, actor: Actor, id: string, body: { told_at?: string; actions?: string }): Promise<RequestView> {
  return change(deps, actor, id, AUDIT_ACTIONS.privacyRequestClosed, async (trx, row, seal) => {
    if (row.status !== 'decided') throw new ConflictError('Decide the request before recording that the person was told', 'not_decided');
    const now = deps.clock.now();
    const toldAt = body.told_at ? new Date(body.told_at) : now;
    if (toldAt.getTime() > now.getTime() + 60_000) throw new ValidationError([privacyProblem('told_at', 'time.future')]);
    await trx('privacy_requests').where({ id }).update({
      status: 'closed', told_at: toldAt, closed_at: now,
      ...(body.actions ? { actions_sealed: await seal('actions_sealed', body.actions) } : {}),
    });
    return { fields: ['told_at', ...(body.actions ? ['actions'] : [])] };
  });
}
