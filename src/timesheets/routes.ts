import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import { importMasterData } from './import.js';
import { createCustomer, createProject, createTask, listProjects, setProjectArchived } from './master-data.js';
import * as s from './schema.js';
import type { TimesheetDeps } from './context.js';
import { approveDays, reopenDay, returnDay, submitDay } from './day-workflow.js';
import { getDay, getMyDay, listMyDays, listReviewDays } from './days.js';
import { changeEntry, createEntries, createEntry, getEntry, removeEntry } from './entries.js';
import { dataReadsOf, eventsAbout } from './my-record.js';
import { getSettings, setSettings } from './settings.js';
import { changeTimer, getTimer, startTimer, stopTimer, switchTimer } from './timer.js';

const tags = ['timesheets'];

/** Registers the timesheet API: own entries, days and timer; the admin inbox and review; master data. */
export function registerTimesheetApi(api: ApiRegistry, deps: TimesheetDeps): void {
  // --- own settings, entries, days, timer
  api.add({
    method: 'get', path: '/me/timesheet-settings', operationId: 'getTimesheetSettings', summary: 'My time zone setting', tags, auth: { session: true },
    response: s.settingsResponse,
    handler: async (ctx) => getSettings(deps, currentActor(ctx).accountId),
  });
  api.add({
    method: 'put', path: '/me/timesheet-settings', operationId: 'setTimesheetSettings', summary: 'Set my own time zone (null: the organisation’s)', tags, auth: { session: true },
    body: s.settingsBody, response: s.settingsResponse,
    handler: async (ctx, { body }) => setSettings(deps, currentActor(ctx).accountId, body),
  });
  api.add({
    method: 'post', path: '/me/entries', operationId: 'createEntry', summary: 'Record a time entry (start–end, or date and duration)', tags, auth: { session: true, token: 'entries:write' }, status: 201,
    body: s.entryCreateBody, response: s.entryResponse,
    handler: async (ctx, { body }) => createEntry(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'post', path: '/me/entries/batch', operationId: 'createEntries', summary: 'Record several entries at once (all or none)', tags, auth: { session: true, token: 'entries:write' }, status: 201,
    body: s.entryBatchBody, response: z.object({ entries: z.array(s.entryResponse) }),
    handler: async (ctx, { body }) => ({ entries: await createEntries(deps, currentActor(ctx), body.entries) }),
  });
  api.add({
    method: 'get', path: '/me/entries/:id', operationId: 'getEntry', summary: 'One of my entries', tags, auth: { session: true, token: 'entries:read' },
    params: s.idParams, response: s.entryResponse,
    handler: async (ctx, { params }) => getEntry(deps, currentActor(ctx), params.id),
  });
  api.add({
    method: 'patch', path: '/me/entries/:id', operationId: 'updateEntry', summary: 'Change one of my entries (draft or returned days only)', tags, auth: { session: true, token: 'entries:write' },
    params: s.idParams, body: s.entryUpdateBody, response: s.entryResponse,
    handler: async (ctx, { params, body }) => changeEntry(deps, currentActor(ctx), params.id, body),
  });
  api.add({
    method: 'delete', path: '/me/entries/:id', operationId: 'deleteEntry', summary: 'Delete one of my entries (draft or returned days only)', tags, auth: { session: true, token: 'entries:write' }, status: 204,
    params: s.idParams, response: z.null(),
    handler: async (ctx, { params }) => {
      await removeEntry(deps, currentActor(ctx), params.id);
      return null;
    },
  });
  api.add({
    method: 'get', path: '/me/days', operationId: 'listMyDays', summary: 'My days in a range (at most 62), with entries and totals', tags, auth: { session: true, token: 'entries:read' },
    query: s.myDaysQuery, response: z.object({ days: z.array(s.dayResponse) }),
    handler: async (ctx, { query }) => ({ days: await listMyDays(deps, currentActor(ctx), query.from, query.to) }),
  });
  api.add({
    method: 'get', path: '/me/days/:date', operationId: 'getMyDay', summary: 'My day: entries, totals per project and task, state', tags, auth: { session: true, token: 'entries:read' },
    params: s.dateParams, response: s.dayResponse,
    handler: async (ctx, { params }) => getMyDay(deps, currentActor(ctx), params.date),
  });
  api.add({
    method: 'post', path: '/me/days/:date/submit', operationId: 'submitDay', summary: 'Submit my day for review (freezes it; mails the admins in scope)', tags, auth: { session: true },
    params: s.dateParams, body: s.noFieldsBody, response: s.dayResponse,
    handler: async (ctx, { params }) => submitDay(deps, currentActor(ctx), params.date),
  });
  api.add({
    method: 'get', path: '/me/timer', operationId: 'getTimer', summary: 'My running timer', tags, auth: { session: true, token: 'entries:read' },
    response: s.timerResponse,
    handler: async (ctx) => getTimer(deps, currentActor(ctx)),
  });
  api.add({
    method: 'post', path: '/me/timer/start', operationId: 'startTimer', summary: 'Start my timer (one per person)', tags, auth: { session: true, token: 'entries:write' }, status: 201,
    body: s.timerStartBody, response: s.timerResponse,
    handler: async (ctx, { body }) => startTimer(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'post', path: '/me/timer/stop', operationId: 'stopTimer', summary: 'Stop my timer; records its entry', tags, auth: { session: true, token: 'entries:write' },
    body: s.noFieldsBody, response: s.timerStopResponse,
    handler: async (ctx) => stopTimer(deps, currentActor(ctx)),
  });
  api.add({
    method: 'post', path: '/me/timer/switch', operationId: 'switchTimer', summary: 'Stop my timer and start another at the same instant', tags, auth: { session: true, token: 'entries:write' },
    body: s.timerStartBody, response: s.timerStopResponse,
    handler: async (ctx, { body }) => switchTimer(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'get', path: '/me/data-reads', operationId: 'myDataReads', summary: 'Who saw my data: every read of my time data by someone else', tags: ['privacy'], auth: { session: true },
    response: s.dataReadsResponse,
    handler: async (ctx) => ({ reads: await dataReadsOf(deps, currentActor(ctx)) }),
  });
  api.add({
    method: 'get', path: '/me/audit-events', operationId: 'myAuditEvents', summary: 'What changed in my data: every audit event about me (newest first, paged)', tags: ['privacy'],
    auth: { session: true },
    query: s.myEventsQuery, response: s.myEventsResponse,
    handler: async (ctx, { query }) => eventsAbout(deps, currentActor(ctx), query),
  });

  // --- days of others (admin inbox and review); 404 for anything outside the caller's scope
  api.add({
    method: 'get', path: '/days', operationId: 'listReviewDays', summary: 'Days of people in my scope (submitted by default); each listed day is an audited read', tags, auth: { session: true },
    query: s.inboxQuery, response: s.dayListResponse,
    handler: async (ctx, { query }) => listReviewDays(deps, currentActor(ctx), query),
  });
  api.add({
    method: 'get', path: '/days/:id', operationId: 'getDay', summary: 'A day by id (owner, or an admin whose recorded scope holds it; audited)', tags, auth: { session: true },
    params: s.idParams, response: s.dayResponse,
    handler: async (ctx, { params }) => getDay(deps, currentActor(ctx), params.id),
  });
  api.add({
    method: 'post', path: '/days/approve', operationId: 'approveDays', summary: 'Approve several submitted days (all or none)', tags, auth: { session: true },
    body: s.approveManyBody, response: z.object({ days: z.array(s.daySummaryResponse) }),
    handler: async (ctx, { body }) => ({ days: await approveDays(deps, currentActor(ctx), body.ids) }),
  });
  api.add({
    method: 'post', path: '/days/:id/approve', operationId: 'approveDay', summary: 'Approve a submitted day (locks it)', tags, auth: { session: true },
    params: s.idParams, body: s.noFieldsBody, response: s.daySummaryResponse,
    handler: async (ctx, { params }) => (await approveDays(deps, currentActor(ctx), [params.id]))[0]!,
  });
  api.add({
    method: 'post', path: '/days/:id/return', operationId: 'returnDay', summary: 'Return a submitted day to its owner with a comment', tags, auth: { session: true },
    params: s.idParams, body: s.returnBody, response: s.daySummaryResponse,
    handler: async (ctx, { params, body }) => returnDay(deps, currentActor(ctx), params.id, body.comment),
  });
  api.add({
    method: 'post', path: '/days/:id/reopen', operationId: 'reopenDay', summary: 'Reopen an approved day with a reason (audited)', tags, auth: { session: true },
    params: s.idParams, body: s.reopenBody, response: s.daySummaryResponse,
    handler: async (ctx, { params, body }) => reopenDay(deps, currentActor(ctx), params.id, body.reason),
  });

  // --- master data
  api.add({
    method: 'get', path: '/projects', operationId: 'listProjects', summary: 'Projects with customers and tasks', tags: ['master-data'], auth: { session: true, token: 'entries:read' },
    query: s.projectListQuery, response: s.projectListResponse,
    handler: async (_ctx, { query }) => ({ projects: await listProjects(deps.db, query.archived === 'true') }),
  });
  api.add({
    method: 'post', path: '/customers', operationId: 'createCustomer', summary: 'Create a customer', tags: ['master-data'], auth: { session: true, roles: ['operator', 'team_admin'] }, status: 201,
    body: s.customerBody, response: s.customerResponse,
    handler: async (ctx, { body }) => createCustomer(deps.db, currentActor(ctx), body),
  });
  api.add({
    method: 'post', path: '/projects', operationId: 'createProject', summary: 'Create a project (for a customer, or internal)', tags: ['master-data'], auth: { session: true, roles: ['operator', 'team_admin'] }, status: 201,
    body: s.projectBody, response: s.projectResponse,
    handler: async (ctx, { body }) => createProject(deps.db, currentActor(ctx), body),
  });
  api.add({
    method: 'post', path: '/projects/:id/tasks', operationId: 'createTask', summary: 'Add a task to a project', tags: ['master-data'], auth: { session: true, roles: ['operator', 'team_admin'] }, status: 201,
    params: s.idParams, body: s.taskBody, response: s.taskResponse,
    handler: async (ctx, { params, body }) => createTask(deps.db, currentActor(ctx), params.id, body),
  });
  api.add({
    method: 'post', path: '/master-data/import', operationId: 'importMasterData', summary: 'Import customers, projects and tasks from CSV (all or nothing; 422 lists each bad row)', tags: ['master-data'], auth: { session: true, roles: ['operator', 'team_admin'] },
    body: s.importBody, response: s.importResponse, maxStringLength: s.IMPORT_MAX_CSV_LENGTH,
    handler: async (ctx, { body }) => importMasterData(deps.db, currentActor(ctx), body),
  });
  api.add({
    method: 'put', path: '/projects/:id/archived', operationId: 'archiveProject', summary: 'Archive or restore a project', tags: ['master-data'], auth: { session: true, roles: ['operator', 'team_admin'] },
    params: s.idParams, body: s.archiveBody, response: s.projectResponse,
    handler: async (ctx, { params, body }) => setProjectArchived(deps.db, currentActor(ctx), params.id, body.archived),
  });

  // --- the timer widget on every page (daily)
  api.add({
    method: 'patch', path: '/me/timer', operationId: 'changeTimer', summary: 'Change my running timer’s project, task or note (its start stays)', tags, auth: { session: true, token: 'entries:write' },
    body: s.timerChangeBody, response: s.timerResponse,
    handler: async (ctx, { body }) => changeTimer(deps, currentActor(ctx), body),
  });
}
