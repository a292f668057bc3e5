import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { tsConflict } from './problems.js';
import { timerRef, type TimesheetDeps } from './context.js';
import { entryEvent, fieldsSet, writeEntry } from './entries.js';
import { checkEntry, type Entry, type EntryDetails } from './entry-rules.js';
import { presentTimer, STOPPED, type TimerDetails, type TimerView } from './presenter.js';
import { deleteTimer, inWall, insertTimer, timerOf, type Wall } from './repository.js';
import type { TimerChangeBody, TimerStartBody } from './schema.js';
import { timeZoneOf } from './settings.js';

/**
 * The running timer: one per person, stored encrypted in the database so it survives
 * reloads and restarts. Stopping it records an entry; switching stops and starts at
 * the same instant. Each is one audited transaction.
 */

async function decryptTimer(deps: TimesheetDeps, db: Knex.Transaction, ownerId: string, details: string): Promise<TimerDetails> {
  return JSON.parse(await deps.keys.decrypt(db, ownerId, timerRef(ownerId), details)) as TimerDetails;
}

/** The actor's running timer. */
export async function getTimer(deps: TimesheetDeps, actor: Actor): Promise<TimerView> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const row = await timerOf(w, actor.accountId);
    return row ? presentTimer(await decryptTimer(deps, w.shared(), actor.accountId, row.details)) : STOPPED;
  });
}

async function checkTimerInput(deps: TimesheetDeps, actor: Actor, input: TimerStartBody, now: Date): Promise<TimerDetails> {
  const tz = await timeZoneOf(deps, actor.accountId);
  const d: EntryDetails = { start: now.toISOString(), end: new Date(now.getTime() + 60_000).toISOString(), date: null, minutes: 1, project_id: input.project_id, task_id: input.task_id ?? null, note: input.note ?? '' };
  await checkEntry(deps, d, tz);
  return { started_at: now.toISOString(), project_id: d.project_id, task_id: d.task_id, note: d.note };
}

async function startIn(deps: TimesheetDeps, w: Wall, actor: Actor, t: TimerDetails): Promise<TimerView> {
  const details = await deps.keys.encrypt(w.shared(), actor.accountId, timerRef(actor.accountId), JSON.stringify(t), { purpose: 'draft' });
  if (!(await insertTimer(w, actor.accountId, details))) throw tsConflict('timer_running');
  return presentTimer(t);
}

/** The names of a timer's fields that are set (for its audit event). */
function timerFields(t: TimerDetails): string[] {
  return (Object.keys(t) as Array<keyof TimerDetails>).filter((k) => t[k] !== null && t[k] !== '').sort();
}

/** Starts the timer; 409 when one is running already. */
export async function startTimer(deps: TimesheetDeps, actor: Actor, input: TimerStartBody): Promise<TimerView> {
  const t = await checkTimerInput(deps, actor, input, new Date());
  return inWall(deps.db, actor.accountId, async (w) => {
    const view = await startIn(deps, w, actor, t);
    await deps.audit.record(await w.own(), {
      action: AUDIT_ACTIONS.timesheetTimerStarted, actorId: actor.accountId, subjectId: actor.accountId,
      object: { type: 'running_timer', id: actor.accountId }, payload: { fields: timerFields(t) },
    });
    return view;
  });
}

async function stopIn(deps: TimesheetDeps, w: Wall, actor: Actor, now: Date): Promise<Entry> {
  const row = await deleteTimer(w, actor.accountId);
  if (!row) throw tsConflict('timer_not_running');
  const t = await decryptTimer(deps, w.shared(), actor.accountId, row.details);
  const tz = await timeZoneOf(deps, actor.accountId);
  const maxEnd = Date.parse(t.started_at) + deps.config.timesheets.max_entry_hours * 3600_000;
  // A timer forgotten overnight is cut at the longest allowed entry, not refused.
  const end = new Date(Math.max(Date.parse(t.started_at) + 1000, Math.min(now.getTime(), maxEnd)));
  const d: EntryDetails = { start: t.started_at, end: end.toISOString(), date: null, minutes: Math.round((end.getTime() - Date.parse(t.started_at)) / 60000), project_id: t.project_id, task_id: t.task_id, note: t.note };
  return writeEntry(deps, w, actor, d, tz);
}

/** Stops the timer and records its entry (409 when none runs, or when its day is frozen). */
export async function stopTimer(deps: TimesheetDeps, actor: Actor): Promise<{ entry: Entry; timer: TimerView }> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const entry = await stopIn(deps, w, actor, new Date());
    // The event's object is the entry the timer became.
    await deps.audit.record(await w.own(), entryEvent(actor, AUDIT_ACTIONS.timesheetTimerStopped, entry.id, fieldsSet(entry)));
    return { entry, timer: STOPPED };
  });
}

/** Stops the running timer and starts another at the same instant, atomically. */
export async function switchTimer(deps: TimesheetDeps, actor: Actor, input: TimerStartBody): Promise<{ entry: Entry; timer: TimerView }> {
  const now = new Date();
  const t = await checkTimerInput(deps, actor, input, now);
  return inWall(deps.db, actor.accountId, async (w) => {
    const entry = await stopIn(deps, w, actor, now);
    const timer = await startIn(deps, w, actor, t);
    const event = entryEvent(actor, AUDIT_ACTIONS.timesheetTimerSwitched, entry.id, fieldsSet(entry));
    await deps.audit.record(await w.own(), { ...event, payload: { ...event.payload, timer_fields: timerFields(t) } });
    return { entry, timer };
  });
}

/**
 * Changes the running timer's project, task or note; its start stays. A new project
 * without a task clears the task. 409 when no timer runs.
 */
export async function changeTimer(deps: TimesheetDeps, actor: Actor, input: TimerChangeBody): Promise<TimerView> {
  return inWall(deps.db, actor.accountId, async (w) => {
    const row = await deleteTimer(w, actor.accountId);
    if (!row) throw tsConflict('timer_not_running');
    const old = await decryptTimer(deps, w.shared(), actor.accountId, row.details);
    const projectChanged = input.project_id !== undefined && input.project_id !== old.project_id;
    const merged: TimerStartBody = {
      project_id: input.project_id ?? old.project_id,
      task_id: input.task_id !== undefined ? input.task_id : projectChanged ? null : old.task_id,
      note: input.note ?? old.note,
    };
    const checked = await checkTimerInput(deps, actor, merged, new Date());
    const view = await startIn(deps, w, actor, { ...checked, started_at: old.started_at });
    const changed = (['project_id', 'task_id', 'note'] as const).filter((k) => (merged[k] ?? null) !== (old[k] ?? null)).sort();
    await deps.audit.record(await w.own(), {
      action: AUDIT_ACTIONS.timesheetTimerChanged, actorId: actor.accountId, subjectId: actor.accountId,
      object: { type: 'running_timer', id: actor.accountId }, payload: { fields: changed },
    });
    return view;
  });
}
