import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { tsProblem } from './problems.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { facts, type TimesheetDeps } from './context.js';
import { reopenDay, returnDay } from './day-workflow.js';
import { DAY_STATES, isOwner, isScopedAdmin, visibleDays, type DayState } from './policy.js';
import { inWall, walled, type DayRow, type Wall } from './repository.js';

/**
 * Correction requests (rectification, art. 16): a draft is edited directly, a locked
 * day (submitted or approved) gets a request. The owner writes what is wrong (and may
 * name an entry); the request reaches the admins whose scope holds the day (their
 * correction inbox, an audited read like the day inbox); an admin resolves it by
 * reopening the day (approved) or returning it (submitted) with the request as the
 * reason, which puts it back in the owner's hands, or declines it. The text rests
 * sealed under the owner's key; audit events name the day and state, never the text.
 */

export const CORRECTION_STATUSES = ['open', 'reopened', 'declined'] as const;

/** A new request: what is wrong, and optionally which entry. */
export const correctionBody = z.strictObject({
  text: z.string().trim().min(1).max(2000),
  entry_id: z.uuid().nullable().default(null),
});
export type CorrectionBody = z.infer<typeof correctionBody>;

/** How an admin resolves a request. */
export const resolveBody = z.strictObject({ action: z.enum(['reopen', 'decline']) });

export const correctionResponse = z.object({
  id: z.uuid(),
  day_id: z.uuid(),
  date: z.string(),
  day_state: z.enum(DAY_STATES),
  owner_id: z.uuid(),
  entry_id: z.uuid().nullable(),
  text: z.string(),
  status: z.enum(CORRECTION_STATUSES),
  created_at: z.string(),
  resolved_at: z.string().nullable(),
});
export type CorrectionView = z.infer<typeof correctionResponse>;
export const correctionListResponse = z.object({ corrections: z.array(correctionResponse) });

interface Row {
  id: string;
  day_id: string;
  owner_id: string;
  entry_id: string | null;
  text: string;
  status: (typeof CORRECTION_STATUSES)[number];
  created_at: Date;
  resolved_at: Date | null;
}

const textRef = (id: string) => ({ table: 'timesheet_corrections', column: 'text', rowId: id });

type DayOf = Map<string, { date: string; state: DayState }>;

async function present(deps: TimesheetDeps, db: Knex | Knex.Transaction, rows: Row[], days: DayOf): Promise<CorrectionView[]> {
  const texts = await deps.keys.decryptEach(db, rows.map((r) => ({ subject: r.owner_id, ref: textRef(r.id), envelope: r.text })));
  return rows.map((r, i) => ({
    id: r.id, day_id: r.day_id, date: days.get(r.day_id)?.date ?? '', day_state: days.get(r.day_id)?.state ?? 'draft', owner_id: r.owner_id, entry_id: r.entry_id,
    text: texts[i] ?? '', status: r.status, created_at: r.created_at.toISOString(), resolved_at: r.resolved_at?.toISOString() ?? null,
  }));
}

/**
 * Tells the admins whose scope holds the day (team admins of the teams recorded at
 * submit, as `isScopedAdmin` judges) through the outbox, in the request's transaction:
 * the date and a link only — never a name or the request's text.
 */
async function mailAdmins(deps: TimesheetDeps, trx: Knex.Transaction, day: DayRow, date: string): Promise<void> {
  if (!day.scope_teams.length) return;
  // A restricted person's requests are left out of the inbox (art. 18): no mail points there either.
  if ((await trx('accounts').where({ id: day.owner_id }).whereNotNull('restricted_at').first('id')) !== undefined) return;
  const rows = (await trx('role_assignments as r').join('accounts as a', 'a.id', 'r.account_id')
    .where({ 'r.role': 'team_admin', 'a.status': 'active' }).whereIn('r.team', day.scope_teams).whereNot('r.account_id', day.owner_id).whereNotNull('a.email')
    .distinct('a.email')) as Array<{ email: string }>;
  const to = rows.map((r) => r.email).sort();
  if (!to.length) return;
  const base = deps.config.server.public_url?.replace(/\/$/, '') ?? '';
  await enqueueMail(trx, {
    to,
    subject: `Uurwerk: a correction was requested for a day (${date})`,
    text: `A correction was requested for a locked day (${date}) in your scope.\n\nOpen the correction requests to reopen the day or decline the request:\n${base}/timesheets/corrections\n`,
  }, { cipher: deps.keys });
}

