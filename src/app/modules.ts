import type { Transporter } from 'nodemailer';
import { auditModule } from '../audit/module.js';
import { captureModule } from '../capture/module.js';
import { directoryAuthenticator, directoryModule } from '../directory/module.js';
import type { AuthDeps } from '../identity/auth-service.js';
import { anyAccountExists, identityModule } from '../identity/module.js';
import { operatorModule } from '../operator/module.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { mailModule } from '../platform/mail-module.js';
import type { DomainModule } from '../platform/module.js';
import type { RetentionHandler } from '../platform/retention.js';
import { retentionModule } from '../retention/module.js';
import { timesheetsModule } from '../timesheets/module.js';
import { webModule } from '../web/routes.js';
import type { CoreServices } from './services.js';

/** What the modules of the appliance are built from. */
export interface ModuleDeps {
  db: Knex;
  config: Readonly<Config>;
  logger: Logger;
  services: CoreServices;
  transport: Transporter;
  /** Whether HTTPS is on (cookie policy). */
  tls: boolean;
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
  const timesheets = timesheetsModule({ db, config, keys, audit, logger });
  const directory = directoryModule({ db, config: config.directory, logger, audit });
  const auditMod = auditModule({ db, keyring, logger });
  const mail = mailModule({ db, config, logger, transport: deps.transport, cipher: keys });
  const capture = captureModule({ db, config, keys, audit });
  const handlers = retentionHandlers([identity, timesheets, directory, auditMod, mail, capture]);
  return [
    identity,
    timesheets,
    capture,
    operatorModule(authDeps, { handlers }),
    directory,
    auditMod,
    mail,
    retentionModule({ db, config, audit, logger, handlers }),
    webModule(config, { anyAccount: () => anyAccountExists(db) }),
  ];
}

/** The retention handlers the given modules hand in (DomainModule.retention), in module order. */
export function retentionHandlers(modules: readonly DomainModule[]): RetentionHandler[] {
  return modules.flatMap((m) => m.retention ?? []);
}
