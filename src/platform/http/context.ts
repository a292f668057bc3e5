import type { ParameterizedContext } from 'koa';
import type { Logger } from '../logger.js';

/** The signed-in session of a request (set by the identity middleware). */
export interface RequestAuth {
  sessionId: string;
  accountId: string;
  /** The cookie token; the CSRF token is derived from it. */
  token: string;
  secondFactorDone: boolean;
  createdAt: Date;
  absoluteExpiresAt: Date;
  /** Set when the request authenticated with a personal API token instead of a session. */
  apiToken?: { id: string; scopes: readonly string[] };
}

/** What every request carries in `ctx.state`. */
export interface AppState {
  /** Present when a live session cookie came with the request. */
  auth?: RequestAuth;
  /**
   * The CSRF token of the signed-in session, set by the identity middleware so that
   * pages can embed it without the web layer knowing how sessions work.
   */
  csrf?: string;
  requestId: string;
  log: Logger;
  /** Language chosen for pages and messages. */
  lang: 'nl' | 'en';
}

/** The Koa context type used throughout the app. */
export type AppContext = ParameterizedContext<AppState>;
