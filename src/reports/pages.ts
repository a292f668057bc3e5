import Router from '@koa/router';
import type { AppState } from '../platform/http/context.js';
import type { ReportDeps } from './service.js';

/** The report pages (filled in below). */
export function reportPages(_deps: ReportDeps): Router<AppState> {
  return new Router<AppState>();
}
