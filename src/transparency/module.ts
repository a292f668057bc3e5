import type { AuditLog } from '../audit/service.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { DomainModule } from '../platform/module.js';
import type { TransparencyDeps } from './context.js';
import { confidentialityGate, noticeGate } from './gate.js';
import { transparencyPages } from './pages.js';
import { registerTransparencyApi } from './routes.js';
import { currentVersionOnce } from './versions.js';

export { recordsOfProcessing } from './processing.js';
export { worksCouncilPackHtml } from './pack.js';
export { privacySettingsHistory } from './versions.js';

/**
 * Transparency as the appliance mounts it: the notice and confidentiality gates (as
 * middleware, mounted right after identity's session middleware so they run before
 * any other domain's route), the notice API and the notice, statement and pack pages.
 * The privacy-relevant settings are stored as a version on the first request that
 * needs them.
 */
export function transparencyModule(input: { db: Knex; config: Readonly<Config>; audit: AuditLog }): DomainModule {
  const deps: TransparencyDeps = { ...input, currentVersion: currentVersionOnce(input.db, input.audit, input.config) };
  return {
    name: 'transparency',
    // Without require_acknowledgement nobody is stopped; the notice can still be confirmed.
    middleware: input.config.privacy.require_acknowledgement ? [noticeGate(deps), confidentialityGate(deps)] : [],
    api: (api) => registerTransparencyApi(api, deps),
    pages: transparencyPages(deps),
  };
}
