import type { ParameterizedContext } from 'koa';
import type { Logger } from '../logger.js';

/** What every request carries in `ctx.state`. */
export interface AppState {
  requestId: string;
  log: Logger;
  /** Language chosen for pages and messages. */
  lang: 'nl' | 'en';
}

/** The Koa context type used throughout the app. */
export type AppContext = ParameterizedContext<AppState>;
