import type { Transporter } from 'nodemailer';
import { auditModule } from '../audit/module.js';
import { auditFlushModule } from '../audit/chainer.js';
import { exportCapture } from '../capture/export.js';
import { dayActivitySection } from '../capture/day-section.js';
import { captureModule } from '../capture/module.js';
import { complianceExportModule } from '../compliance/export-module.js';
import { complianceModule } from '../compliance/module.js';
import { readSettings } from '../capture/settings.js';
import { directoryAuthenticator, directoryModule } from '../directory/module.js';
import { type AuthDeps } from '../identity/auth-service.js';
import { anyAccountExists, identityModule } from '../identity/module.js';
import { operatorModule } from '../operator/module.js';
import { reportsHook, reportsModule } from '../reports/module.js';
import { recordOwnerAgain } from '../reports/restore.js';
import { submitWarnings } from '../reports/submit-warnings.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { mailModule } from '../platform/mail-module.js';
import { mydataModule } from '../mydata/module.js';
import { MetricsRegistry, metricsModule } from '../platform/metrics.js';
import type { DomainModule } from '../platform/module.js';
import type { RetentionHandler } from '../platform/retention.js';
import { retentionModule } from '../retention/module.js';
import { privacyModule } from '../privacy/module.js';
import { requestsAbout } from '../privacy/requests.js';
import { systemClock } from '../platform/clock.js';
import { erasePerson } from '../retention/erase.js';
import { checkHandlers } from '../retention/run.js';
import { homeSection } from '../timesheets/home.js';
import { timesheetsModule } from '../timesheets/module.js';
import { transparencyModule } from '../transparency/module.js';
import { webModule } from '../web/routes.js';
import type { CoreServices } from './services.js';
import { requestActor } from '../identity/http.js';

/** What the modules of the appliance are built from. */
export interface ModuleDeps {
  db: Knex;
  config: Readonly<Config>;
  logger: Logger;
  services: CoreServices;
  transport: Transporter;
  /** Whether HTTPS is on (cookie policy). */
  tls: boolean;
  /** The registry `/metrics` renders (the appliance's, which adds the agent thread's counts to it); a new one when not given. */
  metrics?: MetricsRegistry;
}

/**
 * Every module of the appliance, in mounting order: identity first (its middleware
 * loads the session every later route relies on), then the domains, the operator
 * console, mail (jobs only), retention (job and API, with the handlers the other
 * modules hand in) and last the web layer's start page.
 */
export function applianceModules(deps: ModuleDeps): DomainModule[] {
  const { db, config, logger } = deps;
  const { keys, audit, keyring } = deps.services;
  const authDeps: AuthDeps = { db, config, keys, audit, logger, directory: directoryAuthenticator(config.directory, logger) };
  const identity = identityModule(authDeps, deps.tls);
  const timesheetBase = { db, config, keys, audit, logger, dayFigures: reportsHook({ db, config, keys, audit, logger }) };
  // Working-time warnings at submit and review (reports' rules); the person's own activity on their own day page (capture's).
  const timesheetDeps = { ...timesheetBase, workingTimeWarnings: submitWarnings(timesheetBase), dayActivity: dayActivitySection({ db, config, keys, audit }) };
  const timesheets = timesheetsModule(timesheetDeps);
  const directory = directoryModule({ db, config: config.directory, logger, audit });
  const auditMod = auditModule({ db, keyring, logger });
  const mail = mailModule({ db, config, logger, transport: deps.transport, cipher: keys });
  const capture = captureModule({ db, config, keys, audit });
  // Filled below from every module's retention handlers; the retention job, the operator
  // console and the erase a granted privacy request runs read it at call time.
  const handlers: RetentionHandler[] = [];
  // /metrics (off unless configured): first, so it times every request after it.
  const metrics = deps.metrics ?? new MetricsRegistry();
  const modules = [
    metricsModule(config.metrics, metrics),
    auditFlushModule(() => audit.flush(), logger), // a request that staged audit events answers once they are chained
    identity,
    transparencyModule({ db, config, audit }), // its gates run before the timesheets routes
    timesheets,
    capture,
    reportsModule({ db, config, keys, audit, logger }),
    operatorModule(authDeps, { handlers }),
    mydataModule({
      db, config, keys, audit, logger,
      // "My data" lists the person's own requests from the register.
      requests: { columns: ['public.privacy_requests.subject_id'], list: (d, accountId) => requestsAbout({ db: d, config, keys, audit, clock: systemClock }, accountId) as unknown as Promise<Array<Record<string, unknown>>> },
      // ... and the person's raw captured activity, as capture/*.json in the zip.
      capture: {
        columns: ['public.capture_events.account_id', 'public.capture_days.account_id', 'public.capture_buckets.account_id', 'public.capture_settings.account_id'],
        files: async (d, accountId) => ({ 'buckets.json': await exportCapture({ db: d, config, keys, audit }, accountId), 'settings.json': await readSettings({ db: d, config, keys, audit }, accountId) }),
      },
    }),
    privacyModule({
      db, config, keys, audit, logger, keyring, metrics,
      // A granted erasure runs the retention erase: what no legal duty keeps goes, the rest is restricted.
      erasePerson: (personId, reason) => erasePerson({ db, audit, handlers, clock: systemClock }, { personId, reason, dryRun: false, actorId: 'system:privacy-request' }),
      // Lifting a restriction records the person's submitted and approved days into the report store again.
      recordFiguresAgain: (trx, personId) => recordOwnerAgain({ db, config, keys, audit }, trx, personId),
    }),
    directory,
    auditMod,
    mail,
    retentionModule({ db, config, audit, logger, handlers }),
    complianceExportModule({ db, config, logger, keys, audit, keyring, ledger: deps.services.ledger, handlers, clock: systemClock }),
    complianceModule({ db, config, audit, keyring, handlers }),
    webModule(config, {
      anyAccount: () => anyAccountExists(db),
      // The layout's menu by role, and the signed-in start page (web imports no domain).
      roles: async (ctx, accountId) => (await requestActor(ctx, db, accountId)).roles,
      home: homeSection(timesheetDeps),
    }),
  ];
  handlers.push(...retentionHandlers(modules));
  checkHandlers(handlers); // one handler per category, known categories only: fail at start, not at 03:23
  return modules;
}

/** The retention handlers the given modules hand in (DomainModule.retention), in module order. */
export function retentionHandlers(modules: readonly DomainModule[]): RetentionHandler[] {
  return modules.flatMap((m) => m.retention ?? []);
}
