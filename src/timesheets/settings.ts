import { AUDIT_ACTIONS } from '../audit/actions.js';
import { ValidationError } from '../platform/errors.js';
import { tsProblem } from './problems.js';
import type { TimesheetDeps } from './context.js';
import { isTimeZone } from './tz.js';

/** A person's timesheet settings as presented. */
export interface SettingsView {
  time_zone: string | null;
  effective_time_zone: string;
}

/** The time zone a person's days follow: their own setting, else the organisation's. */
export async function timeZoneOf(deps: TimesheetDeps, accountId: string): Promise<string> {
  const row = (await deps.db('timesheet_settings').where({ account_id: accountId }).first('time_zone')) as { time_zone: string | null } | undefined;
  return row?.time_zone ?? deps.config.timesheets.time_zone;
}

/** Reads a person's timesheet settings. */
export async function getSettings(deps: TimesheetDeps, accountId: string): Promise<SettingsView> {
  const row = (await deps.db('timesheet_settings').where({ account_id: accountId }).first('time_zone')) as { time_zone: string | null } | undefined;
  return { time_zone: row?.time_zone ?? null, effective_time_zone: row?.time_zone ?? deps.config.timesheets.time_zone };
}

/** Sets (or clears, with null) a person's own time zone; 422 for a name the runtime does not know. */
export async function setSettings(deps: TimesheetDeps, accountId: string, input: { time_zone: string | null }): Promise<SettingsView> {
  if (input.time_zone !== null && !isTimeZone(input.time_zone)) throw new ValidationError([tsProblem('time_zone', 'settings.time_zone')]);
  await deps.db.transaction(async (trx) => {
    await trx('timesheet_settings')
      .insert({ account_id: accountId, time_zone: input.time_zone })
      .onConflict('account_id')
      .merge({ time_zone: input.time_zone, updated_at: trx.fn.now() });
    await deps.audit.record(trx, {
      action: AUDIT_ACTIONS.timesheetSettingsChanged, actorId: accountId, subjectId: accountId,
      object: { type: 'timesheet_settings', id: accountId }, payload: { fields: ['time_zone'] },
    });
  });
  return getSettings(deps, accountId);
}
