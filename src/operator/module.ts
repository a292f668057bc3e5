import type { DomainModule } from '../platform/module.js';
import type { RetentionHandler } from '../platform/retention.js';
import type { AuthDeps } from '../identity/auth-service.js';
import { operatorPages } from './pages.js';

/**
 * The operator console: directory sync status, retention state and legal holds,
 * users and their roles, session revocation. It reads from identity, the directory
 * and retention, so it lives above them and none has to import another.
 */
export function operatorModule(deps: AuthDeps, retention: { handlers: readonly RetentionHandler[] } = { handlers: [] }): DomainModule {
  return { name: 'operator', pages: operatorPages(deps, retention.handlers) };
}
