import type Router from '@koa/router';
import type Koa from 'koa';
import type PgBoss from 'pg-boss';
import type { ApiRegistry } from './http/api.js';
import type { AppState } from './http/context.js';
import type { JobDefinition } from './jobs.js';
import type { RetentionHandler } from './retention.js';

/**
 * One housekeeping step of a domain: deletes what nobody needs any more and returns
 * counts for the log line (keys name what was purged, e.g. `purgedMail`).
 */
export type HousekeepingTask = () => Promise<Record<string, number>>;

/** A long-lived listener a module runs beside its jobs (e.g. LISTEN for a NOTIFY). */
export interface BackgroundListener {
  stop(): Promise<void>;
}

/**
 * What a domain (or a platform service such as mail) adds to the appliance: HTTP
 * middleware (run after body parsing, before any route), JSON API routes, page
 * routes, background jobs and housekeeping steps. The composition root (src/app/)
 * collects these; the platform mounts and runs them without knowing the domains.
 */
export interface DomainModule {
  /** A short name for logs and errors. */
  name: string;
  middleware?: Array<Koa.Middleware<AppState>>;
  /**
   * Admission control, run first, before anything else works on the request (request
   * id, headers, body parsing): a request held here costs no CPU until let through. It
   * must not throw.
   */
  admission?: Array<Koa.Middleware<AppState>>;
  api?: (api: ApiRegistry) => void;
  pages?: Router<AppState>;
  jobs?: JobDefinition[];
  /** Run by the shared `housekeeping` job (`jobs.housekeeping_cron`). */
  housekeeping?: HousekeepingTask[];
  /** One handler per category of data this module holds, run by the retention job. */
  retention?: RetentionHandler[];
  /**
   * Started once the job engine runs and stopped before it, for work that must not
   * wait for the next poll or that drives pg-boss itself (e.g. one job per message,
   * sent when a NOTIFY arrives). Gets the database URL (for its own connection) and
   * the engine.
   */
  listeners?: Array<(ctx: { connectionString: string; boss: PgBoss }) => Promise<BackgroundListener>>;
}
