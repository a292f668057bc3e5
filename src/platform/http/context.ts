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

/** The acting person as platform sees it: an id, role names and administered teams. */
export interface RequestActor {
  accountId: string;
  roles: ReadonlySet<string>;
  teams: ReadonlySet<string>;
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
  /** When an admission step (DomainModule.admission) first saw the request (hrtime), so the access log's time includes any wait there. */
  receivedAt?: bigint;
  /**
   * Why the body could not be parsed (malformed, too large). The parser does not throw
   * at once: the route reports it after authentication, so an anonymous caller learns
   * nothing about its input before being told to sign in.
   */
  bodyError?: unknown;
  /** Who is acting, once the route's authenticator has loaded it (identity's Actor). */
  actor?: RequestActor;
  /** Language chosen for pages and messages. */
  lang: 'nl' | 'en';
}

/** The Koa context type used throughout the app. */
export type AppContext = ParameterizedContext<AppState>;
