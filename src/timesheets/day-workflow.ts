import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { tsConflict } from './problems.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { commentRef, facts, figuresOf, type TimesheetDeps } from './context.js';
import { dayDigest } from './day-digest.js';
import { buildDayView } from './days.js';
import { authorize, visibleDays } from './policy.js';
import { summarise, type DaySummary, type DayView } from './presenter.js';
import { DAY_COLUMNS, dayById, inWall, lockDaysForOwner, normaliseDay, transitionDay, walled, type DayRow, type Wall } from './repository.js';
import { sealDayForRecord } from './sealing.js';
import { timeZoneOf } from './settings.js';

/**
 * The life of a day: submit (owner), approve or return (admin in scope), reopen
 * (an approved day, with a reason). Each step is one audited transaction; submit and
 * approve record a digest of the day's content (day-digest.ts). Mails say what
 * happened and link to the page — never a name, comment or note.
 */

async function activeMail(db: Knex | Knex.Transaction, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = (await db('accounts').whereIn('id', ids).where({ status: 'active' }).whereNotNull('email').select('email')) as Array<{ email: string }>;
  return [...new Set(rows.map((r) => r.email))];
}

function pageLink(deps: TimesheetDeps, path: string): string {
  const base = deps.config.server.public_url?.replace(/\/$/, '');
  return base ? `${base}${path}` : path;
}

/**
 * Submits the actor's day: freezes it, records the scope (teams holding the owner
 * now, and their admins), and mails those admins through the outbox in the same
 * transaction. A second submit of the same day gets 409 and sends nothing.
 */
export async function submitDay(deps: TimesheetDeps, actor: Actor, date: string): Promise<DayView> {
  const tz = await timeZoneOf(deps, actor.accountId);
  return inWall(deps.db, actor.accountId, async (w) => {
    const [day] = await lockDaysForOwner(w, actor.accountId, [date], tz);
    if (!day) throw new NotFoundError();
    authorize(actor, 'submit', facts(day));
    const teams = ((await (await w.own())('team_scope_members').where({ account_id: actor.accountId }).distinct('team')) as Array<{ team: string }>).map((r) => r.team).sort();
    const admins = teams.length
      ? ((await (await w.own())('role_assignments').where({ role: 'team_admin' }).whereIn('team', teams).whereNot('account_id', actor.accountId).distinct('account_id')) as Array<{ account_id: string }>).map((r) => r.account_id).sort()
      : [];
    // The working-time warnings the day carries, as codes on the day (the inbox flags them without reading the week).
    const warnings = deps.workingTimeWarnings ? [...new Set((await deps.workingTimeWarnings.atSubmit(w, actor, date, tz)).map((x) => x.code))].sort() : [];
    const next = await transitionDay(w, day.id, ['draft', 'returned'], {
      state: 'submitted', scope_teams: teams, scope_admin_ids: admins, submitted_at: w.fn.now(), comment: null, returned_at: null, returned_by: null, opened_at: null, warnings,
    });
    if (!next) throw new ConflictError(`The day ${date} changed meanwhile`, 'day_not_open', { key: 'day_changed' });
    // From now on the day is kept for the fiscal duty: its entries leave the draft keys.
    await sealDayForRecord(deps, w, actor.accountId, date);
    const to = await activeMail(await w.own(), admins);
    if (to.length) {
      await enqueueMail(await w.own(), {
        to,
        subject: `Uurwerk: a day was submitted for your review (${date})`,
        text: `A day (${date}) was submitted for your review.\n\nOpen your inbox to approve it or return it with a comment:\n${pageLink(deps, '/timesheets/inbox')}\n`,
      }, { cipher: deps.keys });
    }
    const view = await buildDayView(deps, w, actor.accountId, date, next, tz);
    await deps.dayFigures?.submitted(await w.own(), [figuresOf(next, view.totals)]);
    await deps.audit.record(await w.own(), {
      action: AUDIT_ACTIONS.timesheetDaySubmitted,
      actorId: actor.accountId,
      subjectId: actor.accountId,
      object: { type: 'timesheet_day', id: day.id },
      payload: { date, teams, admins: admins.length, fields: ['state'], digest: dayDigest(view) },
    });
    return view;
  });
}

/** Loads a day for an admin action: 404 unless visible, locked FOR UPDATE. */
async function dayForReview(w: Wall, actor: Actor, id: string): Promise<DayRow> {
  const day = await dayById(w, id, visibleDays(actor), true);
  if (!day) throw new NotFoundError();
  authorize(actor, 'read', facts(day));
  return day;
}

/** Approves submitted days in the actor's scope, all or none; 404 for a day the actor may not see, 409 for one not submitted. */
export async function approveDays(deps: TimesheetDeps, actor: Actor, ids: string[]): Promise<DaySummary[]> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const out: DaySummary[] = [];
    const events = [];
    for (const id of [...new Set(ids)].sort()) {
      const day = await dayForReview(w, actor, id);
      authorize(actor, 'review', facts(day));
      const next = await transitionDay(w, id, ['submitted'], { state: 'approved', approved_at: w.fn.now(), approved_by: actor.accountId });
      if (!next) throw new ConflictError('The day changed meanwhile', 'day_not_submitted', { key: 'day_changed' });
      const view = await buildDayView(deps, w, next.owner_id, next.date, next, next.time_zone);
      events.push({
        action: AUDIT_ACTIONS.timesheetDayApproved,
        actorId: actor.accountId,
        subjectId: day.owner_id,
        object: { type: 'timesheet_day', id },
        payload: { date: day.date, fields: ['state', 'approved_at', 'approved_by'], digest: dayDigest(view) },
      });
      out.push(summarise(next, view));
    }
    // Nothing for the reports: the day counts since its submission.
    await deps.audit.recordMany(await w.own(), events);
    return out;
  });
}

