import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import type { RetentionHolds } from '../platform/retention.js';
import { retentionProblem } from './problems.js';

/**
 * Legal holds: pause deletion for a person, a project, a customer or a date range,
 * with a reason and an end date. Setting and releasing one is audited (kind, target
 * id, end date; the reason stays in `legal_holds`, out of the hash-chained log,
 * since it may name people). Released holds stay as history.
 */

/** What a hold covers. */
export type HoldTarget =
  | { kind: 'person'; accountId: string }
  | { kind: 'project'; projectId: string }
  | { kind: 'customer'; customerId: string }
  | { kind: 'range'; from: string; to: string };

/** A hold as listed. */
export interface LegalHold {
  id: string;
  kind: HoldTarget['kind'];
  account_id: string | null;
  project_id: string | null;
  customer_id: string | null;
  from_date: string | null;
  to_date: string | null;
  reason: string;
  ends_on: string;
  created_by: string;
  created_at: Date;
  released_at: Date | null;
  released_by: string | null;
  release_reason: string | null;
}

/** An id as PostgreSQL's uuid type reads it. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COLUMNS = ['id', 'kind', 'account_id', 'project_id', 'customer_id', 'from_date', 'to_date', 'reason', 'ends_on', 'created_by', 'created_at', 'released_at', 'released_by', 'release_reason'];

/** `YYYY-MM-DD` of an instant, in UTC. */
export function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Holds in force at `asOf`: not released and not ended (`ends_on` is the last day held). */
export async function activeHolds(db: Knex | Knex.Transaction, asOf: Date): Promise<RetentionHolds> {
  const rows = (await db('legal_holds').whereNull('released_at').andWhere('ends_on', '>=', isoDate(asOf)).select('kind', 'account_id', 'project_id', 'customer_id', db.raw(`to_char(from_date, 'YYYY-MM-DD') AS from_date`), db.raw(`to_char(to_date, 'YYYY-MM-DD') AS to_date`))) as Array<Pick<LegalHold, 'kind' | 'account_id' | 'project_id' | 'customer_id' | 'from_date' | 'to_date'>>;
  const persons = new Set<string>();
  const projects = new Set<string>();
  const customers = new Set<string>();
  const ranges: Array<{ from: string; to: string }> = [];
  for (const r of rows) {
    if (r.kind === 'person') persons.add(r.account_id!);
    else if (r.kind === 'project') projects.add(r.project_id!);
    else if (r.kind === 'customer') customers.add(r.customer_id!);
    else ranges.push({ from: r.from_date!, to: r.to_date! });
  }
  return { persons, projects, customers, ranges };
}

/** Every hold, the ones in force first; with `all` false only those not released. */
export async function listHolds(db: Knex, opts: { all?: boolean } = {}): Promise<LegalHold[]> {
  const q = db('legal_holds').select(COLUMNS.map((c) => (c.endsWith('_date') || c === 'ends_on' ? db.raw(`to_char(??, 'YYYY-MM-DD') AS ??`, [c, c]) : c)));
  if (!opts.all) q.whereNull('released_at');
  return (await q.orderByRaw('released_at IS NOT NULL, created_at DESC')) as LegalHold[];
}

/** What adding a hold needs. */
export interface NewHold {
  target: HoldTarget;
  reason: string;
  endsOn: string;
}

/**
 * Adds a hold after checking its target exists (422 naming the field otherwise) and
 * records `retention.hold_added`. `today` bounds the end date: a hold ending in the
 * past would hold nothing.
 */
export async function addHold(db: Knex, audit: AuditLog, actorId: string, input: NewHold, today: Date): Promise<LegalHold> {
  const t = input.target;
  if (input.endsOn < isoDate(today)) throw new ValidationError([retentionProblem('until', 'hold.until_past')]);
  if (t.kind === 'range' && t.to < t.from) throw new ValidationError([retentionProblem('to', 'hold.to_before_from')]);
  return db.transaction(async (trx) => {
    const exists = async (table: string, id: string, field: 'person' | 'project' | 'customer') => {
      if (!UUID.test(id)) throw new ValidationError([retentionProblem(field, 'hold.not_an_id')]);
      if (!(await trx(table).where({ id }).first('id'))) throw new ValidationError([retentionProblem(field, `hold.no_${field}`)]);
    };
    if (t.kind === 'person') await exists('accounts', t.accountId, 'person');
    if (t.kind === 'project') await exists('projects', t.projectId, 'project');
    if (t.kind === 'customer') await exists('customers', t.customerId, 'customer');
    const [row] = (await trx('legal_holds').insert({
      kind: t.kind,
      account_id: t.kind === 'person' ? t.accountId : null,
      project_id: t.kind === 'project' ? t.projectId : null,
      customer_id: t.kind === 'customer' ? t.customerId : null,
      from_date: t.kind === 'range' ? t.from : null,
      to_date: t.kind === 'range' ? t.to : null,
      reason: input.reason,
      ends_on: input.endsOn,
      created_by: actorId,
    }).returning('id')) as Array<{ id: string }>;
    const id = row!.id;
    await audit.record(trx, {
      action: AUDIT_ACTIONS.retentionHoldAdded, actorId,
      subjectId: t.kind === 'person' ? t.accountId : null,
      object: { type: 'legal_hold', id },
      payload: { kind: t.kind, ends_on: input.endsOn, target: holdTargetId(t) },
    });
    return (await trx('legal_holds').where({ id }).first(COLUMNS.map((c) => (c.endsWith('_date') || c === 'ends_on' ? trx.raw(`to_char(??, 'YYYY-MM-DD') AS ??`, [c, c]) : c)))) as LegalHold;
  });
}

/** The id (or range) a hold is on, as it goes into the audit payload. */
function holdTargetId(t: HoldTarget): string {
  if (t.kind === 'person') return t.accountId;
  if (t.kind === 'project') return t.projectId;
  if (t.kind === 'customer') return t.customerId;
  return `${t.from}..${t.to}`;
}

/** Releases a hold in force (404 unknown, 409 already released) and records `retention.hold_released`. */
export async function releaseHold(db: Knex, audit: AuditLog, actorId: string, id: string, reason: string): Promise<void> {
  await db.transaction(async (trx) => {
    if (!UUID.test(id)) throw new NotFoundError('No such legal hold');
    const hold = (await trx('legal_holds').where({ id }).forUpdate().first('id', 'kind', 'account_id', 'released_at')) as Pick<LegalHold, 'id' | 'kind' | 'account_id' | 'released_at'> | undefined;
    if (!hold) throw new NotFoundError('No such legal hold');
    if (hold.released_at) throw new ConflictError('This legal hold is already released', 'already_released');
    await trx('legal_holds').where({ id }).update({ released_at: trx.fn.now(), released_by: actorId, release_reason: reason });
    await audit.record(trx, {
      action: AUDIT_ACTIONS.retentionHoldReleased, actorId,
      subjectId: hold.kind === 'person' ? hold.account_id : null,
      object: { type: 'legal_hold', id },
      payload: { kind: hold.kind },
    });
  });
}
