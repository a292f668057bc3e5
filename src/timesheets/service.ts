/**
 * The timesheet operations, by noun: entries.ts (create, change, delete, batch),
 * days.ts (reading days), day-workflow.ts (submit, return, approve, reopen),
 * day-digest.ts (the locked day's digest and its check), timer.ts, settings.ts,
 * my-record.ts (who saw my data, what changed), master-data.ts and import.ts;
 * presenter.ts shapes every response and context.ts holds the shared plumbing.
 * This file only gathers them for callers that want one import.
 */
export type { TimesheetDeps } from './context.js';
export { dayDigest, verifyDayDigests, type DayDigestReport } from './day-digest.js';
export { approveDays, reopenDay, returnDay, submitDay } from './day-workflow.js';
export { getDay, getMyDay, listMyDays, listReviewDays } from './days.js';
export { changeEntry, createEntries, createEntry, getEntry, removeEntry } from './entries.js';
export type { Entry, EntryDetails } from './entry-rules.js';
export { dataReadsOf, eventsAbout } from './my-record.js';
export { minutesOnDay, type DataRead, type DaySummary, type DayView, type RecordEvent, type TimerView } from './presenter.js';
export { getSettings, setSettings, timeZoneOf } from './settings.js';
export { getTimer, startTimer, stopTimer, switchTimer } from './timer.js';