async function sendBack(deps: TimesheetDeps, actor: Actor, id: string, text: string, kind: 'return' | 'reopen'): Promise<DaySummary> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const day = await dayForReview(w, actor, id);
    authorize(actor, kind === 'return' ? 'review' : 'reopen', facts(day));
    const comment = await deps.keys.encrypt(await w.own(), day.owner_id, commentRef(day.id), text, { year: Number(day.date.slice(0, 4)), purpose: 'record' });
    const next = await transitionDay(w, id, [kind === 'return' ? 'submitted' : 'approved'], {
      state: 'returned', comment, returned_at: w.fn.now(), returned_by: actor.accountId, approved_at: null, approved_by: null, warnings: [],
    });
    if (!next) throw new ConflictError('The day changed meanwhile', 'day_changed');
    const to = await activeMail(await w.own(), [day.owner_id]);
    if (to.length) {
      // The comment stays in its encrypted column; the mail only says where to read it.
      await enqueueMail(await w.own(), {
        to,
        subject: kind === 'return' ? `Uurwerk: your day ${day.date} was returned` : `Uurwerk: your approved day ${day.date} was reopened`,
        text: `Your day ${day.date} was ${kind === 'return' ? 'returned' : 'reopened'} with a comment.\n\nRead the comment, correct the day and submit it again:\n${pageLink(deps, `/timesheets/day/${day.date}`)}\n`,
      }, { cipher: deps.keys });
    }
    await deps.audit.record(await w.own(), {
      action: kind === 'return' ? AUDIT_ACTIONS.timesheetDayReturned : AUDIT_ACTIONS.timesheetDayReopened,
      actorId: actor.accountId,
      subjectId: day.owner_id,
      object: { type: 'timesheet_day', id },
      payload: { date: day.date, from: day.state, fields: ['state', 'comment'] },
      personal: { [kind === 'return' ? 'comment' : 'reason']: text },
    });
    const view = await buildDayView(deps, w, next.owner_id, next.date, next, next.time_zone);
    // The entries of a submitted or approved day cannot change, so these are the figures its submission recorded.
    const figures = figuresOf(day, view.totals);
    if (kind === 'reopen') await deps.dayFigures?.reopened(await w.own(), figures, actor.accountId);
    else await deps.dayFigures?.returned(await w.own(), figures);
    return summarise(next, view);
  });
}

/** Returns a submitted day to its owner with a comment (the owner is mailed a link, not the comment). */
export function returnDay(deps: TimesheetDeps, actor: Actor, id: string, comment: string): Promise<DaySummary> {
  return sendBack(deps, actor, id, comment, 'return');
}

/** Reopens an approved day with a reason (audited; the owner is mailed a link): it goes back to the owner as returned. */
export function reopenDay(deps: TimesheetDeps, actor: Actor, id: string, reason: string): Promise<DaySummary> {
  return sendBack(deps, actor, id, reason, 'reopen');
}

/**
 * Takes the actor's submitted day back to draft while no reviewer has opened it (409
 * `day_opened` once one has, `day_not_submitted` for any other state). The guard is in
 * the UPDATE itself, so a reviewer opening the day at the same moment wins or loses
 * cleanly. The day leaves the report store as a returned day does; audited.
 */
export async function takeBackDay(deps: TimesheetDeps, actor: Actor, date: string): Promise<DayView> {
  const tz = await timeZoneOf(deps, actor.accountId);
  return inWall(deps.db, actor.accountId, async (w) => {
    const [day] = await lockDaysForOwner(w, actor.accountId, [date], tz);
    if (!day) throw new NotFoundError();
    authorize(actor, 'read', facts(day));
    if (day.state !== 'submitted') throw new ConflictError(`The day ${date} is ${day.state}, not submitted; only a submitted day can be taken back`, 'day_not_submitted', { date, state: day.state });
    const [row] = await walled(w, (trx) =>
      trx('timesheet_days').where({ id: day.id, state: 'submitted' }).whereNull('opened_at')
        .update({ state: 'draft', warnings: [], version: trx.raw('version + 1'), updated_at: trx.fn.now() })
        .returning(DAY_COLUMNS),
    );
    if (!row) throw tsConflict('day_opened', { date });
    const next = normaliseDay(row as Record<string, unknown>);
    const view = await buildDayView(deps, w, actor.accountId, date, next, tz);
    // The entries did not change since the submit, so these are the figures it recorded.
    await deps.dayFigures?.returned(await w.own(), figuresOf(day, view.totals));
    await deps.audit.record(await w.own(), {
      action: AUDIT_ACTIONS.timesheetDayTakenBack, actorId: actor.accountId, subjectId: actor.accountId,
      object: { type: 'timesheet_day', id: day.id }, payload: { date, from: 'submitted', fields: ['state'] },
    });
    return view;
  });
}