/** Files a correction request on one of the actor's own locked days. */
export async function requestCorrection(deps: TimesheetDeps, actor: Actor, date: string, body: CorrectionBody): Promise<CorrectionView> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const day = (await walled(w, (trx) => trx('timesheet_days').where({ owner_id: actor.accountId, date }).first())) as DayRow | undefined;
    if (!day) throw new NotFoundError();
    if (day.state !== 'submitted' && day.state !== 'approved') {
      throw new ValidationError([tsProblem('date', 'correction.day_open')]);
    }
    if (body.entry_id) {
      const entry = await walled(w, (trx) => trx('time_entries').where({ id: body.entry_id, owner_id: actor.accountId }).where('first_date', '<=', date).where('last_date', '>=', date).first('id'));
      if (!entry) throw new ValidationError([tsProblem('entry_id', 'correction.not_your_entry')]);
    }
    const trx = await w.own();
    const id = randomUUID();
    const text = await deps.keys.encrypt(trx, actor.accountId, textRef(id), body.text, { purpose: 'record' });
    const [row] = (await trx('timesheet_corrections').insert({ id, day_id: day.id, owner_id: actor.accountId, entry_id: body.entry_id, text }).returning('*')) as Row[];
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.correctionRequested, actorId: actor.accountId, subjectId: actor.accountId, object: { type: 'timesheet_day', id: day.id }, payload: { date, entry: body.entry_id !== null } });
    await mailAdmins(deps, trx, day, date);
    return (await present(deps, trx, [row!], new Map([[day.id, { date, state: day.state }]])))[0]!;
  });
}

/** The actor's own correction requests, newest first (optionally of one day). */
export async function myCorrections(deps: TimesheetDeps, actor: Actor, date?: string): Promise<CorrectionView[]> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const days = (await walled(w, (trx) => trx('timesheet_days').where({ owner_id: actor.accountId }).modify((q) => (date ? q.where({ date }) : q)).select('id', 'state', trx.raw('date::text as date')))) as Array<{ id: string; date: string; state: DayState }>;
    const trx = await w.own();
    const rows = (await trx('timesheet_corrections').where({ owner_id: actor.accountId }).whereIn('day_id', days.map((d) => d.id)).orderBy('created_at', 'desc')) as Row[];
    return present(deps, trx, rows, new Map(days.map((d) => [d.id, { date: d.date, state: d.state }])));
  });
}

/** The open requests on days in the admin's scope, with their days (not yet read: no audit, no decryption). */
async function openInScope(w: Wall, actor: Actor): Promise<{ rows: Row[]; mine: Map<string, DayRow> }> {
  const open = (await (await w.own())('timesheet_corrections').where({ status: 'open' }).whereNot({ owner_id: actor.accountId }).orderBy('created_at')) as Row[];
  if (!open.length) return { rows: [], mine: new Map() };
  const days = (await walled(w, (trx) => trx('timesheet_days').whereIn('timesheet_days.id', open.map((r) => r.day_id)).modify(visibleDays(actor))
    // Restricted people's requests drop out of the inbox, as their days do (art. 18).
    .whereNotExists((q) => q.select(trx.raw('1')).from('accounts as ra').whereRaw('ra.id = timesheet_days.owner_id').whereNotNull('ra.restricted_at'))
    .select('timesheet_days.*', trx.raw('timesheet_days.date::text as date')))) as DayRow[];
  const mine = new Map(days.filter((d) => isScopedAdmin(actor, facts(d))).map((d) => [d.id, d]));
  return { rows: open.filter((r) => mine.has(r.day_id)), mine };
}

