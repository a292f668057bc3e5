import { z } from 'zod';
import { currentActor } from '../identity/http.js';
import type { ApiRegistry } from '../platform/http/api.js';
import { importMasterData } from './import.js';
import { createCustomer, createProject, createTask, listProjects, setProjectArchived } from './master-data.js';
import * as s from './schema.js';
import type { TimesheetDeps } from './context.js';
import { approveDays, reopenDay, returnDay, submitDay, takeBackDay } from './day-workflow.js';
import { getDay, getMyDay, listMyDays, listReviewDays } from './days.js';
import { changeEntry, createEntries, createEntry, getEntry, removeEntry } from './entries.js';
import { dataReadsOf, eventsAbout } from './my-record.js';
import { getSettings, setSettings } from './settings.js';
import { correctionBody, correctionInbox, correctionListResponse, correctionResponse, myCorrections, requestCorrection, resolveBody, resolveCorrection } from './corrections.js';
import { listFavourites, pinFavourite, unpinFavourite } from './favourites.js';
import { mondayOf } from './page-kit.js';
import { searchProjects } from './project-search.js';
import { addDays } from './tz.js';
import { copyDays, setOneCell } from './week-cells.js';
import * as ws from './week-schema.js';
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
    params: s.dateParams, body: s.noFieldsBody, response: s.dayResponse.extend({ warnings: z.array(s.dayWarning).optional() }),
    handler: async (ctx, { params }) => {
      const day = await submitDay(deps, currentActor(ctx), params.date);
      // The working-time warnings the day carries (its owner's own week): shown, never blocking.
      return deps.workingTimeWarnings ? { ...day, warnings: await deps.workingTimeWarnings.mine(currentActor(ctx), params.date) } : day;
    },
  });
  api.add({
    method: 'post', path: '/me/days/:date/take-back', operationId: 'takeBackDay', summary: 'Take my submitted day back to draft (409 once a reviewer opened it)', tags, auth: { session: true },
    params: s.dateParams, body: s.noFieldsBody, response: s.dayResponse,
    handler: async (ctx, { params }) => takeBackDay(deps, currentActor(ctx), params.date),
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
  // --- correction requests on locked days (rectification, src/timesheets/corrections.ts)
  api.add({
    method: 'post', path: '/me/days/:date/corrections', operationId: 'requestCorrection', summary: 'Ask the admins in scope to correct my submitted or approved day (optionally one entry)', tags: ['privacy'], auth: { session: true }, status: 201,
    params: s.dateParams, body: correctionBody, response: correctionResponse,
    handler: async (ctx, { params, body }) => requestCorrection(deps, currentActor(ctx), params.date, body),
  });
  api.add({
    method: 'get', path: '/me/corrections', operationId: 'myCorrections', summary: 'My correction requests and their state', tags: ['privacy'], auth: { session: true },
    response: correctionListResponse,
    handler: async (ctx) => ({ corrections: await myCorrections(deps, currentActor(ctx)) }),
  });
  api.add({
    method: 'get', path: '/corrections', operationId: 'correctionInbox', summary: 'Open correction requests on days in my scope (each listed one is an audited read)', tags: ['privacy'], auth: { session: true, roles: ['team_admin'] },
    response: correctionListResponse,
    handler: async (ctx) => ({ corrections: await correctionInbox(deps, currentActor(ctx)) }),
  });
  api.add({
    method: 'post', path: '/corrections/:id/resolve', operationId: 'resolveCorrection', summary: 'Reopen (or return) the day with the request as reason, or decline the request', tags: ['privacy'], auth: { session: true, roles: ['team_admin'] },
    params: s.idParams, body: resolveBody, response: correctionResponse,
    handler: async (ctx, { params, body }) => resolveCorrection(deps, currentActor(ctx), params.id, body.action),
  });

  // --- the timer widget on every page (daily)
  api.add({
    method: 'patch', path: '/me/timer', operationId: 'changeTimer', summary: 'Change my running timer’s project, task or note (its start stays)', tags, auth: { session: true, token: 'entries:write' },
    body: s.timerChangeBody, response: s.timerResponse,
    handler: async (ctx, { body }) => changeTimer(deps, currentActor(ctx), body),
  });

  registerWeekApi(api, deps);
}

/** The week grid's API: set a cell, copy last week, pins, the picker's search. */
function registerWeekApi(api: ApiRegistry, deps: TimesheetDeps): void {
  api.add({
    method: 'put', path: '/me/week-cells', operationId: 'setWeekCell', summary: 'Set my time on a project (and task) for a day: replaces that cell’s duration entries (refused for start–end entries and locked days)', tags, auth: { session: true, token: 'entries:write' },
    body: ws.weekCellBody, response: ws.weekCellResponse,
    handler: async (ctx, { body }) => setOneCell(deps, currentActor(ctx), body),
  });
  api.add({
    method: 'post', path: '/me/weeks/:date/copy-previous', operationId: 'copyPreviousWeek', summary: 'Copy last week’s rows and durations into the empty draft days of the week holding date (never overwrites)', tags, auth: { session: true, token: 'entries:write' },
    params: ws.weekParams, body: s.noFieldsBody, response: ws.copyResponse,
    handler: async (ctx, { params }) => {
      const monday = mondayOf(params.date);
      return copyDays(deps, currentActor(ctx), [0, 1, 2, 3, 4, 5, 6].map((i) => ({ from: addDays(monday, i - 7), to: addDays(monday, i) })));
    },
  });
  api.add({
    method: 'get', path: '/me/favourites', operationId: 'listFavourites', summary: 'My pinned grid rows', tags, auth: { session: true, token: 'entries:read' },
    response: ws.favouritesResponse,
    handler: async (ctx) => ({ favourites: await listFavourites(deps, currentActor(ctx)) }),
  });
  api.add({
    method: 'put', path: '/me/favourites', operationId: 'setFavourite', summary: 'Pin or unpin a grid row', tags, auth: { session: true, token: 'entries:write' },
    body: ws.favouriteBody, response: ws.favouritesResponse,
    handler: async (ctx, { body }) => {
      const actor = currentActor(ctx);
      const row = { project_id: body.project_id, task_id: body.task_id };
      await (body.pinned ? pinFavourite(deps, actor, row) : unpinFavourite(deps, actor, row));
      return { favourites: await listFavourites(deps, actor) };
    },
  });
  api.add({
    method: 'get', path: '/me/project-search', operationId: 'searchProjects', summary: 'The project picker: open projects and tasks matching q on code, project, task or customer (exact code, then prefix, then contains; recent first within each)', tags: ['master-data'], auth: { session: true, token: 'entries:read' },
    query: ws.projectSearchQuery, response: ws.projectSearchResponse,
    handler: async (ctx, { query }) => ({ results: await searchProjects(deps, currentActor(ctx), query.q) }),
  });
}
