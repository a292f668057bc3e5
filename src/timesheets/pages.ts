import Router from '@koa/router';
import type { AppState } from '../platform/http/context.js';
import type { TimesheetDeps } from './context.js';
import { correctionInboxPages } from './correction-inbox-pages.js';
import { correctionPages } from './correction-pages.js';
import { dayPages } from './day-pages.js';
import { masterDataPages } from './master-data-pages.js';
import { readsPages } from './reads-pages.js';
import { reviewPages } from './review-pages.js';
import { timerPages } from './timer-page.js';
import { weekPages } from './week-pages.js';

export { parseHours } from './page-kit.js';

/**
 * Server-rendered pages: my week (grid and timer), my day (review, add, delete,
 * submit), who saw my data, and the admin inbox with its review page. Plain forms
 * posting back (CSRF token in each), usable with the keyboard only; the JSON API
 * does the same through the same service functions.
 */
export function timesheetPages(deps: TimesheetDeps): Router<AppState> {
  const router = new Router<AppState>();
  weekPages(router, deps);
  dayPages(router, deps);
  reviewPages(router, deps);
  readsPages(router, deps);
  masterDataPages(router, deps);
  correctionPages(router, deps);
  correctionInboxPages(router, deps);
  timerPages(router, deps);
  return router;
}