/** How many open requests wait in the admin's scope (a count for the inbox link: nothing personal is read). */
export async function correctionCount(deps: TimesheetDeps, actor: Actor): Promise<number> {
  if (!actor.roles.has('team_admin')) return 0;
  return inWall(deps.db, actor.accountId, async (w) => (await openInScope(w, actor)).rows.length);
}

/** The open requests on days in the admin's scope (their correction inbox); each listed request is an audited read. */
export async function correctionInbox(deps: TimesheetDeps, actor: Actor): Promise<CorrectionView[]> {
  const { views, read } = await inWall(deps.db, actor.accountId, async (w) => {
    const { rows, mine } = await openInScope(w, actor);
    if (!rows.length) return { views: [], read: [] };
    const views = await present(deps, await w.own(), rows, new Map([...mine].map(([id, d]) => [id, { date: d.date, state: d.state }])));
    return { views, read: rows.map((r) => ({ action: AUDIT_ACTIONS.personalDataRead, actorId: actor.accountId, subjectId: r.owner_id, object: { type: 'timesheet_correction', id: r.id }, payload: { what: 'correction_request', date: mine.get(r.day_id)!.date } })) };
  });
  // Appended once the read ended (grouped with other reads); the answer waits until they are in the log.
  await deps.audit.append(read);
  return views;
}

/**
 * Resolves an open request: `reopen` sends the day back to its owner through the
 * existing workflow (reopen an approved day, return a submitted one) with the request
 * as the reason; `decline` closes it. 404 outside the admin's scope.
 */
export async function resolveCorrection(deps: TimesheetDeps, actor: Actor, id: string, action: 'reopen' | 'decline'): Promise<CorrectionView> {
  const found = await inWall(deps.db, actor.accountId, async (w) => {
    const row = (await (await w.own())('timesheet_corrections').where({ id }).first()) as Row | undefined;
    if (!row) throw new NotFoundError();
    const day = (await walled(w, (trx) => trx('timesheet_days').where('timesheet_days.id', row.day_id).modify(visibleDays(actor)).first('timesheet_days.*', trx.raw('timesheet_days.date::text as date')))) as DayRow | undefined;
    if (!day || isOwner(actor, facts(day)) || !isScopedAdmin(actor, facts(day))) throw new NotFoundError();
    if (row.status !== 'open') throw new ValidationError([tsProblem('action', 'correction.resolved', { status: row.status })]);
    const [text] = await deps.keys.decryptMany(await w.own(), [{ subject: row.owner_id, ref: textRef(row.id), envelope: row.text }]);
    return { row, day, text: text! };
  });
  const { row, day, text } = found;
  if (action === 'reopen') {
    const reason = `Correction request: ${text}`.slice(0, 2000);
    if (day.state === 'approved') await reopenDay(deps, actor, day.id, reason);
    else if (day.state === 'submitted') await returnDay(deps, actor, day.id, reason);
    else throw new ValidationError([tsProblem('action', 'correction.not_locked')]);
  }
  const status = action === 'reopen' ? 'reopened' : 'declined';
  return deps.db.transaction(async (trx) => {
    const [updated] = (await trx('timesheet_corrections').where({ id, status: 'open' }).update({ status, resolved_at: trx.fn.now(), resolved_by: actor.accountId }).returning('*')) as Row[];
    if (!updated) throw new ValidationError([tsProblem('action', 'correction.resolved_meanwhile')]);
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.correctionResolved, actorId: actor.accountId, subjectId: row.owner_id, object: { type: 'timesheet_day', id: day.id }, payload: { date: day.date, status } });
    const state: DayState = action === 'reopen' ? 'returned' : day.state;
    return (await present(deps, trx, [updated], new Map([[day.id, { date: day.date, state }]])))[0]!;
  });
}
