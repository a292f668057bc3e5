import type { DomainModule } from '../platform/http/app.js';
import { timesheetPages } from './pages.js';
import { registerTimesheetApi } from './routes.js';
import type { TimesheetDeps } from './service.js';

/** The timesheets domain as the HTTP app mounts it: JSON API and pages. */
export function timesheetsModule(deps: TimesheetDeps): DomainModule {
  return { api: (api) => registerTimesheetApi(api, deps), pages: timesheetPages(deps) };
}
