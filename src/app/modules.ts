import type { Transporter } from 'nodemailer';
import { auditModule } from '../audit/module.js';
import { directoryAuthenticator, directoryModule } from '../directory/module.js';
import type { AuthDeps } from '../identity/auth-service.js';
import { anyAccountExists, identityModule } from '../identity/module.js';
import { operatorModule } from '../operator/module.js';
import { reportsHook, reportsModule } from '../reports/module.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { mailModule } from '../platform/mail-module.js';
import type { DomainModule } from '../platform/module.js';
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
 * console, mail (jobs only) and last the web layer's start page.
 */
export function applianceModules(deps: ModuleDeps): DomainModule[] {
  const { db, config, logger } = deps;
  const { keys, audit, keyring } = deps.services;
  const authDeps: AuthDeps = { db, config, keys, audit, logger, directory: directoryAuthenticator(config.directory, logger) };
  return [
    identityModule(authDeps, deps.tls),
    timesheetsModule({ db, config, keys, audit, logger, dayFigures: reportsHook({ db, config, keys, audit, logger }) }),
    reportsModule({ db, config, keys, audit, logger }),
    operatorModule(authDeps),
    directoryModule({ db, config: config.directory, logger, audit }),
    auditModule({ db, keyring, logger }),
    mailModule({ db, config, logger, transport: deps.transport, cipher: keys }),
    webModule(config, { anyAccount: () => anyAccountExists(db) }),
  ];
}
